"""CPU of `story compile -o DIR` against `story compile --json` for 1,000 clips.

    python bench/compile_write.py [--runs N] [--clips N]

Each run is a fresh `python -m storyc` process; its user + system CPU time is read from the
children's resource usage. `-o` is timed twice per round: into an empty folder (every file
created) and again into the same folder (nothing changed, nothing written). Medians of N rounds.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

HEADER = "model wan2.7-t2v\nlanguage en\ncast fox: a red fox\ncast hare: a grey hare\nplace field: a wet field\n"
CLIP = "clip c{n} 5s\n  shot 5s wide\n    camera: slow push in\n    @fox chases @hare across @field\n"


def cpu(arguments: list[str], folder: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "storyc", *arguments], cwd=folder, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--runs", type=int, default=5)
    options.add_argument("--clips", type=int, default=1000)
    args = options.parse_args()
    times: dict[str, list[float]] = {"--json": [], "-o (empty folder)": [], "-o (again)": []}
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "big.story"), "w", encoding="utf-8") as handle:
            handle.write(HEADER + "".join(CLIP.format(n=n) for n in range(args.clips)))
        for _ in range(args.runs):
            times["--json"].append(cpu(["compile", "big.story", "--json"], folder))
            shutil.rmtree(os.path.join(folder, "out"), ignore_errors=True)
            times["-o (empty folder)"].append(cpu(["compile", "big.story", "-o", "out"], folder))
            times["-o (again)"].append(cpu(["compile", "big.story", "-o", "out"], folder))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        ratio = median / medians["--json"]
        print(f"compile {name:18} CPU {median:6.3f} s   {ratio:.2f}x --json")
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
