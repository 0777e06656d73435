"""`continue NAME` on a clip: the clip starts on the last frame of clip NAME (its selected take).

On a scene, the first part starts there and each later part on the last frame of the part before
(as in a scene with a `first-frame:`); a clip continuing a scene starts on its last part's last frame.

`continue NAME clip` continues NAME's video itself where the model can (its profile's
`media.continue_clip`: `first_clip` on wan2.7-i2v, whose output includes the input clip; a
`reference_video` extension on Wan 3.0).

SB650 a chain that comes back to itself, SB651 a clip that is not there, SB652 a chain longer than
`continue.max_chain` in `base/data/settings.json` (each generation starts from a re-encoded frame, so
the picture softens), SB653 a continuing clip whose model takes no first frame (text-to-video only:
the profile's `media.roles` has no `first_frame`), SB654 `continue NAME clip` on a model or a scene
that cannot continue a clip, SB655 a clip continued that way whose length the model does not take.
"""

from __future__ import annotations

import os
from typing import Iterator, NamedTuple, Union

from ..base import data
from ..base.diagnostics import Diagnostic, Fix, make
from ..base.source import Span
from ..language.load import Program
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


class Continuation(NamedTuple):
    """What a `continue` line says: the source clip, how (`frame` or `clip`), where the name is written,
    and the other storyboard it is in (`continue "ep1.story" finale`: the path as written), if any."""

    source: str
    how: str
    span: Span
    line: Setting
    file: Union[str, None] = None

    @property
    def key(self) -> str:
        """What the placeholder names: `finale`, or `ep1.story:finale` in another storyboard (a clip name has
        no `:`, so the last one splits them)."""
        return f"{self.file}:{self.source}" if self.file is not None else self.source


def continuation(clip: Clip) -> Union[Continuation, None]:
    line = continue_line(clip)
    if line is None:
        return None
    text, start = line.value.value, line.value.span.start
    file = None
    if text.startswith('"') and text.count('"') == 2:
        close = text.index('"', 1)
        file = text[1:close]
        rest = text[close + 1:]
        start += close + 1 + len(rest) - len(rest.lstrip())
        text = rest.strip()
    words = text.split()
    return Continuation(words[0], words[1] if len(words) > 1 else "frame", Span(start, start + len(words[0])), line,
                        file)


def split_key(key: str) -> tuple[Union[str, None], str]:
    """A placeholder's key back into (the other storyboard as written, or None; the clip)."""
    file, colon, name = key.rpartition(":")
    return (file, name) if colon else (None, key)


def continue_clip(profile: object) -> Union[dict[str, object], None]:
    """How a model continues a clip's video itself (`media.continue_clip` in its profile), or None."""
    media = getattr(profile, "media", None)
    return media.get("continue_clip") if media is not None else None


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
    said = {name: continuation(clip) for name, (clip, _) in lines.items()}
    links = {name: how.source for name, how in said.items()
             if how is not None and how.file is None and how.source in names}
    limit = int(data.table("settings")["continue"]["max_chain"])
    loaded: dict[str, Program] = {}  # other storyboards the chains name
    reported_cycles: set[frozenset[str]] = set()
    for name, (clip, line) in lines.items():
        said_here = said[name]
        assert said_here is not None
        target = said_here.source
        if said_here.file is not None:
            problems = list(_elsewhere(context, clip, said_here, loaded))
            yield from problems
            if not any(problem.code == "SB651" for problem in problems):
                yield from _across(context, clip, said_here, generations(context, clip), limit, loaded)
            continue
        if target not in names:
            yield _missing(context, said_here, names, name)
            continue
        chain, cycle = chain_of(name, links)
        last = said.get(chain[-1]) if chain and not cycle else None
        length = 0 if cycle else sum(generations(context, by_name[link]) for link in [name, *chain])
        if last is not None and last.file is not None:  # the chain goes on in another storyboard
            yield from _across(context, clip, said_here, length, limit, loaded, report_cycle=False, start_said=last)
        elif cycle:
            members = frozenset([name, *chain])
            if members not in reported_cycles:
                reported_cycles.add(members)
                path = " -> ".join([name, *chain])
                yield make("SB650", f"clip `{name}` continues from itself: {path}", context.source, said_here.span,
                           label="a cycle", help="a clip can only start on a frame that exists before it; "
                           "remove one `continue` of the cycle")
            continue
        elif length > limit:
            parts = " (its parts count one each)" if clip.kind == "scene" else ""
            yield make("SB652", f"{clip.kind} `{name}` ends a chain of {length} clips{parts}, longer than {limit}",
                       context.source, said_here.span, label="long chain", severity="",
                       help=f"each generation starts from a re-encoded frame and the picture softens; start a "
                       f"new chain (drop `continue` on one of {', '.join(f'`{c}`' for c in reversed(chain))})")
        if said_here.how == "clip":
            yield from _continued_clip(context, clip, said_here, by_name[target])
        else:
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


def source_millis(context: Context, clip: Clip) -> Union[int, None]:
    """The length of the video a clip continues from `clip`: the clip's, or a scene's last part's."""
    return _millis(context.scope(clip).profile, clip)


def _millis(profile: object, clip: Clip) -> Union[int, None]:
    from ..models.profile import Profile

    if not isinstance(profile, Profile):
        return None
    from ..language.timeline import timed_shots, total_millis

    if clip.kind != "scene":
        return total_millis(clip) or profile.duration["default"] * 1000
    from .limits import scene_part_ends

    lengths = [timed.end - timed.start for timed in timed_shots(clip.shots)]
    ends = [0, *scene_part_ends(lengths, profile)]
    if None in ends or len(ends) < 2:
        return None
    start, end = ends[-2], ends[-1]
    assert start is not None and end is not None
    return sum(lengths[start:end])


def _loaded(path: str, loaded: dict[str, Program]) -> Program:
    """Another storyboard, read once per check however many chains pass through it."""
    from ..language.load import load

    key = os.path.realpath(path)
    if key not in loaded:
        loaded[key] = load(path)
    return loaded[key]


def other_storyboard(storyboard: str, file: str) -> str:
    """The path of the storyboard `continue "FILE" NAME` names, relative to the one it is written in."""
    return os.path.normpath(os.path.join(os.path.dirname(storyboard), file))


def _elsewhere(context: Context, clip: Clip, said: Continuation, loaded: dict[str, Program]) -> Iterator[Diagnostic]:
    """`continue "ep1.story" finale`: the file is a storyboard inside the project with that clip (or scene)."""
    from ..base.paths import contains
    from ..language.load import find_root

    assert said.file is not None
    path = other_storyboard(context.source.path, said.file)
    root = os.path.realpath(find_root(context.source.path))
    problem = None
    if not contains(root, os.path.realpath(path)):
        problem = f"`{said.file}` leads outside the project folder", "name a storyboard inside the project"
    elif os.path.realpath(path) == os.path.realpath(context.source.path):
        problem = f"`{said.file}` is this storyboard", f"write `continue {said.source}`"
    elif not os.path.isfile(path):  # a folder, a FIFO, a device: never read as a storyboard
        problem = f"`{said.file}` is not a storyboard file", "name a `.story` file of this project"
    else:
        program = _loaded(path, loaded)
        storyboard = program.entry.storyboard
        if storyboard is None or any(d.code in ("SB104", "SB105", "SB100", "SB103") for d in program.diagnostics):
            problem = f"cannot read the storyboard `{said.file}`", "name a storyboard of this project"
        elif said.source not in {other.name for other in storyboard.clips}:
            close = closest(said.source, [other.name for other in storyboard.clips])
            problem = (f"`{said.file}` has no clip `{said.source}`",
                       f"did you mean `{close}`?" if close else f"name a clip written in `{said.file}`")
    if problem is not None:
        yield make("SB651", f"clip `{clip.name}` continues from `{said.source}` in `{said.file}`: {problem[0]}",
                   context.source, said.span, label="no such clip", help=problem[1])
        return
    if said.how == "clip":
        assert storyboard is not None
        source = next(other for other in storyboard.clips if other.name == said.source)
        yield from _continued_clip(context, clip, said, None, _millis(_profile_in(context, program, source), source))
    else:
        yield from _model(context, clip, said.line)


MAX_FILES_FOLLOWED = 64  # a chain through more storyboards than this is not followed further


def _across(context: Context, clip: Clip, said: Continuation, here: int, limit: int, loaded: dict[str, Program],
            report_cycle: bool = True,
            start_said: Union[Continuation, None] = None) -> Iterator[Diagnostic]:
    """A chain that goes on in other storyboards: SB650 when it comes back to `clip`, SB652 when, with
    the `here` generations in this file, it is longer than `limit`. `start_said` is the `continue` that
    leaves this file (`said` itself unless a same-file chain leads to it)."""
    own = (os.path.realpath(context.source.path), clip.name)
    seen = {own}
    current_path = context.source.path
    current: Union[Continuation, None] = start_said or said
    length, passed = here, [f"`{clip.name}`"]
    while current is not None and current.file is not None and len(passed) <= MAX_FILES_FOLLOWED:
        path = other_storyboard(current_path, current.file)
        key = (os.path.realpath(path), current.source)
        if key == own or key in seen:
            if report_cycle and key == own:
                yield make("SB650", f"clip `{clip.name}` continues from itself through other storyboards: "
                           f"{' -> '.join([*passed, f'`{current.source}` in `{current.file}`'])}", context.source,
                           said.span, label="a cycle", help="a clip can only start on a frame that exists before "
                           "it; remove one `continue` of the cycle")
            return
        seen.add(key)
        storyboard = _loaded(path, loaded).entry.storyboard
        found = next((other for other in storyboard.clips if other.name == current.source), None) \
            if storyboard is not None else None
        if found is None:
            break  # that storyboard's own check reports it
        length += 1
        passed.append(f"`{current.source}` in `{current.file}`")
        following = continuation(found)
        while following is not None and following.file is None:  # its own file's chain, then on
            found = next((other for other in storyboard.clips if other.name == following.source), None) \
                if storyboard is not None else None
            if found is None or (os.path.realpath(path), found.name) in seen:
                following = None
                break
            seen.add((os.path.realpath(path), found.name))
            length += 1
            following = continuation(found)
        current_path, current = path, following
    if length > limit:
        yield make("SB652", f"{clip.kind} `{clip.name}` ends a chain of {length} clips through other storyboards, "
                   f"longer than {limit}", context.source, said.span, label="long chain", severity="",
                   help="each generation starts from a re-encoded frame and the picture softens; start a new chain")


def _profile_in(context: Context, program: Program, clip: Clip) -> object:
    """The model a clip of another storyboard is made with: its own `model`, else that file's (a family's
    first member; only its durations are asked for)."""
    from ..language.settings import for_clip, resolve
    from ..models.profile import DEFAULT_MODEL

    entry = program.entry
    assert entry.storyboard is not None
    settings, _ = resolve(entry.storyboard, entry.source)
    own, _ = for_clip(settings, clip, entry.source)
    return context.catalog.get(str(own.get("model", DEFAULT_MODEL)))


def _continued_clip(context: Context, clip: Clip, said: Continuation, source: Union[Clip, None],
                    elsewhere: Union[int, None] = None) -> Iterator[Diagnostic]:
    """SB654 and SB655 for `continue NAME clip`; the combination and total-length rules of check/media.py
    see the clip continued as an input video of the model's `continue_clip` role."""
    profile = context.scope(clip).profile
    if profile is None:
        return
    how = continue_clip(profile)
    if clip.kind == "scene" or how is None:
        why = ("a scene's parts each start on the last frame of the part before" if clip.kind == "scene"
               else f"`{profile.id}` cannot continue a clip's video")
        yield make("SB654", f"{clip.kind} `{clip.name}` cannot continue `{said.source}` as a clip: {why}",
                   context.source, said.line.span, label="cannot continue a clip",
                   help="continue from the last frame instead (`continue NAME`), or give the clip a model that "
                   "continues clips (wan2.7-i2v, wan3.0-video)")
        return
    assert profile.media is not None
    role = profile.media["roles"][str(how["role"])]
    millis = source_millis(context, source) if source is not None else elsewhere  # `elsewhere`: another file's
    low, high = role.get("min_seconds"), role.get("max_seconds")
    if millis is not None and low is not None and high is not None and not low * 1000 <= millis <= high * 1000:
        yield make("SB655", f"`{profile.id}` continues clips of {low}-{high}s; `{said.source}` is {millis / 1000:g}s",
                   context.source, said.span, label=f"{millis / 1000:g}s",
                   help=f"make `{said.source}` {low}-{high}s long, or continue from its last frame (`continue "
                   f"{said.source}`)")


def _missing(context: Context, said: Continuation, names: list[str], name: str) -> Diagnostic:
    target = said.source
    close: Union[str, None] = closest(target, [other for other in names if other != name])
    return make("SB651", f"clip `{name}` continues from `{target}`, which is not a clip of this storyboard",
                context.source, said.span, label="no such clip",
                help=f"did you mean `{close}`?" if close else "name a clip written in this file",
                fix=Fix(said.span, close) if close else None)


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
