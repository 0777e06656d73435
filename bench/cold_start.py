"""Cold start of `story check` on a small file, against `python -c pass`.

    python bench/cold_start.py [--runs N]

Each run is a fresh interpreter. The two commands alternate so that machine noise hits both alike;
the ratio of the medians is printed. The package is byte-compiled first (as a regular install is),
since PYTHONDONTWRITEBYTECODE would otherwise make every run recompile it.
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


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--runs", type=int, default=30)
    args = options.parse_args()
    compileall.compile_dir(os.path.dirname(storyc.__file__), quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "small.story")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(SMALL)
        check = [sys.executable, "-m", "storyc", "check", path]
        baseline = [sys.executable, "-c", "pass"]
        timed(check)
        check_times, pass_times = [], []
        for _ in range(args.runs):
            pass_times.append(timed(baseline))
            check_times.append(timed(check))
    check_median = statistics.median(check_times)
    pass_median = statistics.median(pass_times)
    print(f"python -c pass:      median {pass_median * 1000:6.1f} ms over {args.runs} runs")
    print(f"story check (small): median {check_median * 1000:6.1f} ms over {args.runs} runs")
    print(f"ratio: {check_median / pass_median:.1f}x (goal: 4x or better)")


if __name__ == "__main__":
    main()
