"""Rules for a clip's soundtrack: whether the model takes one, its format, size and length.

Local files are measured with mutagen (imported only when a storyboard names a local file);
URLs are checked for scheme and extension, since nothing is downloaded at check time.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterator, Union

from ..base.diagnostics import Diagnostic, make
from ..base.paths import outside
from ..language.load import find_root
from ..language.nodes import Clip, Soundtrack
from ..language.timeline import seconds, total_millis
from .context import Context

if TYPE_CHECKING:
    from ..models.profile import Profile

MEGABYTE = 1024 * 1024


def soundtrack_path(soundtrack: Soundtrack, storyboard_path: str) -> Union[str, None]:
    """The local file a soundtrack names, or None when it is a URL."""
    value = soundtrack.source.value
    if "://" in value:
        return None
    return os.path.normpath(os.path.join(os.path.dirname(storyboard_path), value))


def soundtracks(context: Context) -> Iterator[Diagnostic]:
    for clip in context.storyboard.clips:
        profile = context.scope(clip).profile
        if profile is None:
            continue
        for soundtrack in (line for line in clip.lines if isinstance(line, Soundtrack)):
            limits = profile.audio.get("file")
            if not limits:
                yield make("SB401", f"`{profile.id}` makes silent video and takes no soundtrack",
                           context.source, soundtrack.span, label="not supported",
                           help="remove it, or use a model that takes audio (wan2.5, wan2.6, wan2.7)")
                continue
            yield from _one(context, clip, soundtrack, profile)


def _one(context: Context, clip: Clip, soundtrack: Soundtrack, profile: Profile) -> Iterator[Diagnostic]:
    from urllib.parse import unquote, urlsplit  # only for URLs: the import is slow

    limits = profile.audio["file"]
    value = soundtrack.source.value
    span = soundtrack.source.span
    parts = urlsplit(value) if "://" in value else None
    if parts is not None and parts.scheme not in ("http", "https"):
        yield make("SB406", f"`{parts.scheme}://` soundtracks are not supported", context.source, span,
                   label="not http(s)", help="host the file at an http(s) URL, or give a local path")
        return
    name = unquote(parts.path) if parts is not None else value
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    if extension not in limits["formats"]:
        yield make("SB402", f"`.{extension or '?'}` is not a format the model takes", context.source, span,
                   label="unsupported format", help=f"convert it to {' or '.join(limits['formats'])}")
        return
    if parts is not None:
        return
    path = soundtrack_path(soundtrack, context.source.path)
    assert path is not None
    if "\0" in path:
        yield make("SB409", f"soundtrack `{value}` names no file: it holds a NUL byte", context.source, span,
                   label="not a file name", help="write the file's path relative to the storyboard")
        return
    leads = outside(path, find_root(context.source.path))
    if leads is not None:
        yield make("SB413", f"soundtrack `{value}` is outside the project" if os.path.realpath(path) == os.path.abspath(path)
                   else f"soundtrack `{value}` leads outside the project, to `{leads}`", context.source, span,
                   label="outside the project", help="copy the audio into the project folder and name it relative to the storyboard")
        return
    if not os.path.isfile(path):
        yield make("SB409", f"soundtrack `{value}` does not exist", context.source, span,
                   label="not found", help=f"looked for `{path}`; paths are relative to the storyboard")
        return
    size = os.path.getsize(path)
    if size > limits["max_megabytes"] * MEGABYTE:
        yield make("SB405", f"the soundtrack is {size / MEGABYTE:.1f} MB; the limit is {limits['max_megabytes']} MB",
                   context.source, span, label="too large", help="compress it or shorten it")
    length = measure_seconds(path)
    if length is None:
        yield make("SB410", f"cannot read `{value}` as {extension} audio", context.source, span,
                   label="unreadable", help="re-export the file as wav or mp3")
        return
    yield from _length(context, clip, span, length, profile)


def _length(context: Context, clip: Clip, span: Any, length: float, profile: Profile) -> Iterator[Diagnostic]:
    limits = profile.audio["file"]
    shown = f"{length:.1f}s"
    if not limits["min_seconds"] <= length <= limits["max_seconds"]:
        yield make("SB403", f"the soundtrack lasts {shown}; the model takes {limits['min_seconds']}-"
                   f"{limits['max_seconds']}s", context.source, span, label=shown,
                   help="trim or pad the audio into that range")
        return
    if length < limits.get("warn_below_seconds", 0):
        yield make("SB404", f"the soundtrack lasts {shown}, under {limits['warn_below_seconds']}s",
                   context.source, span, label=shown, help="pad it to at least 3s to be safe")
    clip_millis = total_millis(clip) or profile.duration["default"] * 1000
    if length * 1000 < clip_millis - 50:
        yield make("SB407", f"the soundtrack lasts {shown} but the clip {seconds(clip_millis)}s; the rest is silent",
                   context.source, span, label=shown, help="pad the audio to the clip's length if silence is not wanted")
    elif length * 1000 > clip_millis + 50:
        yield make("SB408", f"the soundtrack lasts {shown} but the clip {seconds(clip_millis)}s; the end is cut",
                   context.source, span, label=shown, help="trim the audio to the clip's length to choose what is kept")


def measure_seconds(path: str) -> Union[float, None]:
    """The audio's length in seconds, or None when the file is not readable audio."""
    try:
        import mutagen

        audio = mutagen.File(path)
    except Exception:  # noqa: BLE001 - mutagen raises many types for damaged files
        return None
    if audio is None or getattr(audio, "info", None) is None:
        return None
    length = float(audio.info.length)
    return length if length > 0 else None


RULES = (soundtracks,)
