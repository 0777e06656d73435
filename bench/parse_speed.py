"""Parse and check throughput on a generated 10,000-shot storyboard, against json.loads of the same content.

    python bench/parse_speed.py [--shots N] [--rounds R] [--declarations D --unknown U]

Prints shots per second and the ratios parse / json.loads and parse + check / json.loads (lower is
better), where check is `story check`'s validator (`check.check`) and diagnose everything `story check`
reports (`pipeline.diagnose`: the validator, then the plan and the prompt-length rule). All are timed
in the same process in CPU time, interleaved, taking the best of R rounds, so machine noise affects
them alike.

`--declarations D --unknown U` adds D more cast members and makes U shots refer to a name nobody
declared (each close to a declared one): the cost of suggesting the closest name for each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Callable

sys.path.insert(0, os.path.dirname(__file__))

from gen import as_json, storyboard  # noqa: E402

from storyc.base.source import Source  # noqa: E402
from storyc.check.rules import check  # noqa: E402
from storyc.compile.diagnose import diagnose  # noqa: E402
from storyc.language.load import load  # noqa: E402
from storyc.language.parse import parse  # noqa: E402


def timed(action: Callable[[], object]) -> float:
    """CPU seconds: on a shared machine, wall time mostly measures the neighbours."""
    start = time.process_time()
    action()
    return time.process_time() - start


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--shots", type=int, default=10_000)
    options.add_argument("--rounds", type=int, default=7)
    options.add_argument("--declarations", type=int, default=0)
    options.add_argument("--unknown", type=int, default=0)
    args = options.parse_args()
    text = storyboard(args.shots, args.declarations, args.unknown)
    data = text.encode("utf-8")
    document = as_json(args.shots)
    result = parse(Source("bench.story", text))
    assert not result.diagnostics and result.storyboard is not None
    assert len(result.storyboard.clips[0].shots) == args.shots
    found = check(load("bench.story", data))
    assert [d.code for d in found] == ["SB205"] * args.unknown, found[:3]  # otherwise a clean storyboard

    best = {"json": float("inf"), "parse": float("inf"), "parse+check": float("inf"),
            "parse+diagnose": float("inf")}
    for _ in range(args.rounds):
        best["json"] = min(best["json"], timed(lambda: json.loads(document)))
        best["parse"] = min(best["parse"], timed(lambda: parse(Source("bench.story", text))))
        best["parse+check"] = min(best["parse+check"], timed(lambda: check(load("bench.story", data))))
        best["parse+diagnose"] = min(best["parse+diagnose"], timed(lambda: diagnose(load("bench.story", data))))
    print(f"input: {args.shots} shots, {len(text) / 1e6:.2f} MB of .story, {len(document) / 1e6:.2f} MB of JSON"
          + (f", {args.declarations} more declarations, {args.unknown} unknown names" if args.unknown else ""))
    for name, seconds in best.items():
        print(f"{name + ':':16}{args.shots / seconds:12,.0f} shots/s  {seconds * 1000:8.1f} ms")
    print(f"ratio parse / json.loads:          {best['parse'] / best['json']:.1f}x")
    print(f"ratio parse + check / json.loads:  {best['parse+check'] / best['json']:.1f}x (goal: 25x or better)")
    print(f"ratio parse + diagnose / json.loads: {best['parse+diagnose'] / best['json']:.1f}x")


if __name__ == "__main__":
    main()
