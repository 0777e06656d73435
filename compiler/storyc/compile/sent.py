"""What a final request body may carry beyond its schema and the profile's limits.

A project's body template can write any value into a body. The price is read from the body itself
(`models.pricing.body_price`), so a template may change the duration or the picture and be priced
as sent; two things it may not change:

- the model: the storyboard's model is what the region, the limits and the price were checked
  against, so a body naming another one is refused (write `model X` in the storyboard instead);
- local files: a `file://` URL is uploaded by `story render` and named in `--curl` scripts, so one
  that the storyboard did not name must lead to a regular file inside the project (after symlinks).
  The storyboard's own soundtrack is checked by `check.audio` (SB409, SB413) and is not repeated here.

A duration written as `15.0` passes the schema (JSON Schema's integer) but not the service: refused too.
"""

from __future__ import annotations

import os
import stat
from typing import Any, Iterator, Mapping, Union

from ..base.paths import MAX_MEDIA_BYTES, kind, outside
from ..language.load import find_root

LOCAL = "file://"


def refusal(body: Mapping[str, Any], asked: Mapping[str, Any], storyboard: str) -> Union[str, None]:
    """Why the body may not be sent, or None; `asked` holds the values the storyboard decided
    (`emit.request_values`), `storyboard` is the entry file's path."""
    model = body.get("model")
    if model != asked["model"]:
        return (f"the body names model `{model}`, but the storyboard is checked and priced for `{asked['model']}`; "
                "choose the model with the `model` setting, not in a template")
    duration = body.get("parameters", {}).get("duration")
    if isinstance(duration, float):  # JSON Schema calls 15.0 an integer; the service refuses it
        return f"`parameters.duration` is {duration!r}: write a whole number without a fraction (`{int(duration)}`)"
    for url in local_urls(body):
        if url == asked.get("audio_url"):
            continue
        problem = _local_problem(url, storyboard)
        if problem is not None:
            return f"`{url}` {problem}"
    return None


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a request body (its objects and arrays walked in order)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, str):
        yield value


def local_urls(value: Any) -> Iterator[str]:
    """Every `file://` string in a body, wherever it sits."""
    return (string for string in strings_in(value) if string.startswith(LOCAL))


def _local_problem(url: str, storyboard: str) -> Union[str, None]:
    """Why a `file://` URL may not be read, resolved as `story render` resolves it (against the
    storyboard's folder, %-escapes decoded); nothing is opened, so a FIFO or device cannot block."""
    from urllib.parse import unquote

    written = unquote(url[len(LOCAL):])
    path = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(storyboard)), written))
    leads = outside(path, find_root(storyboard))
    if leads is not None:
        return f"leads outside the project, to `{leads}`; local files must be inside it"
    try:
        status = os.stat(path)
    except OSError as error:
        return f"cannot be read: {(error.strerror or type(error).__name__).lower()}"
    if not stat.S_ISREG(status.st_mode):
        return f"is {kind(status.st_mode)}, not a regular file"
    if status.st_size > MAX_MEDIA_BYTES:  # the cap of the gate `story render` reads it through (request_file)
        return f"is larger than {MAX_MEDIA_BYTES // (1024 * 1024)} MB, the most storyc sends"
    return None
