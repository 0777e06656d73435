"""Videos already made: a render with nothing to send, decided before the client is imported.

`story render` asks `settle_cached` first: when every request is downloaded and its video is in place,
the run ends without importing httpx, asyncio, rich or the emulator (about three times what the rest
of a cached run costs). `place` puts a `downloaded` row's video in its clips' files, for this and for
the render loop (`Runner._place`); anything else is left to the loop.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..models.pricing import billed_seconds, cost_of
from .files import copy_video, remove_partial_files
from .journal import Row, holds, video_file

if TYPE_CHECKING:
    from .jobs import Job

def place(job: Job, row: Row, source: str) -> None:
    """Copy the request's video to each of its clips' files that does not hold it yet."""
    for target in job.targets:
        if target.path != source and not holds(target.path, row.sha256):
            copy_video(source, target.path)


def settle_cached(jobs: list[Job]) -> bool:
    """Whether there is nothing to send: every request downloaded and its video still there.

    If so, every clip's file is put in place and each job ends `cached`, as the render loop would end it;
    if not (or a copy fails), the jobs are left as they were: the loop then does the work, forgetting
    downloads whose video is gone and reporting a folder it cannot write to.
    """
    rows = [job.row() for job in jobs]
    if not all(row is not None and row.state == "downloaded" and row.sha256 for row in rows):
        return False
    sources = [video_file(row, (target.path for target in job.targets)) for job, row in zip(jobs, rows, strict=True) if row is not None]
    if any(source is None for source in sources):
        return False
    for folder in {os.path.dirname(target.path) for job in jobs for target in job.targets}:
        remove_partial_files(folder)
    try:
        for job, row, source in zip(jobs, rows, sources, strict=True):
            assert row is not None and source is not None
            place(job, row, source)
    except OSError:
        return False
    for job, row in zip(jobs, rows, strict=True):
        assert row is not None
        job.task_id = row.task_id
        job.billed = billed_seconds(row.usage or {})
        job.cost = cost_of(job.price, job.billed)
        job.outcome = "cached"
        job.phase = "done"
        job.detail = "cached"
    return True
