"""Building blocks for rendering `continue` chains (issue 23); the render loop does not use them yet.

- `chain_levels`: the order clips can be created in (a continuing clip after its source);
- `placeholder` and `source_hashes`: a continuing clip's body carries `storyc-continue:<source>` where
  the frame's URL goes (what `compile --json` can show before the source exists), and its request
  identity replaces that string with the source's selected video's sha256 (`request_hash` does this
  for any string it is given a hash for, as for local files), so re-rendering or re-selecting the
  source makes the clip stale;
- `last_frame_png`: the exact last frame of a video, decoded with PyAV to the end (no seek, which can
  land on a keyframe) and written losslessly as an RGB PNG (the service takes PNG without alpha);
- `first_frame_fields`: the body fields that send a picture as a clip's first frame. The media-inputs
  work (branch w-inputs) owns that wire shape; this placeholder follows the API reference
  (wan-media-api.md §3: `input.media[]` of `{type: first_frame, url}`) until it is wired to it.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any


def chain_levels(links: dict[str, str], clips: list[str]) -> list[list[str]]:
    """`clips` in creation order, grouped: each group waits only for groups before it.

    `links` maps a continuing clip to its source; the checker has refused cycles (SB650) and missing
    sources (SB651), so a link to a clip outside `clips` is treated as no link.
    """
    level: dict[str, int] = {}

    def depth(name: str, seen: frozenset[str]) -> int:
        if name in level:
            return level[name]
        source = links.get(name)
        found = 0 if source is None or source not in clips or source in seen else depth(source, seen | {name}) + 1
        level[name] = found
        return found

    for name in clips:
        depth(name, frozenset())
    groups: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for name in clips:
        groups[level[name]].append(name)
    return groups


PLACEHOLDER = "storyc-continue:"


def placeholder(source: str) -> str:
    """Where a continuing clip's frame URL goes until its source is rendered: names the source clip."""
    return PLACEHOLDER + source


def source_hashes(source: str, video_sha256: str) -> dict[str, str]:
    """The entry a continuing clip adds to the hashes its request identity is computed from."""
    return {placeholder(source): video_sha256}


def last_frame_png(video: str, png: str) -> tuple[int, int]:
    """Write the last frame of `video` to `png` (RGB, lossless, in one step); return its size.

    Every frame is decoded, keeping one at a time, so memory stays at one picture whatever the length.
    """
    import av

    last = None
    with av.open(video) as container:
        for frame in container.decode(video=0):
            last = frame
    if last is None:
        raise ValueError(f"{video}: no video frame to continue from")
    picture = last.to_image().convert("RGB")  # type: ignore[no-untyped-call]  # PyAV leaves it untyped
    folder = os.path.dirname(os.path.abspath(png))
    handle, temporary = tempfile.mkstemp(prefix=".frame-", suffix=".png", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            picture.save(out, format="PNG")
        os.replace(temporary, png)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    width, height = picture.size
    return int(width), int(height)


def first_frame_fields(url: str) -> dict[str, Any]:
    """The body fields that make `url` a clip's first frame (to be merged under the body's `input`)."""
    return {"media": [{"type": "first_frame", "url": url}]}
