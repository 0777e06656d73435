"""Rules for media inputs: what pictures, clips and voices a clip sends, and whether its model takes them.

A clip sends its own inputs (`first-frame:` …) and, on a model that takes references, the reference
media of every cast member and place it mentions, in the order the clip first mentions them: that is
the order the model numbers them (图1, 图2 …), so a count that overflows is reported at the mention that
overflows it. `clip_media` gathers the list; the compiler sends the same list. Which combinations,
counts and lengths a model takes is data (`media` in its profile, from wan-media-api.md §3-§10).
Local files are measured before anything is spent: an image's header with Pillow, audio and video
length with PyAV, both imported only when a storyboard names a local file.
"""

from __future__ import annotations

import os
import re
from functools import cache
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple, Union

from ..base import data
from ..base.diagnostics import Diagnostic, make
from ..base.paths import outside
from ..base.source import Source, Span
from ..language.load import Program, find_root
from ..language.names import resolve
from ..language.nodes import Camera, Clip, Cue, Declaration, Dialogue, MediaInput, Prose, Shot, Text
from ..language.timeline import seconds, total_millis
from .context import Context

if TYPE_CHECKING:
    from ..models.profile import Profile

MEGABYTE = 1024 * 1024
FRAME_ROLES = ("first_frame", "last_frame", "first_clip", "driving_audio")


class Item(NamedTuple):
    """One input a clip sends: its role on the wire, the line that names the file, and whose it is."""

    role: str
    medium: MediaInput
    path: str  # the file the line is written in (a declaration may come from an include)
    owner: Union[str, None]  # the declaration it belongs to; None for the clip's own inputs
    mention: Union[Span, None]  # where the clip first mentions the owner (in the entry file)
    voice: Union[MediaInput, None] = None  # a `reference_voice` riding on this item
    continues: Union[str, None] = None  # a `continue` clip's first frame: the source clip's last (no file yet)


class Measured(NamedTuple):
    """What a local file's header says; a field is None when the kind has no such thing."""

    width: Union[int, None] = None
    height: Union[int, None] = None
    seconds: Union[float, None] = None
    fps: Union[float, None] = None
    alpha: bool = False


def clip_roles() -> dict[str, str]:
    """`first-frame` -> `first_frame`: the clip lines and the role each sends."""
    return dict(data.table("media")["clip_inputs"])


def takes_references(profile: Profile) -> bool:
    media = profile.media
    return media is not None and any(
        role.startswith("reference_") for mode in media["modes"] for role in mode["roles"])


def mentions(clip: Clip, declared: Iterable[str]) -> list[tuple[str, Span]]:
    """The declared names the clip mentions (`@name` and speakers), each once, in the order they come."""
    names = set(declared)
    found: dict[str, Span] = {}

    def add(read: str, span: Span) -> None:
        name = resolve(read, names)
        if name is not None and name not in found:
            found[name] = span

    def text(value: Union[Text, None]) -> None:
        for ref in value.refs if value is not None else ():
            add(ref.name, ref.span)

    def line(node: object) -> None:
        if isinstance(node, Dialogue):
            add(node.speaker, node.speaker_span)
            text(node.line)
        elif isinstance(node, (Prose, Camera, Cue)):
            text(node.text)

    for node in clip.lines:
        if isinstance(node, Shot):
            text(node.text)
            for inner in node.lines:
                line(inner)
        else:
            line(node)
    return list(found.items())


def clip_media(clip: Clip, clip_path: str, declarations: dict[str, tuple[Declaration, Source]],
               profile: Profile) -> list[Item]:
    """Every input the clip sends to `profile`'s model: its own, in the profile's role order, then the
    references of what it mentions, in mention order (a voice rides on its owner's first picture or
    clip, or is an item of its own where the model takes `reference_audio`)."""
    media = profile.media
    roles = clip_roles()
    order = list(media["roles"]) if media is not None else []
    own = sorted(clip.inputs, key=lambda m: order.index(roles[m.kind]) if roles[m.kind] in order else len(order))
    items = [Item(roles[m.kind], m, clip_path, None, None) for m in own]
    if media is not None and "first_frame" in media["roles"]:  # elsewhere SB653 says it cannot continue
        items[:0] = _continued(clip, clip_path, profile)
    if media is None or not takes_references(profile):
        return items
    voice_role = media.get("voice_role") or ("reference_voice" if "reference_voice" in media["roles"] else None)
    kinds = data.table("media")["declaration_kinds"]
    for name, span in mentions(clip, declarations):
        declaration, source = declarations[name]
        if declaration.kind == "style":
            continue
        voice = next((m for m in declaration.media if m.kind == "voice"), None)
        pictures = [m for m in declaration.media if m.kind != "voice"]
        for index, medium in enumerate(pictures):
            rides = voice if voice_role == "reference_voice" and index == 0 else None
            items.append(Item(kinds[medium.kind], medium, source.path, name, span, rides))
        if voice is not None and voice_role == "reference_audio":
            items.append(Item("reference_audio", voice, source.path, name, span))
    return items


def _continued(clip: Clip, clip_path: str, profile: Union[Profile, None]) -> list[Item]:
    """`continue NAME` sends NAME's last frame as the first frame; `continue NAME clip` sends NAME's video
    in the model's `continue_clip` role (check/chains.py has the diagnostics of both)."""
    from .chains import continuation, continue_clip, placeholder

    said = continuation(clip)
    if said is None:
        return []
    how = continue_clip(profile) if said.how == "clip" else None  # a model that cannot: SB654, and sent as a frame
    role = str(how["role"]) if how is not None else "first_frame"
    kind = "first-clip" if how is not None else "first-frame"
    medium = MediaInput(kind, Text(placeholder(said.key), (), said.span), said.line.span)
    return [Item(role, medium, clip_path, None, None, None, said.key)]


def counts(items: Iterable[Item]) -> dict[str, int]:
    """Role -> how many items (a riding voice counts as a `reference_voice`)."""
    found: dict[str, int] = {}
    for item in items:
        found[item.role] = found.get(item.role, 0) + 1
        if item.voice is not None:
            found["reference_voice"] = found.get("reference_voice", 0) + 1
    return found


def accepting_mode(profile: Profile, roles: dict[str, int]) -> Union[dict[str, Any], None]:
    """The first of the profile's modes that takes a request sending `roles`, or None."""
    media = profile.media
    if media is None:
        return {"name": "text", "roles": {}, "ratio": "used"} if not roles else None
    for mode in media["modes"]:
        if set(roles) - set(mode["roles"]):
            continue
        if not all(low <= roles.get(role, 0) <= high for role, (low, high) in mode["roles"].items()):
            continue
        references = mode.get("references")
        if references:
            count = sum(roles.get(role, 0) for role in references["roles"])
            if count < references["min"] or count > references.get("max", count):
                continue
        return dict(mode)
    return None


def declarations_in(program: Program) -> dict[str, tuple[Declaration, Source]]:
    """Every declaration in scope with the file it is written in (the entry's own first)."""
    found: dict[str, tuple[Declaration, Source]] = {}
    for result in (program.entry, *program.includes):
        if result.storyboard is not None:
            for declaration in result.storyboard.declarations:
                found.setdefault(declaration.name, (declaration, result.source))
    return found


def pick(catalog: Any, value: str, clip: Clip, clip_path: str,
         declarations: dict[str, tuple[Declaration, Source]]) -> Union[tuple[Profile, str], None]:
    """For `model wan2.7` (a family), the member that takes what the clip has, and why; None for a model id.

    The member that sends the most of the clip's inputs in a combination it takes wins (the shortest id
    on a tie): no media -> text-to-video, a first frame -> image-to-video, mentioned cast with reference
    pictures -> reference-to-video."""
    members = catalog.family(value)
    if not members:
        return None
    best: Union[tuple[tuple[bool, int], Profile, list[Item]], None] = None
    for profile in members:
        items = clip_media(clip, clip_path, declarations, profile)
        taken = set(profile.media["roles"]) if profile.media is not None else set()
        if any(item.role not in taken for item in items):
            continue
        score = (accepting_mode(profile, counts(items)) is not None, len(items))
        if best is None or score > best[0]:
            best = (score, profile, items)
    if best is None:
        return members[0], f"nothing in {value} takes this clip's inputs; {members[0].id} reports why"
    (fits, _), profile, items = best
    return profile, f"{value} -> {profile.id}: {_why(items) if fits else 'the closest fit, and it does not take them'}"


def _why(items: list[Item]) -> str:
    owners = list(dict.fromkeys(f"@{item.owner}" for item in items if item.owner is not None))
    own = [_role_name(item.role) for item in items if item.owner is None]
    if owners:
        return f"mentions {', '.join(owners)} with reference media" + (f" and has a {', '.join(own)}" if own else "")
    if own:
        return f"has a {' and a '.join(own)}"
    return "no media inputs"


# ---- the rules ------------------------------------------------------------------------------------


def combinations(context: Context) -> Iterator[Diagnostic]:
    """Per clip: the roles sent are a combination one of the model's modes takes, within its counts."""
    for clip in context.storyboard.clips:
        profile = context.scope(clip).profile
        if profile is None:
            continue
        if clip.kind == "scene":
            stray = [medium for medium in clip.inputs if medium.kind != "first-frame"]
            if stray:
                yield make("SB619", "a scene is split into several clips, so its last frame, driving audio or "
                           "first clip cannot follow it", context.source, stray[0].span, label="in a scene",
                           help="give last frames, driving audio and clips to continue to a `clip`; a scene "
                           "takes a first frame (or `continue`), and its parts then follow each other")
                continue
        items = clip_media(clip, context.source.path, context.declarations, profile)
        yield from _combination(context, clip, profile, items)


def _combination(context: Context, clip: Clip, profile: Profile, items: list[Item]) -> Iterator[Diagnostic]:
    media = profile.media
    taken = set(media["roles"]) if media is not None else set()
    unknown = [item for item in items if item.role not in taken]
    for item in unknown:
        yield make("SB600", f"`{profile.id}` takes no {_role_name(item.role)}", context.source, item.medium.span,
                   label="not taken by this model", help=_models_hint(context, item.role))
    if unknown:
        return
    roles = counts(items)
    if accepting_mode(profile, roles) is not None:
        return
    assert media is not None  # a text-only model takes every request without media
    yield from _why_refused(context, clip, profile, items, roles)


def _why_refused(context: Context, clip: Clip, profile: Profile, items: list[Item],
                 roles: dict[str, int]) -> Iterator[Diagnostic]:
    """The one most useful reason no mode takes the clip's inputs."""
    media = profile.media
    assert media is not None
    modes = media["modes"]
    frames = [role for role in roles if not role.startswith("reference_")]
    references = [role for role in roles if role.startswith("reference_")]
    if frames and references and not any(set(roles) <= set(mode["roles"]) for mode in modes):
        first = next(item for item in items if item.role.startswith("reference_"))
        yield make("SB605", f"`{profile.id}` takes frames or references in one request, not both",
                   context.source, first.mention or first.medium.span,
                   label=f"sends `{first.owner}`'s {_role_name(first.role)}" if first.owner else "a reference",
                   help="drop the first/last frame, or mention no cast member or place with reference media "
                        "in this clip; the service fails such a task only after it is queued")
        return
    fitting = [mode for mode in modes if set(roles) <= set(mode["roles"])]
    for mode in fitting:
        for role, (_, high) in mode["roles"].items():
            if roles.get(role, 0) > high:
                extra = [item for item in items if item.role == role][high]
                yield make("SB604", f"`{profile.id}` takes at most {high} {_role_name(role, high)}; this clip "
                           f"sends {roles[role]}", context.source, extra.mention or extra.medium.span,
                           label=f"number {high + 1}", help="mention fewer references in this clip")
                return
        limit = mode.get("references")
        if limit and "max" in limit:
            counted = [item for item in items if item.role in limit["roles"]]
            if len(counted) > limit["max"]:
                extra = counted[limit["max"]]
                owner = f"`{extra.owner}`'s {_role_name(extra.role)}" if extra.owner else "this input"
                yield make("SB603", f"`{profile.id}` takes at most {limit['max']} references; this clip sends "
                           f"{len(counted)}", context.source, extra.mention or extra.medium.span,
                           label=f"{owner} would be number {limit['max'] + 1}",
                           help="mention fewer cast members or places with pictures here, or give fewer pictures "
                                "to those it mentions; pictures count in the order the clip mentions them")
                return
    if not items:
        yield make("SB602", f"`{profile.id}` needs media inputs: {_needs(profile)}", context.source,
                   clip.name_span, label="sends none", help=_needs_help(profile))
        return
    sent = " + ".join(_role_name(role) for role in sorted(roles))
    alone = "on its own" if len(roles) == 1 and sum(roles.values()) == 1 else "together"
    yield make("SB601", f"`{profile.id}` does not take {sent} {alone}", context.source,
               clip.name_span, label="not a combination the model takes",
               help=f"it takes: {'; '.join(_mode_text(mode) for mode in modes)}")


def _role_name(role: str, count: int = 1) -> str:
    name = role.replace("_", " ")
    return name + ("s" if count != 1 else "")


def _models_hint(context: Context, role: str) -> str:
    """The rolling models that take `role`, from the profiles."""
    takers = _takers(context, role)
    return f"use a model that takes it ({', '.join(takers[:4])}), or remove the line" if takers \
        else "remove the line: no model takes it"


def _takers(context: Context, role: str) -> list[str]:
    """Newest generation first: `wan3.0-video` before `wan2.2-i2v-flash`."""
    found = [p.id for p in context.catalog.profiles.values()
             if not p.dated and p.media is not None and role in p.media["roles"]]
    version = re.compile(r"[0-9]+(?:\.[0-9]+)?")
    return sorted(found, key=lambda model: (-float((version.search(model) or version.search("0")).group()), len(model), model))  # type: ignore[union-attr]


def _needs(profile: Profile) -> str:
    media = profile.media
    assert media is not None
    return "; or ".join(_mode_text(mode) for mode in media["modes"])


def _needs_help(profile: Profile) -> str:
    if takes_references(profile):
        return ("mention a cast member or place that has `image:` or `video:` lines, or add "
                "`first-frame:` where the model takes one")
    return "add a `first-frame:` line to the clip (a picture the video starts on)"


def _mode_text(mode: dict[str, Any]) -> str:
    needed = [_role_name(role) for role, (low, _) in mode["roles"].items() if low > 0]
    optional = [_role_name(role) for role, (low, _) in mode["roles"].items() if low == 0]
    text = " + ".join(needed) or "text"
    if optional:
        text += f" (optionally {', '.join(optional)})"
    limit = mode.get("references")
    if limit:
        bound = f"{limit['min']}-{limit['max']}" if "max" in limit else f"at least {limit['min']}"
        text += f", {bound} references"
    return text


def durations(context: Context) -> Iterator[Diagnostic]:
    """The clip's length within the range of the mode its inputs select (wan-media-api.md §4.1, §6.4)."""
    for clip in context.storyboard.clips:
        profile = context.scope(clip).profile
        if profile is None or profile.media is None or clip.kind == "scene":
            continue
        items = clip_media(clip, context.source.path, context.declarations, profile)
        mode = accepting_mode(profile, counts(items))
        if mode is None:
            continue
        millis = total_millis(clip) or profile.duration["default"] * 1000
        span = clip.duration.span if clip.duration is not None else clip.name_span
        bounds: dict[str, int] = mode.get("duration_with_video") or {}
        with_video = bounds and any(item.role == "reference_video" for item in items)
        if with_video and not bounds["min"] * 1000 <= millis <= bounds["max"] * 1000:
            yield make("SB615", f"with a reference video `{profile.id}` makes {bounds['min']}-{bounds['max']}s; "
                       f"this clip is {seconds(millis)}s", context.source, span, label=f"{seconds(millis)}s",
                       help=f"make the clip {bounds['min']}-{bounds['max']}s, or mention no one with a `video:`")
        yield from _input_video_seconds(context, clip, profile, mode, items, millis, span)


def _input_video_seconds(context: Context, clip: Clip, profile: Profile, mode: dict[str, Any], items: list[Item],
                         millis: int, span: Span) -> Iterator[Diagnostic]:
    if mode.get("duration_includes_input"):
        first_clip = next((item for item in items if item.role == "first_clip"), None)
        length = _local_seconds(context, first_clip) if first_clip is not None else None
        if length is not None and length * 1000 >= millis:
            yield make("SB615", f"the clip is {seconds(millis)}s but its first clip already lasts {length:.1f}s; "
                       "the duration counts the first clip too", context.source, span, label=f"{seconds(millis)}s",
                       help="make the clip longer than its first clip: the model adds the difference")
    cap = mode.get("video_plus_output_max")
    if cap:
        videos = [_local_seconds(context, item) for item in items if item.role == "reference_video"]
        known = sum(length for length in videos if length is not None)
        if known and known * 1000 + millis > cap * 1000:
            yield make("SB615", f"reference videos ({known:.1f}s) and the clip ({seconds(millis)}s) add up to more "
                       f"than the {cap}s `{profile.id}` takes", context.source, span,
                       label=f"{known + millis / 1000:.1f}s in all", help="shorten the clip or the reference videos")


def _local_seconds(context: Context, item: Item) -> Union[float, None]:
    if item.continues is not None:  # `continue NAME clip`: the clip's length as the storyboard gives it
        from .chains import source_millis

        source = next((clip for clip in context.storyboard.clips if clip.name == item.continues), None)
        millis = source_millis(context, source) if source is not None else None
        return millis / 1000 if millis is not None else None
    path = local_path(item.medium, item.path)
    if path is None or outside(path, find_root(context.source.path)) is not None or not os.path.isfile(path):
        return None
    measured = probe(path, "video")
    return measured.seconds if measured is not None else None


def ratio_ignored(context: Context) -> Iterator[Diagnostic]:
    """A `ratio` the mode does not obey (wan2.7-i2v follows the first frame; wan2.7-r2v with a first frame)."""
    for clip in context.storyboard.clips:
        settings, profile = context.scope(clip)
        node = settings.nodes.get("ratio")
        if profile is None or profile.media is None or node is None or clip.kind == "scene":
            continue
        items = clip_media(clip, context.source.path, context.declarations, profile)
        mode = accepting_mode(profile, counts(items))
        if mode is None:
            continue
        has_first_frame = any(item.role == "first_frame" for item in items)
        if mode["ratio"] == "follows-input" or (mode["ratio"] == "ignored-with-first-frame" and has_first_frame):
            yield make("SB618", f"`{profile.id}` ignores `ratio` here: the video takes the first frame's shape",
                       context.source, node.span, label="ignored",
                       help="crop or pad the first frame to the shape you want, or remove the ratio")


def edit_words(context: Context) -> Iterator[Diagnostic]:
    """Edit or extend words in a reference-mode prompt: Wan 3.0 reads them as a video edit (§6.2)."""
    for clip in context.storyboard.clips:
        profile = context.scope(clip).profile
        if profile is None or not takes_references(profile):
            continue
        items = clip_media(clip, context.source.path, context.declarations, profile)
        if not any(item.role.startswith("reference_") for item in items):
            continue
        if any(item.role == "reference_video" for item in items):
            continue  # an edit or extension of a reference video is a mode the model has
        for text in _prose_texts(clip):
            match = _edit_pattern().search(text.value)
            if match:
                start = text.span.start + match.start()
                yield make("SB614", f"`{match.group()}` reads as an edit or extension request", context.source,
                           Span(start, start + len(match.group())), label="edit intent",
                           help="with references and no reference video the service then fails the task late; "
                                "describe what happens instead")
                break


def _prose_texts(clip: Clip) -> Iterator[Text]:
    for node in clip.lines:
        if isinstance(node, (Prose, Camera)):
            yield node.text
        elif isinstance(node, Shot):
            if node.text is not None:
                yield node.text
            yield from (inner.text for inner in node.lines if isinstance(inner, (Prose, Camera)))


@cache
def _edit_pattern() -> re.Pattern[str]:
    words = data.table("media")["edit_words"]
    english = "|".join(re.escape(word) for word in words["en"])
    chinese = "|".join(re.escape(word) for word in words["zh"])
    return re.compile(rf"(?i:\b(?:{english})\b)|{chinese}")


def voices(context: Context) -> Iterator[Diagnostic]:
    """A mentioned voice the clip's model cannot carry is not sent: say so."""
    reported: set[tuple[int, str]] = set()
    for clip in context.storyboard.clips:
        profile = context.scope(clip).profile
        if profile is None or not takes_references(profile):
            continue
        media = profile.media
        assert media is not None
        sent = {id(item.voice) for item in clip_media(clip, context.source.path, context.declarations, profile)}
        sent |= {id(item.medium) for item in clip_media(clip, context.source.path, context.declarations, profile)}
        for name, span in mentions(clip, context.declarations):
            declaration, _ = context.declarations[name]
            for medium in declaration.media:
                if medium.kind != "voice" or id(medium) in sent or (id(medium), profile.id) in reported:
                    continue
                reported.add((id(medium), profile.id))
                takes = media.get("voice_role") or ("reference_voice" if "reference_voice" in media["roles"] else None)
                if takes is None:
                    takers = [m for m in _takers(context, "reference_voice") + _takers(context, "reference_audio")]
                    why, hint = f"`{profile.id}` takes no voices", f"use {' or '.join(takers[:2])} to give it a voice"
                else:
                    why, hint = f"a voice rides on a picture or clip of `{name}`, and it has none", "give it an `image:`"
                yield make("SB617", f"`{name}`'s voice is not sent: {why}", context.source, span,
                           label="voice not sent", help=hint)


def declarations(context: Context) -> Iterator[Diagnostic]:
    """Media on a style; a missing file or one outside the project, whether or not a clip sends it yet;
    one file given to several declarations (the model wants one subject per reference)."""
    owners: dict[str, str] = {}
    root = find_root(context.source.path)
    for name, (declaration, source) in context.declarations.items():
        if declaration.kind == "style" and declaration.media:
            yield make("SB620", f"style `{name}` cannot carry media", source, declaration.media[0].span,
                       label="not sent", help="reference media belong to a `cast` member or a `place`")
            continue
        for medium in declaration.media:
            found = list(_where(source, medium, source.path, root))
            yield from found
            if found:
                continue
            key = _identity(medium, source.path)
            first = owners.setdefault(key, name)
            if first != name:
                yield make("SB606", f"`{medium.text.value}` is also a reference of `{first}`", source, medium.text.span,
                           label="shared", help="a reference shows one subject; give each declaration its own file")


def _identity(medium: MediaInput, path: str) -> str:
    local = local_path(medium, path)
    return os.path.realpath(local) if local is not None else medium.text.value


def files(context: Context) -> Iterator[Diagnostic]:
    """Every file a clip sends, measured once per role and model: where it is, its format, size and shape."""
    seen: set[tuple[int, str, str]] = set()
    root = find_root(context.source.path)
    sources = {context.source.path: context.source, **{s.path: s for _, s in context.declarations.values()}}
    for clip in context.storyboard.clips:
        profile = context.scope(clip).profile
        if profile is None or profile.media is None:
            continue
        roles = profile.media["roles"]
        for item in clip_media(clip, context.source.path, context.declarations, profile):
            if item.continues is not None:
                continue  # no file until the source is rendered
            pairs = [(item.medium, item.role)] + ([(item.voice, "reference_voice")] if item.voice is not None else [])
            for medium, role in pairs:
                key = (id(medium), role, profile.id)
                if role not in roles or key in seen:
                    continue
                seen.add(key)
                yield from _file(sources[item.path], medium, item.path, roles[role], role, root, item.owner is not None)
        yield from _totals(context, clip, profile)


def _totals(context: Context, clip: Clip, profile: Profile) -> Iterator[Diagnostic]:
    media = profile.media
    assert media is not None
    items = clip_media(clip, context.source.path, context.declarations, profile)
    for role, limits in media["roles"].items():
        cap = limits.get("total_seconds")
        if not cap:
            continue
        lengths = [_local_seconds(context, item) for item in items if item.role == role]
        total = sum(length for length in lengths if length is not None)
        if total > cap:
            yield make("SB612", f"the {_role_name(role, 2)} of this clip last {total:.1f}s together; "
                       f"`{profile.id}` takes {cap}s in all", context.source, clip.name_span,
                       label=f"{total:.1f}s", help="use shorter clips or fewer of them")


def local_path(medium: MediaInput, path: str) -> Union[str, None]:
    """The local file a media line names (relative to the file it is written in), or None for a URL."""
    value = medium.text.value
    if "://" in value:
        return None
    return os.path.normpath(os.path.join(os.path.dirname(path), value))


def _file(source: Source, medium: MediaInput, path: str, limits: dict[str, Any], role: str,
          root: str, owned: bool) -> Iterator[Diagnostic]:
    from urllib.parse import unquote, urlsplit

    value = medium.text.value
    span = medium.text.span
    parts = urlsplit(value) if "://" in value else None
    if parts is not None and parts.scheme not in ("http", "https"):
        yield make("SB616", f"`{parts.scheme}://` media are not supported", source, span, label="not http(s)",
                   help="give a local path (it is uploaded for you) or an http(s) URL")
        return
    name = unquote(parts.path) if parts is not None else value
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    if extension not in limits["formats"]:
        yield make("SB609", f"`.{extension or '?'}` is not a format the model takes for a {_role_name(role)}",
                   source, span, label="unsupported format", help=f"convert it to {', '.join(limits['formats'])}")
        return
    local = local_path(medium, path)
    if local is None:
        return
    problems = list(_where(source, medium, path, root))
    if problems:
        if owned:  # a declaration's file: reported once at the declaration (`declarations`)
            return
        yield from problems
        return
    size = os.path.getsize(local)
    if size > limits["max_megabytes"] * MEGABYTE:
        yield make("SB610", f"`{value}` is {size / MEGABYTE:.1f} MB; a {_role_name(role)} may be "
                   f"{limits['max_megabytes']} MB", source, span, label="too large", help="compress or shrink it")
        return
    measured = probe(local, limits["kind"])
    if measured is None:
        yield make("SB613", f"cannot read `{value}` as {limits['kind']}", source, span, label="unreadable",
                   help=f"re-export it as {', '.join(limits['formats'])}")
        return
    yield from _shape(source, span, measured, limits, role)


def _where(source: Source, medium: MediaInput, path: str, root: str) -> Iterator[Diagnostic]:
    """A local file that names nothing, is missing, or lies outside the project (after symlinks)."""
    value = medium.text.value
    span = medium.text.span
    local = local_path(medium, path)
    if local is None:
        return
    if "\0" in local:
        yield make("SB607", f"`{value}` names no file: it holds a NUL byte", source, span, label="not a file name",
                   help="write the file's path relative to the storyboard")
        return
    leads = outside(local, root)
    if leads is not None:
        yield make("SB608", f"`{value}` is outside the project" if os.path.realpath(local) == os.path.abspath(local)
                   else f"`{value}` leads outside the project, to `{leads}`", source, span,
                   label="outside the project", help="copy the file into the project folder and name it relative to the storyboard")
        return
    if not os.path.isfile(local):
        yield make("SB607", f"`{value}` does not exist", source, span, label="not found",
                   help=f"looked for `{local}`; paths are relative to the file they are written in")


def _shape(source: Source, span: Span, measured: Measured, limits: dict[str, Any], role: str) -> Iterator[Diagnostic]:
    if measured.width is not None and measured.height is not None:
        low, high = limits.get("min_pixels", 1), limits.get("max_pixels", 1 << 30)
        shown = f"{measured.width}×{measured.height}"
        if not (low <= measured.width <= high and low <= measured.height <= high):
            yield make("SB611", f"the {_role_name(role)} is {shown}; each side must be {low}-{high} pixels", source,
                       span, label=shown, help="resize it")
            return
        longer, shorter = max(measured.width, measured.height), min(measured.width, measured.height)
        if "max_aspect" in limits and longer > limits["max_aspect"] * shorter:
            yield make("SB611", f"the {_role_name(role)} is {shown}, wider than 1:{limits['max_aspect']:g}", source,
                       span, label=shown, help="crop it closer to square")
            return
        if measured.alpha:
            yield make("SB611", f"the {_role_name(role)} has transparency; the model takes pictures without it",
                       source, span, label="transparent", help="flatten it onto a background (PNG without alpha, or JPEG)")
            return
    length = measured.seconds
    if length is not None and "max_seconds" in limits and not limits["min_seconds"] <= length <= limits["max_seconds"]:
        yield make("SB612", f"the {_role_name(role)} lasts {length:.1f}s; the model takes "
                   f"{limits['min_seconds']:g}-{limits['max_seconds']:g}s", source, span,
                   label=f"{length:.1f}s", help="trim or extend it into that range")
        return
    if measured.fps is not None and measured.fps < limits.get("min_fps", 0):
        yield make("SB612", f"the {_role_name(role)} runs at {measured.fps:.0f} fps; the model takes at least "
                   f"{limits['min_fps']:g}", source, span, label=f"{measured.fps:.0f} fps", help="re-encode it")


_PROBED: dict[tuple[str, str, float, int], Union[Measured, None]] = {}


def probe(path: str, kind: str) -> Union[Measured, None]:
    """The file's header as `kind` (image, audio, video), or None when it is not readable as that."""
    stat = os.stat(path)
    key = (path, kind, stat.st_mtime, stat.st_size)
    if key not in _PROBED:
        if len(_PROBED) > 256:
            _PROBED.clear()
        _PROBED[key] = _probe_image(path) if kind == "image" else _probe_stream(path, kind)
    return _PROBED[key]


def _probe_image(path: str) -> Union[Measured, None]:
    try:
        from PIL import Image

        with Image.open(path) as image:
            alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
            return Measured(width=image.width, height=image.height, alpha=alpha)
    except Exception:  # noqa: BLE001 - Pillow raises many types for damaged or foreign files
        return None


def _probe_stream(path: str, kind: str) -> Union[Measured, None]:
    try:
        import av

        with av.open(path) as container:
            streams = container.streams.video if kind == "video" else container.streams.audio
            if not streams:
                return None
            stream: Any = streams[0]
            length = _stream_seconds(container, stream)
            if kind == "audio":
                return Measured(seconds=length)
            rate = stream.average_rate
            return Measured(width=stream.codec_context.width, height=stream.codec_context.height, seconds=length,
                            fps=float(rate) if rate else None)
    except Exception:  # noqa: BLE001 - PyAV raises many types for damaged or foreign files
        return None


def _stream_seconds(container: Any, stream: Any) -> Union[float, None]:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    return None


RULES = (combinations, durations, ratio_ignored, edit_words, voices, declarations, files)
