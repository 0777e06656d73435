"""The makespan of a `continue` chain rendered beside independent clips, against the ideal.

    python bench/chain_makespan.py [--chain 10] [--independent 20] [--seconds 1.0]

A storyboard of one chain of `--chain` two-second wan2.7-i2v clips (each continuing the one before; the
first starts from a drawn picture) and `--independent` clips that start from the same picture is
rendered by `story render --yes --json` against the emulator on 127.0.0.1 (in this process, each task
taking `--seconds`; the model allows 5 concurrent tasks). The ideal makespan is the longer of the
chain's own length (chain x seconds: each link needs the video before it) and the whole load at the
account's concurrency (ceil((chain + independent) / 5) x seconds). Prints a Markdown table with the
measured makespan, the chain's span, and the time between a link's source finishing and the link being
created (the task seen done, its video downloaded, the last frame decoded, written and uploaded, the
create sent), from the emulator's own record.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

from storyc.cli import main
from storyc.emulator import EmulatorConfig, create_app
from storyc.emulator.testing import serve

CONCURRENCY = 5  # wan2.7-i2v's concurrent tasks (models/profiles/wan2.7-i2v.yaml)


def storyboard(chain: int, independent: int) -> str:
    lines = ['storyboard "chain makespan"', "model wan2.7-i2v", "resolution 720P", "language en",
             "watermark off", "seed 1", ""]
    for number in range(1, chain + 1):
        lines += [f"clip link{number:02d} 2s"]
        lines += ["  first-frame: start.png"] if number == 1 else [f"  continue link{number - 1:02d}"]
        lines += [f"  Step {number} of the walk home.", ""]
    for number in range(1, independent + 1):
        lines += [f"clip solo{number:02d} 2s", "  first-frame: start.png", f"  Street corner number {number}.", ""]
    return "\n".join(lines)


def done(task: Any) -> float:
    """When the emulator reports the task SUCCEEDED: its nominal end, or later if its video took longer."""
    return max(float(task.nominal_end), float(task.finished or 0))


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chain", type=int, default=10)
    parser.add_argument("--independent", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=1.0, help="emulated processing time per task")
    options = parser.parse_args()
    config = EmulatorConfig(pending_seconds=options.seconds / 4, running_seconds=options.seconds * 3 / 4)
    app = create_app(config)
    with tempfile.TemporaryDirectory(prefix="storyc-chain-bench-") as folder, serve(config, app=app) as url:
        Image.new("RGB", (480, 270), (40, 60, 110)).save(Path(folder) / "start.png")
        story = Path(folder) / "film.story"
        story.write_text(storyboard(options.chain, options.independent), "utf-8")
        os.environ.update(DASHSCOPE_API_KEY="sk-chain-bench", DASHSCOPE_BASE_URL=url)
        os.environ.pop("DASHSCOPE_REGION", None)
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["render", str(story), "--yes", "--json"])
        makespan = time.monotonic() - started
        if code != 0:
            sys.exit(f"story render failed ({code}):\n{err.getvalue()[-2000:]}")
        summary = json.loads(out.getvalue())
        tasks = {task.spec.prompt.split(".")[0]: task for task in app.state.emulator.tasks.billable()}
        links = [tasks[f"Step {number} of the walk home"] for number in range(1, options.chain + 1)]
        took = [done(task) - task.submitted for task in tasks.values()]
        gaps = [later.submitted - done(earlier) for earlier, later in zip(links, links[1:], strict=False)]
        chain_span = done(links[-1]) - links[0].submitted
        stored = {upload.path: upload.stored_at for upload in app.state.emulator.uploads.files.values()}
        # the frame's upload (wall clock) against the link's create (wall clock): what follows the upload
        after_upload = [link.wall - stored[link.media_paths[link.spec.media[0].url]] for link in links[1:]]
    task_seconds = statistics.mean(took)
    total = options.chain + options.independent
    ideal = max(options.chain, math.ceil(total / CONCURRENCY)) * task_seconds
    rendered = sum(1 for clip in summary["clips"] if clip["outcome"] == "rendered")
    print(f"| {options.chain}-clip chain + {options.independent} independent, {rendered} rendered | seconds |")
    print("|---|---:|")
    print(f"| task time in the emulator (mean, submit to video) | {task_seconds:.2f} |")
    print(f"| ideal makespan: max(chain, ceil({total}/{CONCURRENCY})) x task time | {ideal:.2f} |")
    print(f"| measured makespan (`story render`, plan to lock file) | {makespan:.2f} |")
    print(f"| chain span (first link created to last link's video) | {chain_span:.2f} |")
    if gaps:
        print(f"| source's video done -> next link created (mean / max) | {statistics.mean(gaps):.2f} / {max(gaps):.2f} |")
        before = [gap - after for gap, after in zip(gaps, after_upload, strict=True)]
        print(f"| of which: done -> frame uploaded (poll, download, decode, upload; mean) | {statistics.mean(before):.2f} |")
        print(f"| of which: frame uploaded -> link created (mean) | {statistics.mean(after_upload):.2f} |")


if __name__ == "__main__":
    main_bench()
