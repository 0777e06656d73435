"""`continue NAME` on a clip: the clip starts on the last frame of clip NAME (its selected take).

On a scene, the first part starts there and each later part on the last frame of the part before
(as in a scene with a `first-frame:`); a clip continuing a scene starts on its last part's last frame.

SB650 a chain that comes back to itself, SB651 a clip that is not there, SB652 a chain longer than
`continue.max_chain` in `base/data/settings.json` (each generation starts from a re-encoded frame, so
the picture softens), SB653 a continuing clip whose model takes no first frame (text-to-video only:
the profile's `media.roles` has no `first_frame`).
"""

from __future__ import annotations

from typing import Iterator, Union

from ..base import data
from ..base.diagnostics import Diagnostic, Fix, make
from ..language.nodes import Clip, Setting
from ..language.settings import own_settings
from .context import Context
from .suggest import closest

PLACEHOLDER = "storyc-continue:"  # where a continuing clip's first frame goes until `render` has it


def placeholder(source: str) -> str:
    """The first frame's URL in a continuing clip's compiled body: names the source clip (docs/render.md)."""
    return PLACEHOLDER + source


def continue_line(clip: Clip) -> Union[Setting, None]:
    """The clip's own `continue NAME` line, if any."""
    return next((setting for setting in own_settings(clip) if setting.key == "continue"), None)


def sources(context: Context) -> dict[str, tuple[Clip, Setting]]:
    """Continuing clip name -> (the clip, its `continue` line)."""
    found: dict[str, tuple[Clip, Setting]] = {}
    for clip in context.storyboard.clips:
        line = continue_line(clip)
        if line is not None:
            found[clip.name] = (clip, line)
    return found


def chain_of(name: str, links: dict[str, str]) -> tuple[list[str], bool]:
    """The clips `name` continues from, nearest first, and whether the chain comes back to itself."""
    chain: list[str] = []
    seen = {name}
    current = links.get(name)
    while current is not None:
        if current in seen:
            return chain + [current], True
        chain.append(current)
        seen.add(current)
        current = links.get(current)
    return chain, False


def continues(context: Context) -> Iterator[Diagnostic]:
    lines = sources(context)
    if not lines:
        return
    by_name = {clip.name: clip for clip in context.storyboard.clips}
    names = list(by_name)
    links = {name: line.value.value for name, (_, line) in lines.items() if line.value.value in names}
    limit = int(data.table("settings")["continue"]["max_chain"])
    reported_cycles: set[frozenset[str]] = set()
    for name, (clip, line) in lines.items():
        target = line.value.value
        if target not in names:
            yield _missing(context, line, target, names, name)
            continue
        chain, cycle = chain_of(name, links)
        if cycle:
            members = frozenset([name, *chain])
            if members not in reported_cycles:
                reported_cycles.add(members)
                path = " -> ".join([name, *chain])
                yield make("SB650", f"clip `{name}` continues from itself: {path}", context.source, line.value.span,
                           label="a cycle", help="a clip can only start on a frame that exists before it; "
                           "remove one `continue` of the cycle")
            continue
        length = sum(generations(context, by_name[link]) for link in [name, *chain])
        if length > limit:
            parts = " (its parts count one each)" if clip.kind == "scene" else ""
            yield make("SB652", f"{clip.kind} `{name}` ends a chain of {length} clips{parts}, longer than {limit}",
                       context.source, line.value.span, label="long chain", severity="",
                       help=f"each generation starts from a re-encoded frame and the picture softens; start a "
                       f"new chain (drop `continue` on one of {', '.join(f'`{c}`' for c in reversed(chain))})")
        yield from _model(context, clip, line)


def chained_scene(clip: Clip) -> bool:
    """A scene whose parts follow each other: it has a first frame or `continue`, so part 1 starts on that
    and each later part on the last frame of the part before."""
    return clip.kind == "scene" and (continue_line(clip) is not None
                                     or any(medium.kind == "first-frame" for medium in clip.inputs))


def generations(context: Context, clip: Clip) -> int:
    """How many generations a clip adds to a chain: one, or each part of a chained scene."""
    if not chained_scene(clip):
        return 1
    profile = context.scope(clip).profile
    if profile is None:
        return 1
    from ..language.timeline import timed_shots
    from .limits import scene_part_ends

    lengths = [timed.end - timed.start for timed in timed_shots(clip.shots)]
    return max(1, sum(1 for end in scene_part_ends(lengths, profile) if end is not None))


def _missing(context: Context, line: Setting, target: str, names: list[str], name: str) -> Diagnostic:
    close: Union[str, None] = closest(target, [other for other in names if other != name])
    return make("SB651", f"clip `{name}` continues from `{target}`, which is not a clip of this storyboard",
                context.source, line.value.span, label="no such clip",
                help=f"did you mean `{close}`?" if close else "name a clip written in this file",
                fix=Fix(line.value.span, close) if close else None)


def _model(context: Context, clip: Clip, line: Setting) -> Iterator[Diagnostic]:
    profile = context.scope(clip).profile
    if profile is None:
        return  # an unknown model is its own diagnostic
    roles = (profile.data.get("media") or {}).get("roles") or {}
    if "first_frame" not in roles:
        yield make("SB653", f"`{profile.id}` takes no first frame, so clip `{clip.name}` cannot continue "
                   "another clip", context.source, line.span, label="text-to-video only",
                   help="give the clip an image-to-video model that takes a first frame (`story models` "
                   "lists them), or remove `continue`")


RULES = (continues,)
