"""How `story check`'s work grows with the storyboard: load + diagnose from 1,000 to 16,000 shots, and
the memory the loaded storyboard holds per shot against `json.loads` of the same content.

    python bench/check_scale.py [--sizes 1000,2000,4000,8000,16000] [--rounds R]

Load + diagnose is what `story check FILE` runs after start-up (`language.load`, then
`compile.diagnose`), timed in process in CPU time, best of R rounds with the sizes taking turns so
machine noise hits them alike. Memory is what tracemalloc sees still allocated while the loaded
program (or the decoded JSON) is alive. Goals (issue 24): 16k / 1k ≤ 17x, ≤ 2.5 KB per shot.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import tracemalloc
from functools import partial
from typing import Callable

sys.path.insert(0, os.path.dirname(__file__))

from gen import as_json, storyboard  # noqa: E402

from storyc.compile.diagnose import diagnose  # noqa: E402
from storyc.language.load import load  # noqa: E402


def cpu_seconds(action: Callable[[], object]) -> float:
    """CPU seconds: on a shared machine, wall time mostly measures the neighbours."""
    start = time.process_time()
    action()
    return time.process_time() - start


def load_and_diagnose(data: bytes) -> object:
    return diagnose(load("bench.story", data))


def held_bytes(make: Callable[[], object]) -> int:
    """Bytes still allocated while what `make` returns is alive."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = make()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return after - before


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--sizes", default="1000,2000,4000,8000,16000")
    options.add_argument("--rounds", type=int, default=5)
    args = options.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    data = {shots: storyboard(shots).encode("utf-8") for shots in sizes}
    for shots in sizes:
        found = diagnose(load("bench.story", data[shots]))
        assert not found, found[:3]  # a clean storyboard: every rule runs to the end
    best = dict.fromkeys(sizes, float("inf"))
    for _ in range(args.rounds):
        for shots in sizes:
            best[shots] = min(best[shots], cpu_seconds(partial(load_and_diagnose, data[shots])))
    first = sizes[0]
    print(f"{'shots':>7} {'load+diagnose':>14} {'µs/shot':>8} {'x ' + str(first):>8} {'KB/shot':>8} "
          f"{'json KB/shot':>13} {'/ json':>7}")
    for shots in sizes:
        story = held_bytes(partial(load, "bench.story", data[shots]))
        document = as_json(shots)
        decoded = held_bytes(partial(json.loads, document))
        print(f"{shots:7} {best[shots] * 1000:11.1f} ms {best[shots] / shots * 1e6:8.1f} "
              f"{best[shots] / best[first]:7.1f}x {story / shots / 1000:8.2f} {decoded / shots / 1000:13.2f} "
              f"{story / decoded:6.1f}x")
    last = sizes[-1]
    print(f"ratio {last} / {first} shots: {best[last] / best[first]:.1f}x "
          f"(linear: {last / first:.0f}x; goal for 16000 / 1000: 17x or better)")


if __name__ == "__main__":
    main()
