"""`story cut` against ffmpeg alone, on the media tests' four-clip project (23 s of film).

    python bench/cut_speed.py [--rounds R] [--size 1280x720]

Alike: every clip rendered at one size, rate and sound format (as one model's are); the physical
limit is ffmpeg's stream-copy concat of the same files. Unlike: one clip at another size, so the
pictures must be decoded; the limit is one ffmpeg re-encode joining the same files (scaled to the
first clip's size). `story cut` is timed in process (`main(["cut", ...])`: the storyboard and its
lock file read, the clips probed, ffmpeg run), best of R rounds; ratios are of those best times.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from test_media import STORYBOARD, make_project  # noqa: E402

from storyc.cli import main as story  # noqa: E402
from storyc.emulator.video import ffmpeg  # noqa: E402

NAMES = ("opening", "chase-1", "chase-2", "ending")


def quietly(arguments: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert story(arguments) == 0


def best(rounds: int, action: Callable[[], object]) -> float:
    fastest = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest


def plain_copy(files: list[str], output: str, folder: str) -> None:
    listing = os.path.join(folder, "plain.txt")
    with open(listing, "w", encoding="utf-8") as handle:
        handle.writelines(f"file '{path}'\n" for path in files)
    subprocess.run([ffmpeg(), "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", listing,
                    "-c", "copy", output], check=True)


def plain_encode(files: list[str], output: str, width: int, height: int) -> None:
    inputs = [item for path in files for item in ("-i", path)]
    chains = "".join(f"[{i}:v]scale={width}:{height},setsar=1[v{i}];" for i in range(len(files)))
    graph = chains + "".join(f"[v{i}][{i}:a]" for i in range(len(files))) + f"concat=n={len(files)}:v=1:a=1[v][a]"
    subprocess.run([ffmpeg(), "-loglevel", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[v]",
                    "-map", "[a]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-c:a", "aac", output],
                   check=True)


def run(label: str, sizes: dict[str, tuple[int, int, bool, int]], rounds: int, folder: Path) -> None:
    project = make_project(folder / label, STORYBOARD.replace("  soundtrack: audio/tone.wav\n", ""), sizes)
    files = [project.renders[name].path for name in NAMES]
    film = str(folder / f"{label}.mp4")
    ours = best(rounds, lambda: quietly(["cut", str(project.story), "-o", film]))
    first = project.renders[NAMES[0]]
    if label == "alike":
        theirs = best(rounds, lambda: plain_copy(files, str(folder / "plain.mp4"), str(folder)))
        what = "ffmpeg stream-copy concat"
    else:
        theirs = best(rounds, lambda: plain_encode(files, str(folder / "plain.mp4"), first.width, first.height))
        what = "one ffmpeg re-encode"
    print(f"{label:7} story cut {ours * 1000:7.1f} ms   {what} {theirs * 1000:7.1f} ms   ratio {ours / theirs:.2f}x")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--rounds", type=int, default=5)
    options.add_argument("--size", default="1280x720")
    args = options.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    alike = {name: (width, height, True, 30) for name in NAMES}
    unlike = dict(alike, **{"chase-2": (width * 2 // 3 // 2 * 2, height * 2 // 3 // 2 * 2, True, 30)})
    with tempfile.TemporaryDirectory() as folder:
        for label, sizes in (("alike", alike), ("unlike", unlike)):
            run(label, sizes, args.rounds, Path(folder))

if __name__ == "__main__":
    main()
