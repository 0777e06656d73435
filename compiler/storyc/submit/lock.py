"""The lock file meant for git: `<storyboard>.lock` beside the storyboard.

Per clip it records what was generated and what it cost — request hash, model, region, seed, task id,
the video (relative to the lock file) and its sha256, seconds billed and cost — sorted by clip
name, with no secrets and no absolute paths, so a team reviews generation and spending in a diff.
Written whole through a private temporary file and `os.replace`.
"""

from __future__ import annotations

import json
import os
from typing import Any, NamedTuple, Union

LOCK_VERSION = 1


class LockedClip(NamedTuple):
    request: str  # "sha256:<hex>" of the request as compiled (see journal.request_hash)
    model: str
    region: str
    seed: Union[int, None]
    task_id: str
    video: str  # relative to the lock file's folder, "/" separated
    sha256: str  # of the video file
    seconds_billed: float
    cost: Union[float, None]  # None when the price is unknown
    currency: str
    emulated: bool = False  # made by the built-in emulator (offline), not paid for; a real run redoes it


class LockFile(NamedTuple):
    storyboard: str  # the storyboard's file name, relative to the lock file's folder
    clips: dict[str, LockedClip]


class LockError(Exception):
    """A lock file that cannot be read or does not follow the format."""


def lock_path(storyboard_path: str) -> str:
    """`scenes/chase.story` -> `scenes/chase.lock`."""
    return os.path.splitext(storyboard_path)[0] + ".lock"


def read_lock(path: str) -> Union[LockFile, None]:
    """The lock file at `path`, or None when there is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise LockError(f"cannot read lock file `{path}`: {error}") from None
    try:
        if document.get("version") != LOCK_VERSION:
            raise LockError(f"lock file `{path}` has version {document.get('version')!r}; this storyc reads {LOCK_VERSION}")
        clips = {name: LockedClip(**fields) for name, fields in document["clips"].items()}
        return LockFile(str(document["storyboard"]), clips)
    except (AttributeError, KeyError, TypeError) as error:
        raise LockError(f"lock file `{path}` is malformed: {error}") from None


def lock_text(lock: LockFile) -> str:
    """Deterministic text: sorted keys, two-space indent, trailing newline."""
    document: dict[str, Any] = {
        "version": LOCK_VERSION,
        "storyboard": lock.storyboard,
        "clips": {name: lock.clips[name]._asdict() for name in sorted(lock.clips)},
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_lock(path: str, lock: LockFile) -> None:
    import tempfile  # only when writing: it imports shutil and random, which a cached render need not pay for

    folder = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(prefix=".lock-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(lock_text(lock))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
