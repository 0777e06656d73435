"""Rendering `continue` chains: a continuing clip's identity, its order, and the frame it starts on.

- `chain_levels`: the order clips can be created in (a continuing clip after its source);
- `placeholder` and `source_hashes`: a continuing clip's body carries `storyc-continue:<source>` where
  the frame's URL goes (what `compile --json` can show before the source exists), and its request
  identity replaces that string with the source's selected video's sha256 (`request_hash` does this
  for any string it is given a hash for, as for local files), so re-rendering or re-selecting the
  source makes the clip stale;
- `last_frame_png`: the exact last frame of a video, decoded with PyAV to the end (no seek, which can
  land on a keyframe) and written losslessly as an RGB PNG (the service takes PNG without alpha);
- `follow`: once the source's video is downloaded, the continuing job's identity is settled and its last
  frame is written under `.story/frames/` and handed to the upload path in place of the placeholder
  (for `continue NAME clip`, the source's video file itself is).
  The placeholder itself is written by `compile/media.py` (`item_url`), in the body's real shape.
"""

from __future__ import annotations

import os
from typing import Any

from ..check.chains import PLACEHOLDER, placeholder
from ..compile.sent import strings_in
from .journal import Row, file_sha256, request_hash, video_file


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


def source_hashes(source: str, video_sha256: str) -> dict[str, str]:
    """The entry a continuing clip adds to the hashes its request identity is computed from."""
    return {placeholder(source): video_sha256}


PENDING = "pending:"  # a continuing request whose source video is not made yet: its identity is not known


def continued_source(body: dict[str, Any]) -> str | None:
    """The clip a compiled body continues from (its `storyc-continue:<clip>` placeholder), or None."""
    return next((value[len(PLACEHOLDER):] for value in strings_in(body) if value.startswith(PLACEHOLDER)), None)


CLIP_ROLES = ("first_clip", "reference_video")  # `continue NAME clip`: the source's video itself is sent


def sends_whole_clip(body: dict[str, Any]) -> bool:
    """Whether a continuing body sends its source's video (`continue NAME clip`) rather than its last frame."""
    media = body.get("input", {}).get("media") or []
    return any(isinstance(item, dict) and str(item.get("url", "")).startswith(PLACEHOLDER)
               and item.get("type") in CLIP_ROLES for item in media)


def identity(model: str, region: str, body: dict[str, Any], hashes: dict[str, str], link: Any) -> str:
    """The request hash; a continuing clip's counts its source's video (`source_hashes`), or is pending."""
    if link is None:
        return request_hash(model, region, body, hashes)
    if link.video_sha256 is None:
        return PENDING + request_hash(model, region, body, hashes)
    return request_hash(model, region, body, {**hashes, **source_hashes(link.source, link.video_sha256)})


FRAMES = "frames"  # under the journal's folder (.story/): the last frames chains start from


async def follow(job: Any, source: Row) -> None:
    """Settle a continuing job once its source's video (`source`, a downloaded row) exists: its request
    hash counts that video's sha256, and unless its own video is made, the video's last frame is
    written as `.story/frames/<sha256>.png`, passed through the one file gate and given to the upload
    path in place of the placeholder (`job.files`), so it is uploaded and sent like any local picture."""
    import asyncio  # here: `story plan` and a cached render import this module and must not load asyncio

    from ..base.paths import FileProblem, request_file
    from ..language.load import find_root

    link = job.link._replace(video_sha256=source.sha256)
    job.link = link
    hash = identity(job.model, job.region, job.body, job.hashes, link)
    if hash != job.hash:
        job.hash = hash
        job.journal.remember(hash, job.model, job.region, job.body)
    row = job.row()
    if row is not None and row.state in ("downloaded", "succeeded"):
        return
    video = video_file(source, (target.path for target in link.job.targets))
    if video is None:
        raise FileProblem(f"the video of `{link.source}` is gone from `{os.path.relpath(source.video or '.')}`; "
                         "run again to download it")
    whole = sends_whole_clip(job.body)
    sent = video
    if not whole:
        frames = os.path.join(job.journal.folder, FRAMES)
        os.makedirs(frames, exist_ok=True)
        sent = os.path.join(frames, f"{source.sha256}.png")
        if not os.path.exists(sent):  # decoded off the event loop: other clips keep polling meanwhile
            await asyncio.to_thread(last_frame_png, video, sent)
    target = job.targets[0]
    # FileProblem (an OSError) stops the run with its message, as any local fault does
    what = "the video" if whole else "the last frame"
    real = request_file(sent, find_root(target.storyboard), f"clip `{target.name}` ({target.where}): "
                        f"{what} of `{link.source}`")
    key = placeholder(link.source)
    job.files = {**job.files, key: real}
    job.hashes = {**job.hashes, key: file_sha256(real)}  # the upload's key: the picture sent


def last_frame_png(video: str, png: str) -> tuple[int, int]:
    """Write the last frame of `video` to `png` (RGB, lossless, in one step); return its size.

    Every frame is decoded, keeping one at a time, so memory stays at one picture whatever the length.
    """
    import tempfile

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
