"""One storyboard as the media commands see it: clips in film order, their timed shots, prompts,
prices, and the renders its lock file records. The entry point is `load_board(path, profiles)`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NamedTuple, Union

from ..language.names import resolve
from ..language.nodes import Camera, Cue, Declaration, Dialogue, Prose, Shot, Soundtrack, Text

if TYPE_CHECKING:
    from ..base.diagnostics import Diagnostic
    from ..base.source import Source
    from ..compile.plan import ClipPlan, Plan
    from ..models.pricing import Price
    from ..models.profile import Catalog
    from ..submit.lock import LockedClip


class Line(NamedTuple):
    """A cue (`sfx`, `music`, `ambience`) or a dialogue line (`say`, `voiceover`) as written."""

    kind: str
    speaker: str  # "" for cues
    text: str


class ShotView(NamedTuple):
    number: int  # 1-based within the clip
    start: int  # milliseconds from the clip's start
    end: int
    framing: str
    text: tuple[str, ...]  # the shot's prose
    camera: tuple[str, ...]
    cast: tuple[str, ...]  # cast members referred to, in order of first mention
    cues: tuple[Line, ...]
    dialogue: tuple[Line, ...]
    line: int  # where the shot is written (1-based)

    @property
    def millis(self) -> int:
        return self.end - self.start

    def summary(self) -> str:
        """The shot in one paragraph, for a card."""
        parts = [*self.text, *(f"camera: {text}" for text in self.camera)]
        parts += [f"{line.kind} {line.speaker}: {line.text}" for line in self.dialogue]
        parts += [f"{line.kind}: {line.text}" for line in self.cues]
        return "  ".join(parts)


class InputView(NamedTuple):
    """A picture, clip or sound a clip sends (or a declaration carries), as the sheet shows it."""

    role: str  # `first_frame`, `reference_image`, … (`image`, `voice`, … for a declaration's own list)
    owner: str  # the cast member or place it belongs to; "" for the clip's own inputs
    label: str  # how the prompt names it (`Image 1`), or ""
    source: str  # as written: a path or a URL
    file: Union[str, None]  # the local file, None for a URL


class Render(NamedTuple):
    """A rendered clip: its lock entry and the video's absolute path (None when the file is gone)."""

    locked: LockedClip
    path: Union[str, None]


class ClipView(NamedTuple):
    name: str  # the request's name: `opening`, or `chase-2` for a scene's second part
    scene: str  # the clip or scene it comes from
    part: Union[int, None]
    millis: int  # declared length
    shots: tuple[ShotView, ...]
    text: tuple[str, ...]  # the clip's own prose
    camera: tuple[str, ...]
    cues: tuple[Line, ...]  # the clip's own cues (whole-clip)
    dialogue: tuple[Line, ...]
    soundtrack: Union[str, None]  # as written
    soundtrack_file: Union[str, None]  # the local file it names, None for a URL
    prompt: str
    body: dict[str, Any]  # the request body as compiled now
    price: Price
    render: Union[Render, None]  # the selected take (`story select`): what cut, export and the animatic use
    takes: tuple[Render, ...] = ()  # every take the lock file records, by take number
    inputs: tuple[InputView, ...] = ()  # what the request sends, in its order (media inputs)
    contains: Union[str, None] = None  # the clip this one's video begins with (`continue NAME clip`, wan2.7-i2v)

    @property
    def first_frame(self) -> Union[str, None]:
        """The local picture the clip starts on, if it has one."""
        return next((item.file for item in self.inputs if item.role == "first_frame" and item.file), None)

    @property
    def video(self) -> Union[str, None]:
        return self.render.path if self.render else None


class Board(NamedTuple):
    path: str
    title: str
    model: str
    region: str
    currency: str
    seed: Union[int, None]
    clips: tuple[ClipView, ...]
    lock_path: str
    size: tuple[int, int]  # the pixels requested, width and height
    language: str = "zh"  # the `language` setting (prompt language), as compile defaults it
    references: tuple[InputView, ...] = ()  # every cast member's and place's reference media

    @property
    def millis(self) -> int:
        return sum(clip.millis for clip in self.clips)

    def missing(self) -> list[str]:
        """Clips with no video on disk yet, in film order."""
        return [clip.name for clip in self.clips if clip.video is None]

    def stale(self) -> list[str]:
        """Rendered clips whose request, as the storyboard compiles now, is not the one rendered
        (the lock file's request hash, as `story render` computes it)."""
        from ..compile.takes import take_body
        from ..language.load import find_root
        from ..submit.chain import continued_source, source_hashes
        from ..submit.jobs import gated_files
        from ..submit.journal import request_hash
        from ..submit.upload import file_hashes, local_files

        found = []
        root = find_root(self.path)
        for clip in self.clips:
            if clip.render is None:
                continue
            locked = clip.render.locked
            try:  # the request's local files through the one gate, as `story render` reads them
                hashes = file_hashes(gated_files(local_files(clip.body, self.path), root, f"clip `{clip.name}`", None))
            except Exception:  # noqa: BLE001 - a soundtrack gone since: the request cannot be the same
                found.append(clip.name)
                continue
            source = continued_source(clip.body)
            if source is not None:  # a chain: the request counts the selected video of its source
                sha256 = self.source_video(source)
                if sha256 is None:
                    found.append(clip.name)
                    continue
                hashes = {**hashes, **source_hashes(source, sha256)}
            model = str(clip.body.get("model", locked.model))
            body = take_body(clip.body, locked.take)  # the selected take's request as it compiles now
            if request_hash(model, locked.region, body, hashes) != locked.request:
                found.append(clip.name)
        return found

    def source_video(self, source: str) -> Union[str, None]:
        """The sha256 of the video a continuing clip starts from: its source's selected take, in this
        storyboard or (`ep1.story:finale`) in the lock file of another; None when not made."""
        from ..check.chains import other_storyboard, split_key
        from ..submit.jobs import SourceNotRendered, last_parts
        from ..submit.lock import LockError, lock_path, read_lock

        file, name = split_key(source)
        if file is None:
            made = source_of(self.clips, name)
            return made.render.locked.sha256 if made is not None and made.render is not None else None
        other = other_storyboard(self.path, file)
        try:  # the name its last request has there (`finale-2` for a scene), as `story render` finds it
            lock, part = read_lock(lock_path(other)), last_parts(other).get(name, name)
        except (LockError, SourceNotRendered):
            return None
        entry = lock.clips.get(part) if lock is not None else None
        return entry.sha256 if entry is not None else None

    @property
    def film(self) -> tuple[ClipView, ...]:
        """The clips the film is made of: all but a clip whose video another one begins with (`continue NAME
        clip` on a model whose output includes the clip it continues, wan2.7-i2v)."""
        inside = {clip.contains for clip in self.clips if clip.contains}
        return tuple(clip for clip in self.clips if clip.name not in inside)

    def changed(self) -> list[str]:
        """Rendered clips whose video is no longer the file the lock file records (by sha256)."""
        import hashlib

        found = []
        for clip in self.clips:
            if clip.render is None or clip.render.path is None:
                continue
            digest = hashlib.sha256()
            with open(clip.render.path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            if digest.hexdigest() != clip.render.locked.sha256.removeprefix("sha256:"):
                found.append(clip.name)
        return found


class BoardError(Exception):
    """The storyboard has errors (already rendered as text), or its lock file cannot be read."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = (),
                 sources: Union[dict[str, Source], None] = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics
        self.sources = sources or {}


def load_board(path: str, profiles: Catalog) -> Board:
    """Check, plan and render the storyboard at `path`; raise BoardError when it has errors."""
    from ..base.diagnostics import has_errors
    from ..compile.diagnose import checked_plan
    from ..compile.emit import compile_plan
    from ..language.load import load
    from ..submit.lock import LockError, lock_path, read_lock

    program = load(path)
    found, planned = checked_plan(program, profiles)
    compiled = compile_plan(planned) if planned is not None else None
    problems = (*found, *(compiled.diagnostics if compiled else ()))
    if planned is None or compiled is None or has_errors(problems):
        raise BoardError(f"{path} has errors; run `story check {path}`", tuple(problems), program.sources)
    locked = lock_path(path)
    try:
        lock = read_lock(locked)
    except LockError as error:
        raise BoardError(str(error)) from None
    prompts = {clip.name: clip for clip in compiled.clips}
    renders: dict[str, Render] = {}
    takes: dict[str, tuple[Render, ...]] = {}
    if lock is not None:  # validated: each video stays inside the lock file's folder, a regular file if there
        folder = os.path.dirname(locked) or "."
        for name, recorded in lock.every_take().items():
            takes[name] = tuple(_render(folder, recorded[number]) for number in sorted(recorded))
            renders[name] = _render(folder, lock.clips[name])
    region = _region(planned)
    cast = _cast(planned)
    clips = tuple(
        _clip(planned, clip_plan, prompts[clip_plan.name].prompt, prompts[clip_plan.name].body, region, cast,
              renders.get(clip_plan.name))._replace(takes=takes.get(clip_plan.name, ()))
        for clip_plan in planned.clips
    )
    clips = _containing(planned, clips)
    title = str(planned.settings.get("storyboard") or "").strip().strip('"') or os.path.basename(path)
    seed = planned.settings.get("seed")
    currency = clips[0].price.currency if clips else ""
    return Board(path, title, planned.model, region, currency,
                 seed if isinstance(seed, int) and not isinstance(seed, bool) else None, clips, locked,
                 _size(planned), _language(planned), _references(planned))


def source_of(clips: tuple[ClipView, ...], name: str) -> Union[ClipView, None]:
    """The clip `continue NAME` starts from: the clip NAME, or scene NAME's last part."""
    named = [clip for clip in clips if clip.name == name or (clip.scene == name and clip.part is not None)]
    return named[-1] if named else None


def _containing(plan: Plan, clips: tuple[ClipView, ...]) -> tuple[ClipView, ...]:
    """Mark each clip whose output begins with the clip it continues (its profile's `continue_clip`)."""
    from ..check.chains import continue_clip
    from ..submit.chain import continued_source, sends_whole_clip

    found = []
    for clip, clip_plan in zip(clips, plan.clips, strict=True):
        source = continued_source(clip.body)
        how = continue_clip(plan.profile_for(clip_plan))
        inside = source_of(clips, source) if source is not None and sends_whole_clip(clip.body) else None
        found.append(clip._replace(contains=inside.name) if inside is not None and how and how["includes_input"]
                     else clip)
    return tuple(found)


def _references(plan: Plan) -> tuple[InputView, ...]:
    from ..check.media import declarations_in, local_path

    return tuple(
        InputView(medium.kind, name, "", medium.text.value, local_path(medium, source.path))
        for name, (declaration, source) in declarations_in(plan.program).items() for medium in declaration.media
    )


def _inputs(plan: Plan, clip_plan: ClipPlan) -> tuple[InputView, ...]:
    from ..check.media import local_path
    from ..compile.media import clip_items, labels

    profile = plan.profile_for(clip_plan)
    if profile.media is None:
        return ()
    items = clip_items(plan, clip_plan)
    named = labels(items, profile, str(plan.settings_for(clip_plan).get("language", "zh")))
    found = []
    for item in items:
        found.append(InputView(item.role, item.owner or "", named.get(item.owner or "", ""), item.medium.text.value,
                               local_path(item.medium, item.path)))
        if item.voice is not None:
            found.append(InputView("reference_voice", item.owner or "", "", item.voice.text.value,
                                   local_path(item.voice, item.path)))
    return tuple(found)


def _render(folder: str, entry: LockedClip) -> Render:
    video = os.path.normpath(os.path.join(folder, *entry.video.split("/")))
    return Render(entry, video if os.path.isfile(video) else None)


def _size(plan: Plan) -> tuple[int, int]:
    from ..compile.emit import request_values

    if not plan.clips:
        return (1280, 720)
    size = str(request_values(plan, plan.clips[0], "")["size"] or "1280*720")
    width, _, height = size.partition("*")
    return (int(width), int(height))


def _language(plan: Plan) -> str:
    from ..compile.bound import DEFAULT_LANGUAGE

    return str(plan.settings.get("language") or DEFAULT_LANGUAGE)


def _region(plan: Plan) -> str:
    from ..models.regions import RegionError, resolve_region

    try:
        return resolve_region(plan.settings.get("region"), None, os.environ)
    except RegionError as error:
        raise BoardError(str(error)) from None


def _cast(plan: Plan) -> set[str]:
    names: set[str] = set()
    for result in (plan.program.entry, *plan.program.includes):
        if result.storyboard is not None:
            names.update(d.name for d in result.storyboard.declarations if isinstance(d, Declaration) and d.kind == "cast")
    return names


def _clip(plan: Plan, clip_plan: ClipPlan, prompt: str, body: dict[str, Any], region: str, cast: set[str],
          render: Union[Render, None]) -> ClipView:
    from ..check.audio import soundtrack_path
    from ..models.pricing import body_price

    source = plan.program.entry.source
    shots = tuple(
        _shot(number, timed.shot, timed.start, timed.end, cast, source)
        for number, timed in enumerate(clip_plan.shots, start=1)
    )
    soundtrack = next((line for line in clip_plan.lines if isinstance(line, Soundtrack)), None)
    price = body_price(plan.profile_for(clip_plan), plan.region_for(clip_plan), body)  # as `story plan` prices it
    own = clip_plan.lines
    return ClipView(
        clip_plan.name, clip_plan.clip.name, clip_plan.part, clip_plan.millis, shots,
        tuple(line.text.value for line in own if isinstance(line, Prose)),
        tuple(line.text.value for line in own if isinstance(line, Camera)),
        tuple(Line(line.kind, "", line.text.value) for line in own if isinstance(line, Cue)),
        tuple(Line(line.kind, line.speaker, line.line.value) for line in own if isinstance(line, Dialogue)),
        soundtrack.source.value if soundtrack else None,
        soundtrack_path(soundtrack, source.path) if soundtrack else None,
        prompt, body, price, render, inputs=_inputs(plan, clip_plan),
    )


def _shot(number: int, shot: Shot, start: int, end: int, cast: set[str], source: Source) -> ShotView:
    texts: list[Text] = [shot.text] if shot.text is not None else []
    prose, camera, cues, dialogue = [], [], [], []
    for line in shot.lines:
        if isinstance(line, Prose):
            prose.append(line.text.value)
            texts.append(line.text)
        elif isinstance(line, Camera):
            camera.append(line.text.value)
            texts.append(line.text)
        elif isinstance(line, Cue):
            cues.append(Line(line.kind, "", line.text.value))
            texts.append(line.text)
        elif isinstance(line, Dialogue):
            dialogue.append(Line(line.kind, line.speaker, line.line.value))
            texts.append(line.line)
    people: list[str] = []

    def meet(name: str) -> None:
        if name in cast and name not in people:
            people.append(name)

    for text in texts:
        for ref in text.refs:
            meet(resolve(ref.name, cast) or ref.name)
    for line in shot.lines:
        if isinstance(line, Dialogue):
            meet(line.speaker)
    written = [shot.text.value] if shot.text is not None else []
    return ShotView(
        number, start, end, shot.framing.value if shot.framing else "", (*written, *prose), tuple(camera),
        tuple(people), tuple(cues), tuple(dialogue), source.position(shot.span.start).line,
    )


def clock(millis: float) -> str:
    """`75500` -> `1:15.5`; `3000` -> `0:03`."""
    minutes, rest = divmod(int(round(millis)), 60_000)
    whole, fraction = divmod(rest, 1000)
    return f"{minutes}:{whole:02d}" + (f".{fraction:03d}".rstrip("0") if fraction else "")
