"""Render plus schema validation throughput on a generated 10,000-shot storyboard.

    python bench/render_speed.py [--shots N] [--rounds R]

The scene is split into clips (five 3-second shots each on wan2.7), and every clip's prompt and
request body is rendered, parsed back and validated against the protocol's JSON Schema and the
profile. Prints shots per second for parse, plan and render, best of R rounds each.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

from gen import storyboard  # noqa: E402

from storyc.compile.emit import compile_plan  # noqa: E402
from storyc.compile.plan import plan  # noqa: E402
from storyc.language.load import load  # noqa: E402


def best(rounds: int, action: object) -> tuple[float, object]:
    fastest, result = float("inf"), None
    for _ in range(rounds):
        start = time.perf_counter()
        result = action()  # type: ignore[operator]
        fastest = min(fastest, time.perf_counter() - start)
    return fastest, result


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--shots", type=int, default=10_000)
    options.add_argument("--rounds", type=int, default=3)
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.story")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(storyboard(args.shots))
        parse_time, program = best(args.rounds, lambda: load(path))
        plan_time, planned = best(args.rounds, lambda: plan(program))  # type: ignore[arg-type]
        compile_plan(planned)  # type: ignore[arg-type]  # warm the template and schema caches
        render_time, compiled = best(args.rounds, lambda: compile_plan(planned))  # type: ignore[arg-type]
    clips = len(compiled.clips)  # type: ignore[attr-defined]
    assert not compiled.diagnostics, compiled.diagnostics[:3]  # type: ignore[attr-defined]
    print(f"input: {args.shots} shots in one scene -> {clips} clips")
    print(f"parse (load):              {args.shots / parse_time:10,.0f} shots/s")
    print(f"plan (split the scene):    {args.shots / plan_time:10,.0f} shots/s")
    print(f"render + schema validation: {args.shots / render_time:9,.0f} shots/s ({clips / render_time:,.0f} clips/s)")
    print(f"render takes {render_time / parse_time:.1f}x as long as parsing")


if __name__ == "__main__":
    main()
