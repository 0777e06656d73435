"""Audio URLs without network egress.

By default the emulator contacts nothing outside loopback: an http(s) audio URL on another host is
stood in for by silence (the task's video gets a silent track of its length), with a log line.
Loopback URLs are downloaded, and so are remote ones when `fetch_remote_audio` is set; either way
within a deadline and a size cap, so a URL that trickles one byte a second cannot hold a worker.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import tempfile
from typing import Union
from urllib.parse import urljoin, urlsplit

from .tasks import TaskFailure

log = logging.getLogger("storyc.emulator")
DOWNLOAD_FAILED = ("InvalidParameter.DataInspection",
                   "Unable to download the media resource during the data inspection process.")
MAX_REDIRECTS = 3


def is_loopback(url: str) -> bool:
    """Whether a URL names this machine, judged from its text alone (no name lookup)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch(url: str, storage: str, timeout: float, max_bytes: int, allow_remote: bool) -> Union[str, None]:
    """Download `url` into `storage`; None when it stands in for silence (a remote URL, offline).

    The whole download, headers included, has `timeout` seconds: it runs as one asyncio task
    under `wait_for`, so a server that drips its headers cannot stretch it either.
    """
    if not is_loopback(url) and not allow_remote:
        log.info("audio %s is not on loopback: stood in for by silence (--fetch-remote-audio downloads it)",
                 _shown(url))
        return None
    handle, path = tempfile.mkstemp(suffix=os.path.splitext(urlsplit(url).path)[1][:9], dir=storage)
    os.close(handle)
    try:
        asyncio.run(asyncio.wait_for(_download(url, path, max_bytes, allow_remote), timeout))
    except (asyncio.TimeoutError, TimeoutError):
        os.remove(path)
        raise TaskFailure("InvalidURL.Timeout", f"Download {_shown(url)} timeout.") from None
    except BaseException:
        os.remove(path)
        raise
    return path


async def _download(url: str, path: str, max_bytes: int, allow_remote: bool) -> None:
    import httpx

    try:
        async with httpx.AsyncClient(follow_redirects=False, timeout=None, verify=True) as client:
            for _ in range(MAX_REDIRECTS + 1):
                async with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        if not allow_remote and not is_loopback(url):
                            raise TaskFailure(*DOWNLOAD_FAILED)
                        continue
                    if response.status_code != 200:
                        raise TaskFailure(*DOWNLOAD_FAILED)
                    size = 0
                    with open(path, "wb") as out:
                        async for chunk in response.aiter_bytes():
                            size += len(chunk)
                            if size > max_bytes:
                                raise TaskFailure("InvalidFile.Size", "File size is larger than 15MB.")
                            out.write(chunk)
                    return
            raise TaskFailure(*DOWNLOAD_FAILED)
    except httpx.HTTPError:
        raise TaskFailure(*DOWNLOAD_FAILED) from None


def _shown(url: str) -> str:
    """A URL for a log line: scheme, host and path, without a query that may carry a signature."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"[:200]
