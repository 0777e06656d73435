"""Video files on disk: partial downloads and copies (moved into place only when whole) and their modes.

No job or client here: the render loop, the client's downloads and a cached render all use them.
"""

from __future__ import annotations

import contextlib
import os

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
