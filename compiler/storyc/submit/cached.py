"""Videos already made: a render with nothing to send, decided before the client is imported.

`story render` asks `settle_cached` first: when every request is downloaded and its video is in place,
the run ends without importing httpx, asyncio, rich or the emulator (about three times what the rest
of a cached run costs). It places videos as the render loop's `Runner._place` does for `downloaded`
rows; anything else is left to the loop.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from ..models.pricing import billed_seconds, cost_of
from .journal import Row, file_sha256

if TYPE_CHECKING:
    from .jobs import Job

PART_PREFIX = ".storyc-part-"  # partial downloads and copies, moved into place only when whole


def remove_partial_files(folder: str) -> int:
    """Delete partial downloads a killed run left behind; how many there were."""
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    count = 0
    for name in names:
        if name.startswith(PART_PREFIX):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, name))
            count += 1
    return count


def holds(path: str, sha256: str | None) -> bool:
    """Whether `path` is a file with this content (one that cannot be read is not)."""
    try:
        return os.path.exists(path) and file_sha256(path) == sha256
    except OSError:
        return False


def video_source(job: Job, row: Row) -> str | None:
    """A file holding the journal's video for this request (where it was downloaded, or a clip's file)."""
    for candidate in [row.video, *(target.path for target in job.targets)]:
        if candidate and holds(candidate, row.sha256):
            return candidate
    return None


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
    sources = [video_source(job, row) for job, row in zip(jobs, rows, strict=True) if row is not None]
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


def make_readable(path: str) -> None:
    """Temporary files are private (0600); a video gets the usual permissions (umask applied)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def copy_video(source: str, destination: str) -> None:
    """Copy through a partial file in the destination's folder, so a clip's file is never half written."""
    import shutil  # only when copying: with tempfile, what a cached render need not pay for
    import tempfile

    os.makedirs(os.path.dirname(destination), exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f"{PART_PREFIX}copy-", dir=os.path.dirname(destination))
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        make_readable(temporary)
        os.replace(temporary, destination)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
