"""The validator. The entry point is `check(program)`: every rule runs and every problem is reported.

Rules are small functions yielding diagnostics. Model limits come from the profiles alone; no rule
branches on a model's name.
"""

from __future__ import annotations

import gc
import re
from typing import Any, Iterator, Union

from ..base.diagnostics import MACHINE_APPLICABLE, MAYBE_INCORRECT, Diagnostic, Fix, make
from ..base.source import Source, Span
from ..language.load import Program
from ..language.names import Suggestions, run_on
from ..language.names import resolve as resolve_name
from ..language.nodes import (
    Camera,
    Clip,
    Cue,
    Declaration,
    Dialogue,
    MediaInput,
    Prose,
    Ref,
    Setting,
    Shot,
    Soundtrack,
    Storyboard,
    Text,
)
from ..language.settings import for_clip, resolve, spec
from ..models.profile import DEFAULT_MODEL, Catalog, catalog
from ..models.regions import scope_region
from . import audio, chains, conflicts, framing, limits, media, text
from .context import Context, Rule, Scope
from .suggest import closest, unique_typo

__all__ = ["Context", "Rule", "check", "dialogues", "texts"]


def check(program: Program, profiles: Union[Catalog, None] = None, region: Union[str, None] = None) -> list[Diagnostic]:
    """All diagnostics for a loaded program: reading and syntax first, then every rule.

    `profiles` defaults to the built-in model profiles; the model is `wan2.7-t2v` unless set.
    `region` is the resolved region (`regions.region_for`); by default the `region` setting,
    else $DASHSCOPE_REGION, else singapore.
    """
    # The rules allocate a little for every shot; a collection then would walk the whole tree (a
    # full one can take longer than the rules). What they build is acyclic: the collector waits,
    # and the survivors go to the oldest generation, as after a parse.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check(program, profiles, region)
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _check(program: Program, profiles: Union[Catalog, None], region: Union[str, None]) -> list[Diagnostic]:
    diagnostics = list(program.diagnostics)
    storyboard = program.entry.checkable()  # a clip that lost a line to a syntax error waits for the fix
    if storyboard is None:
        return diagnostics
    source = program.entry.source
    settings, problems = resolve(storyboard, source)
    diagnostics.extend(problems)
    declarations, duplicates = _scope(program)
    diagnostics.extend(duplicates)
    profiles = profiles or catalog()
    profile = profiles.get(str(settings.get("model", DEFAULT_MODEL)))
    scopes: dict[int, Scope] = {}
    for clip in storyboard.clips:
        own, problems = for_clip(settings, clip, source)
        diagnostics.extend(problems)
        if own is not settings:
            scopes[id(clip)] = Scope(own, profiles.get(str(own.get("model", DEFAULT_MODEL))))
        picked = media.pick(profiles, str(own.get("model", DEFAULT_MODEL)), clip, source.path, declarations)
        if picked is not None:  # `model wan2.7`: the member that takes what this clip has
            scopes[id(clip)] = Scope(own, picked[0])
    context = Context(source, storyboard, settings, declarations, program, profiles, profile, scopes)
    found: list[Diagnostic] = []
    for rule in RULES:
        found.extend(rule(context))
    for scope in context.distinct_scopes():
        found.extend(limits.region_rules(source, scope.settings, scope.profile,
                                         scope_region(scope.settings, settings, region), profiles))
    # Clips that share a setting would each report its problem; once is enough.
    diagnostics.extend(dict.fromkeys(found))
    return diagnostics


def _scope(program: Program) -> tuple[dict[str, tuple[Declaration, Source]], list[Diagnostic]]:
    declared: dict[str, tuple[Declaration, Source]] = {}
    diagnostics: list[Diagnostic] = []
    for result in (*program.includes, program.entry):
        if result.storyboard is None:
            continue
        for declaration in result.storyboard.declarations:
            if declaration.name in declared:
                first, where = declared[declaration.name]
                line = where.position(first.span.start).line
                diagnostics.append(make(
                    "SB207", f"`{declaration.name}` is declared twice", result.source,
                    declaration.name_span, label="second declaration",
                    help=f"rename one; the first is a {first.kind} in {where.path}:{line}",
                ))
                continue
            declared[declaration.name] = (declaration, result.source)
    return declared, diagnostics


def texts(storyboard: Storyboard) -> Iterator[Text]:
    """Every piece of free text that can hold `@name` references."""
    for item in storyboard.items:
        if isinstance(item, Declaration):
            yield item.text
        elif isinstance(item, Clip):
            yield from _clip_texts(item)


def _clip_texts(clip: Clip) -> Iterator[Text]:
    for line in clip.lines:
        if isinstance(line, Shot):
            if line.text is not None:
                yield line.text
            yield from (_line_text(inner) for inner in line.lines)
        elif not isinstance(line, Setting):
            yield _line_text(line)


def _line_text(line: Union[Prose, Camera, Cue, Dialogue, Soundtrack, MediaInput]) -> Text:
    if isinstance(line, Dialogue):
        return line.line
    if isinstance(line, Soundtrack):
        return line.source
    return line.text


def dialogues(clip: Clip) -> Iterator[Dialogue]:
    for line in clip.lines:
        if isinstance(line, Dialogue):
            yield line
        elif isinstance(line, Shot):
            yield from (inner for inner in line.lines if isinstance(inner, Dialogue))


def _references(context: Context) -> tuple[list[Ref], set[str]]:
    """Every `@name` in the file (as `texts` would find them) and every speaker, in one flat pass."""
    refs: list[Ref] = []
    speakers: set[str] = set()
    item: Any
    line: Any
    kind: type
    for item in context.storyboard.items:
        kind = type(item)
        if kind is Declaration:
            refs += item.text.refs
        elif kind is Clip:
            for line in item.lines:
                kind = type(line)
                if kind is Shot:
                    if line.text is not None:
                        refs += line.text.refs
                    for inner in line.lines:
                        if type(inner) is Dialogue:
                            refs += inner.line.refs
                            speakers.add(inner.speaker)
                        else:
                            refs += inner.text.refs
                elif kind is Dialogue:
                    refs += line.line.refs
                    speakers.add(line.speaker)
                elif kind is Soundtrack:
                    refs += line.source.refs
                elif kind is not Setting:
                    refs += line.text.refs
    return refs, speakers


def names_in_use(context: Context) -> Iterator[Diagnostic]:
    """References to nothing declared, then declarations nothing refers to: one walk for both."""
    refs, speakers = _references(context)
    yield from undeclared_names(context, refs)
    yield from unused_declarations(context, refs, speakers)


def undeclared_names(context: Context, refs: list[Ref]) -> Iterator[Diagnostic]:
    suggestions = None  # built on the first unknown name only
    declared = context.declarations
    unknown = {name for name in {ref.name for ref in refs} if resolve_name(name, declared) is None}
    if not unknown:
        return
    for ref in refs:
        if ref.name in unknown:
            suggestions = suggestions or Suggestions(list(context.declarations))
            close, replaced = suggestions.closest(ref.name)
            hint = f"the closest declared name is `@{close}`" if close else \
                f"declare it, e.g. `cast {ref.name}: …`, or include the file that does"
            if close is None and run_on(ref.name):
                hint = ("no declared name starts it (after `@`, a name is read up to a space or punctuation "
                        "mark): declare the name with `cast`, `place` or `style`, or include the file that does")
            fixed = Span(ref.span.start, ref.span.start + 1 + replaced)
            # Never applied by --fix: the closest name may well be another character.
            yield make(
                "SB205", f"`@{ref.name}` is not declared", context.source, ref.span,
                label="unknown name", help=hint, fix=Fix(fixed, f"@{close}") if close else None,
            )


def unused_declarations(context: Context, refs: list[Ref], speakers: set[str]) -> Iterator[Diagnostic]:
    if not context.storyboard.clips:
        return  # a file of declarations only is a library for others to include
    if not context.program.entry.complete:
        return  # lines left out by a syntax error may be the ones that use a name
    used = {resolve_name(name, context.declarations) for name in {ref.name for ref in refs}}
    used |= speakers
    for declaration in context.storyboard.declarations:
        if declaration.name not in used:
            yield make(
                "SB206", f"{declaration.kind} `{declaration.name}` is never used", context.source,
                declaration.name_span, label="declared here",
                help=f"refer to it as `@{declaration.name}` in a shot, or delete it",
            )


def duplicate_clips(context: Context) -> Iterator[Diagnostic]:
    seen: dict[str, Clip] = {}
    for clip in context.storyboard.clips:
        if clip.name in seen:
            line = context.source.position(seen[clip.name].span.start).line
            yield make(
                "SB208", f"{clip.kind} `{clip.name}` is defined twice", context.source, clip.name_span,
                label="second definition", help=f"rename it; the first is on line {line}",
            )
        else:
            seen[clip.name] = clip


def speakers(context: Context) -> Iterator[Diagnostic]:
    for clip in context.storyboard.clips:
        for dialogue in dialogues(clip):
            found = context.declarations.get(dialogue.speaker)
            if found is None:
                yield make(
                    "SB210", f"speaker `{dialogue.speaker}` is not declared", context.source,
                    dialogue.speaker_span, label="unknown speaker",
                    help=f"declare the voice: `cast {dialogue.speaker}: …`",
                )
            elif found[0].kind != "cast":
                yield make(
                    "SB214", f"speaker `{dialogue.speaker}` is a {found[0].kind}, not a cast member",
                    context.source, dialogue.speaker_span, label="not a cast member",
                    help="only `cast` members speak; declare the voice with `cast`",
                )


def framings(context: Context) -> Iterator[Diagnostic]:
    for clip in context.storyboard.clips:
        for shot in clip.shots:
            if shot.framing is not None and framing.canonical(shot.framing.value) is None:
                typo = unique_typo(shot.framing.value, framing.known())
                close = typo or closest(shot.framing.value.lower(), framing.known())
                hint = f"the closest framing is `{close}`" if close else \
                    "write the framing in the shot's prose instead, or use one from docs/language.md"
                # A slip of the keys in a fixed vocabulary is safe to correct; a merely similar word is not.
                fix = Fix(shot.framing.span, close, MACHINE_APPLICABLE if typo else MAYBE_INCORRECT) if close else None
                yield make(
                    "SB211", f"unknown framing `{shot.framing.value}`", context.source,
                    shot.framing.span, label="not a framing", help=hint, fix=fix,
                )


_LABELED = re.compile(r"([A-Za-z][A-Za-z-]*)[ \t]*[:：]")
_SPOKEN = re.compile(r"([A-Za-z]+)[ \t]+([^\W\d][\w-]*)[ \t]*[:：]")
_CUE_LABELS = ("camera", "sfx", "music", "ambience")
_SPEECH = ("say", "voiceover")


def misspelled_labels(context: Context) -> Iterator[Diagnostic]:
    """`camrea: pan left` is prose as written; say which label was meant."""
    settings = tuple(key for key in spec() if key not in ("storyboard", "style"))
    for clip in context.storyboard.clips:
        # When every prose line looks labelled and there are no shots, fixing them all would leave the
        # clip nothing to show: then the fixes are only offered.
        alone = not clip.shots and not any(
            isinstance(line, Prose) and not (_LABELED.match(line.text.value) or _SPOKEN.match(line.text.value))
            for line in clip.lines
        )
        # Both shapes `_label` looks for have a colon: most prose lines are passed over without a match.
        for line in clip.lines:
            if type(line) is Prose:
                if ":" in line.text.value or "：" in line.text.value:
                    yield from _label(context, line, (*_CUE_LABELS, "soundtrack"), settings, alone)
            elif type(line) is Shot:
                for inner in line.lines:
                    if type(inner) is Prose and (":" in inner.text.value or "：" in inner.text.value):
                        yield from _label(context, inner, _CUE_LABELS, (), False)


def _label(context: Context, line: Prose, labels: tuple[str, ...], settings: tuple[str, ...],
           alone: bool) -> Iterator[Diagnostic]:
    spoken = _SPOKEN.match(line.text.value)
    if spoken is not None:  # `sya fox: hello`, where `fox` is a cast member
        yield from _speech_keyword(context, line, spoken, alone)
        return
    match = _LABELED.match(line.text.value)
    if match is None:
        return
    word = match.group(1)
    lowered = word.lower()
    meant = lowered if lowered in labels else unique_typo(word, labels)
    setting = meant is None and lowered not in settings
    if setting:
        meant = unique_typo(word, settings)
    if meant is None:
        return
    start = line.text.span.start + match.start(1)
    span = Span(start, start + len(word))
    # A cue label only changes how the line is phrased; a soundtrack or a setting is checked against
    # files and the model, so those fixes are offered, not applied.
    safe = not setting and meant != "soundtrack" and not alone
    what = "setting" if setting else "label"
    case_only = meant == lowered
    yield make(
        "SB221", f"`{word}:` is not a {what}, so this line is prose", context.source, span,
        label=f"read as prose, not as `{meant}:`",
        help=f"write `{meant}:`" + (" (labels are lowercase)" if case_only else ""),
        fix=Fix(span, meant, MACHINE_APPLICABLE if safe else MAYBE_INCORRECT),
    )


def _speech_keyword(context: Context, line: Prose, match: re.Match[str], alone: bool) -> Iterator[Diagnostic]:
    word, speaker = match.group(1), match.group(2)
    declared = context.declarations.get(speaker)
    if declared is None or declared[0].kind != "cast":
        return
    meant = word.lower() if word.lower() in _SPEECH else unique_typo(word, _SPEECH)
    if meant is None:
        return
    start = line.text.span.start + match.start(1)
    span = Span(start, start + len(word))
    yield make(
        "SB221", f"`{word} {speaker}:` is not a dialogue line, so this line is prose", context.source, span,
        label=f"read as prose, not as `{meant} {speaker}:`",
        help=f"write `{meant} {speaker}:`" + (" (keywords are lowercase)" if meant == word.lower() else ""),
        fix=Fix(span, meant, MAYBE_INCORRECT if alone else MACHINE_APPLICABLE),
    )


def empty_clips(context: Context) -> Iterator[Diagnostic]:
    for clip in context.storyboard.clips:
        if not any(isinstance(line, (Shot, Prose)) for line in clip.lines):
            yield make(
                "SB212", f"{clip.kind} `{clip.name}` has no shots and no prose", context.source,
                clip.name_span, label="nothing to generate",
                help="describe the clip on an indented line below it, or add `shot` lines",
            )


def included_extras(context: Context) -> Iterator[Diagnostic]:
    for result in context.program.includes:
        if result.storyboard is None:
            continue
        for item in result.storyboard.items:
            if isinstance(item, (Clip, Setting)):
                yield make(
                    "SB204", "included files contribute declarations only; this line is ignored",
                    result.source, item.span, label="ignored when included",
                    help="move it into the storyboard that includes this file",
                )


RULES: tuple[Rule, ...] = (
    names_in_use, duplicate_clips, speakers, framings, misspelled_labels,
    empty_clips, included_extras, *limits.RULES, *audio.RULES, *conflicts.RULES,
    *text.RULES, *media.RULES, *chains.RULES,
)
