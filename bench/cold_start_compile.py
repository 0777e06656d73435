"""Cold start of `story compile` and `story plan` on a small file, against `python -c pass`.

    python bench/cold_start_compile.py [--runs N]

Each run is a fresh interpreter. The three commands take turns so that machine noise hits them
alike; the ratio of the medians is printed (goal: 8x or better). The package is byte-compiled
first, as a regular install is.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time

import storyc

SMALL = """model wan2.7-t2v
resolution 720P
cast fox: a red fox in a trench coat
clip office 5s
  shot 5s medium
    @fox turns the pages of a case file
"""


def timed(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=cwd)
    return time.perf_counter() - start


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--runs", type=int, default=30)
    args = options.parse_args()
    compileall.compile_dir(os.path.dirname(storyc.__file__), quiet=1)
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "story compile (small)": [sys.executable, "-m", "storyc", "compile", "small.story", "-o", "out"],
        "story plan (small)": [sys.executable, "-m", "storyc", "plan", "small.story"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "small.story"), "w", encoding="utf-8") as handle:
            handle.write(SMALL)
        for command in commands.values():
            timed(command, folder)  # warm the file cache
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(timed(command, folder))
    medians = {name: statistics.median(values) for name, values in times.items()}
    baseline = medians["python -c pass"]
    for name, median in medians.items():
        print(f"{name:22} median {median * 1000:6.1f} ms over {args.runs} runs")
    for name in list(commands)[1:]:
        print(f"ratio {name}: {medians[name] / baseline:.1f}x (goal: 8x or better)")


if __name__ == "__main__":
    main()
