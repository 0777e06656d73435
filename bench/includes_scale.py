"""Loading includes grows linearly: 1,000 and 2,000 included files, best of five
interleaved rounds.

The entry file includes N files, each declaring one cast member and including the next shared
file of a small chain (so diamonds occur: every file is reached more than once). Printed: seconds
to load and check each size and the 2,000 / 1,000 ratio (linear is 2x; the goal is at most 2.2x).
Run: `python bench/includes_scale.py`.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "compiler"))

from storyc.compile.diagnose import diagnose  # noqa: E402
from storyc.language.load import load  # noqa: E402


def project(folder: str, count: int) -> str:
    os.makedirs(os.path.join(folder, "cast"))  # also creates `folder`
    for n in range(count):
        shared = f'include "c{n + 1}.story"\n' if n + 1 < count and n % 10 else ""
        with open(os.path.join(folder, "cast", f"c{n}.story"), "w", encoding="utf-8") as handle:
            handle.write(f"{shared}cast c{n}: member number {n}\n")
    entry = os.path.join(folder, "main.story")
    with open(entry, "w", encoding="utf-8") as handle:
        handle.write("".join(f'include "cast/c{n}.story"\n' for n in range(count)))
        handle.write("clip a 5s\n  " + " ".join(f"@c{n}" for n in range(0, count, max(1, count // 50))) + "\n")
    return entry


def seconds(entry: str, count: int) -> float:
    gc.collect()
    start = time.perf_counter()
    program = load(entry)
    found = diagnose(program)
    elapsed = time.perf_counter() - start
    assert len(program.includes) == count, len(program.includes)
    assert not [d for d in found if d.level == "error"], found[:3]
    return elapsed


def main() -> int:
    counts = (1_000, 2_000)
    with tempfile.TemporaryDirectory() as folder:
        entries = {count: project(os.path.join(folder, str(count)), count) for count in counts}
        times = dict.fromkeys(counts, float("inf"))
        for _ in range(5):  # interleaved rounds, so a busy moment does not favour one size
            for count in counts:
                times[count] = min(times[count], seconds(entries[count], count))
    for count in counts:
        print(f"load + check with {count:,} includes: {times[count]:.3f} s")
    ratio = times[2_000] / times[1_000]
    print(f"2,000 / 1,000: {ratio:.2f}x (linear 2x; goal <= 2.2x)")
    return 0 if ratio <= 2.2 else 1


if __name__ == "__main__":
    sys.exit(main())
