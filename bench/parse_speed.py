"""Parse throughput on a generated 10,000-shot storyboard, against json.loads of the same content.

    python bench/parse_speed.py [--shots N] [--rounds R]

Prints shots per second and the ratio parse / json.loads (lower is better). Both are timed in the
same process, interleaved, taking the best of R rounds, so machine noise affects them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from gen import as_json, storyboard  # noqa: E402

from storyc.parse import parse  # noqa: E402
from storyc.source import Source  # noqa: E402


def best_of(rounds: int, action: object) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--shots", type=int, default=10_000)
    options.add_argument("--rounds", type=int, default=7)
    args = options.parse_args()
    text = storyboard(args.shots)
    document = as_json(args.shots)
    result = parse(Source("bench.story", text))
    assert not result.diagnostics and result.storyboard is not None
    assert len(result.storyboard.clips[0].shots) == args.shots
    parse_best = json_best = float("inf")
    for _ in range(args.rounds):
        parse_best = min(parse_best, best_of(1, lambda: parse(Source("bench.story", text))))
        json_best = min(json_best, best_of(1, lambda: json.loads(document)))
    print(f"input: {args.shots} shots, {len(text) / 1e6:.2f} MB of .story, {len(document) / 1e6:.2f} MB of JSON")
    print(f"parse:      {args.shots / parse_best:12,.0f} shots/s")
    print(f"json.loads: {args.shots / json_best:12,.0f} shots/s")
    print(f"ratio parse / json.loads: {parse_best / json_best:.1f}x (goal: 25x or better)")


if __name__ == "__main__":
    main()
