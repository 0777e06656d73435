"""Cold start of `story --help`, `story check`, `story compile`, `story plan` and a fully cached
`story render` on a small file, against `python -c pass` (and the cached render against `story check`).

    python bench/cold_start.py [--runs N] [--only help|check|compile|plan|render-cached]

`render-cached` renders the file offline once (the built-in emulator) before timing, so every timed run
finds its clip downloaded and its video in place: nothing to send.

Each run is a fresh interpreter. The commands take turns so that machine noise hits them alike; the
ratio of each median to `python -c pass`'s is printed with its goal. The package is byte-compiled
first (as a regular install is), since PYTHONDONTWRITEBYTECODE would otherwise make every run
recompile it.
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

# command -> (arguments after `python -m storyc`, goal as a multiple of `python -c pass`)
COMMANDS: dict[str, tuple[list[str], float]] = {
    "help": (["--help"], 3.0),
    "check": (["check", "small.story"], 3.5),
    "compile": (["compile", "small.story", "-o", "out"], 8.0),
    "plan": (["plan", "small.story"], 8.0),
    "render-cached": (["render", "--offline", "small.story"], 5.25),  # 1.5x `story check`
}
RELATIVE_TO_CHECK = {"render-cached": 1.5}  # goals as a multiple of `story check`


def timed(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    return time.perf_counter() - start


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--runs", type=int, default=30)
    options.add_argument("--only", choices=sorted(COMMANDS), action="append", help="time only this command")
    args = options.parse_args()
    chosen = args.only or list(COMMANDS)
    if "render-cached" in chosen and "check" not in chosen:
        chosen.insert(0, "check")  # its goal is a multiple of check's
    compileall.compile_dir(os.path.dirname(storyc.__file__), quiet=1)
    commands = {"python -c pass": [sys.executable, "-c", "pass"]}
    commands.update({f"story {name} (small)": [sys.executable, "-m", "storyc", *COMMANDS[name][0]] for name in chosen})
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "small.story"), "w", encoding="utf-8") as handle:
            handle.write(SMALL)
        if "render-cached" in chosen:  # the one paid-for (here emulated) run, before any timing
            subprocess.run([sys.executable, "-m", "storyc", "render", "--offline", "small.story"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
        for command in commands.values():
            timed(command, folder)  # warm the file cache
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(timed(command, folder))
    medians = {name: statistics.median(values) for name, values in times.items()}
    baseline = medians["python -c pass"]
    for name, median in medians.items():
        print(f"{name:22} median {median * 1000:6.1f} ms over {args.runs} runs")
    for name in chosen:
        ratio = medians[f"story {name} (small)"] / baseline
        print(f"ratio story {name}: {ratio:.1f}x (goal: {COMMANDS[name][1]:g}x or better)")
    check = medians.get("story check (small)")
    for name, goal in RELATIVE_TO_CHECK.items():
        if name in chosen and check:
            ratio = medians[f"story {name} (small)"] / check
            print(f"ratio story {name} / story check: {ratio:.2f}x (goal: {goal:g}x or better)")


if __name__ == "__main__":
    main()
