"""Local soundtracks through the service's temporary storage (§10): getPolicy -> form upload -> oss://.

A file is uploaded once per (content sha256, model) — the service binds an upload to the model named
in the policy — and the `oss://` URL is remembered in the journal until shortly before it expires
(48 h). An upload whose answer is lost, or that storage refuses as already there (the policy
forbids overwriting) or as sent under an expired policy, starts over with a fresh policy and a
fresh object key, so a network blip never stops a run. Compile names a local file `file://<path relative to the storyboard>`; it is resolved against
the storyboard's folder, never the working directory.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..base.paths import MAX_MEDIA_BYTES, read_bytes
from ..compile.sent import LOCAL, local_urls
from .journal import Journal, file_sha256

if TYPE_CHECKING:  # `story plan` hashes local soundtracks through here and must not import httpx
    from .client import Client

FILE_LIFETIME = 48 * 3600
SAFETY = 3600  # never send a URL that expires within the hour
UPLOAD_ROUNDS = 4  # policies (and object keys) one file may take before the run gives up on it


class SoundtrackMissing(Exception):
    """A local soundtrack that is not where the storyboard says."""


def local_files(body: dict[str, Any], storyboard_path: str) -> dict[str, str]:
    """`file://` URLs in a body -> absolute paths, resolved against the storyboard's folder."""
    found: dict[str, str] = {}
    folder = os.path.dirname(os.path.abspath(storyboard_path))
    for value in local_urls(body):
        from urllib.parse import unquote  # only for local files: it imports ipaddress

        found[value] = os.path.normpath(os.path.join(folder, unquote(value[len(LOCAL):])))
    return found


def file_hashes(files: dict[str, str]) -> dict[str, str]:
    """`file://` URL -> sha256 of the file's content."""
    hashes = {}
    for url, path in files.items():
        try:
            hashes[url] = file_sha256(path)
        except OSError as error:
            raise SoundtrackMissing(f"cannot read soundtrack `{path}`: {(error.strerror or str(error)).lower()}") \
                from None
    return hashes


async def ensure_uploaded(client: Client, journal: Journal, path: str, sha256: str, model: str) -> str:
    """The oss:// URL of the file for `model`, uploading it when the journal has none still valid."""
    from .client import SubmitError

    known = journal.upload(sha256, model)
    if known is not None:
        return known
    content = read_bytes(path, limit=MAX_MEDIA_BYTES)  # passed the gate in `prepare`; bounded all the same
    extension = os.path.splitext(path)[1].lower()
    round_number = 0
    while True:
        policy = await client.upload_policy(model)
        started = journal.wall()
        # a later round never reuses a key: its object may exist from a round whose answer was lost
        suffix = f"-{round_number}" if round_number else ""
        try:
            url = await client.upload(policy, f"{sha256[:32]}{suffix}{extension}", content)
        except SubmitError as error:
            round_number += 1
            if round_number < UPLOAD_ROUNDS and _start_over(error):
                continue
            raise
        journal.uploaded(sha256, model, url, started + FILE_LIFETIME - SAFETY)
        return url


def _start_over(error: Exception) -> bool:
    """Whether a fresh policy and key can succeed where this upload failed."""
    from .client import ApiError, ResponseLost

    if isinstance(error, ResponseLost):
        return True  # it may be stored: the same key would meet 409 FileAlreadyExists
    return isinstance(error, ApiError) and (error.code == "FileAlreadyExists" or "Policy expired" in error.message)


def with_urls(body: dict[str, Any], urls: dict[str, str]) -> dict[str, Any]:
    """A copy of the body with each `file://` URL replaced by its upload's oss:// URL."""
    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: swap(item) for key, item in value.items()}
        if isinstance(value, list):
            return [swap(item) for item in value]
        if isinstance(value, str) and value in urls:
            return urls[value]
        return value

    swapped: dict[str, Any] = swap(body)
    return swapped
