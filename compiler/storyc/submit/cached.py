"""Videos already made: put a downloaded request's video where each of its clips wants it.

The render loop (`run`) places a `downloaded` row's video this way before deciding anything else, and
`story render` asks `settle_cached` first, so a run with nothing to send ends before the client, asyncio,
rich or the emulator are imported (they cost about three times what the rest of a cached run does).
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


def video_source(job: Job, row: Row) -> str | None:
    """A file holding the journal's video for this request (where it was downloaded, or a clip's file)."""
    for candidate in [row.video, *(target.path for target in job.targets)]:
        if candidate and os.path.exists(candidate) and file_sha256(candidate) == row.sha256:
            return candidate
    return None


def place(job: Job, row: Row, source: str | None = None) -> bool:
    """True when every clip's file holds the journal's video (copying it where one is missing)."""
    source = source or video_source(job, row)
    if source is None:
        return False
    for target in job.targets:
        if target.path != source and not (os.path.exists(target.path) and file_sha256(target.path) == row.sha256):
            copy_video(source, target.path)
    job.billed = billed_seconds(row.usage or {})
    job.cost = cost_of(job.price, job.billed)
    return True


def settle_cached(jobs: list[Job]) -> bool:
    """Whether there is nothing to send: every request downloaded and its video still there.

    If so, every clip's file is put in place and each job ends `cached`, as the render loop would end it;
    if not, nothing is changed (the loop then does the work, forgetting downloads whose video is gone).
    """
    rows = [job.row() for job in jobs]
    if not all(row is not None and row.state == "downloaded" and row.sha256 for row in rows):
        return False
    sources = [video_source(job, row) for job, row in zip(jobs, rows, strict=True) if row is not None]
    if any(source is None for source in sources):
        return False
    for folder in {os.path.dirname(target.path) for job in jobs for target in job.targets}:
        remove_partial_files(folder)
    for job, row, source in zip(jobs, rows, sources, strict=True):
        assert row is not None
        job.task_id = row.task_id
        place(job, row, source)
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
