"""`story lsp` inlay hints: the time of one request when each clip's price comes from its compiled body.

Prices are read from each clip's final request body (as `story plan` reads them), compiled on first
need a clip at a time. Prints the time of an inlay-hint request over one screen (60 lines) and over
the whole document, for CLIPS clips of 4 shots, and for one scene of SHOTS shots (a scene's price
needs every part of it compiled). Best of three, each on a fresh analysis (as after an edit).

    python bench/lsp_inlay.py [--clips 250] [--shots 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from lsprotocol import types

from storyc.lsp.analysis import Analysis
from storyc.lsp.assist import inlay_hints
from storyc.models.profile import builtin

sys.path.insert(0, os.path.dirname(__file__))
from gen import storyboard  # noqa: E402


def many_clips(clips: int) -> str:
    shot = "  shot 3s wide\n    A lantern {i}-{j} sways over the night market, rain on the stones.\n"
    return "model wan2.6-t2v\nsize 1280*720\n\n" + "".join(
        f"clip c{i} 12s\n" + "".join(shot.format(i=i, j=j) for j in range(4)) + "\n" for i in range(clips))


def best_of_three(text: str, lines: int) -> float:
    path = os.path.join(tempfile.mkdtemp(prefix="storyc-inlay-"), "bench.story")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    times = []
    for _ in range(3):
        analysis = Analysis(path, text, builtin())
        start = time.perf_counter()
        inlay_hints(analysis, types.Range(types.Position(0, 0), types.Position(lines, 0)))
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=250)
    parser.add_argument("--shots", type=int, default=1000)
    options = parser.parse_args()
    for label, text in ((f"{options.clips} clips x 4 shots", many_clips(options.clips)),
                        (f"one scene of {options.shots} shots", storyboard(options.shots))):
        screen, whole = best_of_three(text, 60), best_of_three(text, 10**7)
        print(f"{label}: one screen {screen * 1000:.0f} ms, whole document {whole * 1000:.0f} ms")


if __name__ == "__main__":
    main()
