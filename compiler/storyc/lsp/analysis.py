"""One editor buffer run through the same stages as `story check`: load, check, plan, prompt lengths.

An `Analysis` is rebuilt on the first feature request after a change (diagnostics come from
`incremental`) and holds nothing from the previous one, so a long-running server keeps one per open
document and no more.
"""

from __future__ import annotations

import contextlib
import gc
import os
from typing import Any, Iterator, NamedTuple, Union

from ..base.diagnostics import Diagnostic
from ..base.source import Source, Span
from ..check.rules import dialogues, texts
from ..compile.plan import ClipPlan, Plan, plan
from ..language.load import Program, load, load_parsed
from ..language.names import resolve
from ..language.nodes import Clip, Declaration, Setting, Shot, Storyboard, Text
from ..language.parse import ParseResult
from ..language.timeline import Timed, timed_shots
from ..models.pricing import Price, body_price, clip_price, tier_of
from ..models.profile import DEFAULT_MODEL, Catalog, Profile
from .positions import UTF16, LineIndex


class Occurrence(NamedTuple):
    """Where a declared name is written: `span` covers the name alone (never the `@`)."""

    path: str
    span: Span
    is_declaration: bool


class Analysis:
    """Everything the editor features read about one buffer and the files it includes."""

    def __init__(self, path: str, text: str, profiles: Catalog, encoding: str = UTF16,
                 uri: Union[str, None] = None, part: bool = False, parsed: Union[ParseResult, None] = None) -> None:
        from ..compile.diagnose import checked_plan
        from ..language.parse import edited, parse

        if not part:
            edited(path)  # each change re-parses from near the edit, not from the top
        self.path = path
        self.uri = uri or uri_of(path)
        self.text = text
        self.profiles = profiles
        self.encoding = encoding
        self.program: Program
        if part:  # a clip with the file's header, read as `incremental` checks it (not resumed: the
            # buffer's own parse stays the one the next change resumes); `parsed`: that text's parse
            self.program = load_parsed(parsed if parsed is not None and parsed.source.text == text
                                       else parse(Source(path, text), resume=False))
        else:
            self.program = load(path, text.encode("utf-8", errors="surrogatepass"))
        # As in `diagnose.diagnosed_plan`: the rules build acyclic values, so the collector waits
        # (its young collections would walk the new tree again) and the survivors go to the oldest
        # generation.
        enabled = gc.isenabled()
        gc.disable()
        try:
            found, self.plan = checked_plan(self.program, profiles)
            if self.plan is not None:
                from ..compile.emit import prompt_diagnostics

                found.extend(prompt_diagnostics(self.plan))
        finally:
            if enabled:
                gc.freeze()
                gc.unfreeze()
                gc.enable()
        self.diagnostics: list[Diagnostic] = found
        self._indexes: dict[str, LineIndex] = {}
        self._any_plan: Union[Plan, None, bool] = False
        self._bodies: Union[tuple[Plan, dict[str, Union[dict[str, Any], None]]], None] = None

    # -- sources and positions

    @property
    def storyboard(self) -> Union[Storyboard, None]:
        return self.program.entry.storyboard

    @property
    def source(self) -> Source:
        return self.program.entry.source

    def lines(self, path: str) -> LineIndex:
        index = self._indexes.get(path)
        if index is None:
            source = self.program.sources.get(path)
            index = self._indexes[path] = LineIndex(source.text if source else "", self.encoding)
        return index

    def uri_for(self, path: str) -> str:
        """The editor's URI for the buffer itself, a file URI for the files it includes."""
        return self.uri if path == self.path else uri_of(path)

    def results(self) -> Iterator[tuple[Source, Storyboard]]:
        """Each parsed file of the program, the entry last (as declarations are scoped)."""
        for result in (*self.program.includes, self.program.entry):
            if result.storyboard is not None:
                yield result.source, result.storyboard

    # -- the model and the plan

    @property
    def profile(self) -> Union[Profile, None]:
        """The file's model."""
        return self.profile_at(-1)

    def profile_at(self, offset: int) -> Union[Profile, None]:
        """The model in force at `offset`: the clip's own `model` line there, else the file's."""
        storyboard = self.storyboard
        model = DEFAULT_MODEL
        if storyboard is not None:
            for setting in storyboard.settings:
                if setting.key == "model":
                    model = setting.value.value
            clip = clip_at(storyboard, offset)
            for line in clip.lines if clip is not None else ():
                if isinstance(line, Setting) and line.key == "model":
                    model = line.value.value
        return self.profiles.get(model)

    def any_plan(self) -> Union[Plan, None]:
        """The clean check's plan, else a best-effort plan of a file with errors (for hints)."""
        if self.plan is not None:
            return self.plan
        if self._any_plan is False:
            try:
                self._any_plan = plan(self.program, self.profiles)
            except Exception:  # noqa: BLE001 - a broken file gets no hints, never a crash
                self._any_plan = None
        return self._any_plan if isinstance(self._any_plan, Plan) else None

    def price(self, planned: Plan, clip_plan: ClipPlan) -> Union[Price, None]:
        """The request's price as `story plan` gives it: read from its final body (after any project
        template) with the clip's own model and region; unknown when the clip does not compile."""
        profile, region = planned.profile_for(clip_plan), planned.region_for(clip_plan)
        body = self.body(planned, clip_plan)
        if body is not None:
            return body_price(profile, region, body)
        from ..compile.emit import request_values

        try:  # no body to price: the tier the storyboard asks for, shown beside an unknown amount
            tier = tier_of(profile, request_values(planned, clip_plan, ""))
        except (KeyError, TypeError, ValueError):
            tier = ""
        return clip_price(profile, region, tier, clip_plan.millis / 1000)._replace(amount=None)

    def body(self, planned: Plan, clip_plan: ClipPlan) -> Union[dict[str, Any], None]:
        """The request's final body (project templates included), None when it does not compile.

        Compiled on first need, a clip (all the requests of a scene) at a time, so that the hints of
        the lines on screen do not wait for every prompt of a long file.
        """
        if self._bodies is None or self._bodies[0] is not planned:
            self._bodies = (planned, {})
        bodies = self._bodies[1]
        if clip_plan.name not in bodies:
            from ..compile.emit import compile_plan

            parts = tuple(part for part in planned.clips if part.clip is clip_plan.clip) or (clip_plan,)
            bodies.update((part.name, None) for part in parts)
            # a file with errors may not compile: its prices are unknown, never a failed request
            with contextlib.suppress(Exception):
                bodies.update((clip.name, clip.body) for clip in compile_plan(planned._replace(clips=parts)).clips)
        return bodies.get(clip_plan.name)

    def parts(self, clip: Clip) -> list[ClipPlan]:
        """The requests a clip makes (a scene may make several)."""
        planned = self.any_plan()
        if planned is None:
            return []
        return [part for part in planned.clips if part.clip is clip]

    def shot_times(self, clip: Clip) -> dict[int, tuple[Timed, Union[str, None]]]:
        """Each shot's time range, keyed by the shot's start offset, within the request it lands in."""
        found: dict[int, tuple[Timed, Union[str, None]]] = {}
        parts = self.parts(clip)
        if parts:
            for part in parts:
                for timed in part.shots:
                    found[timed.shot.span.start] = (timed, part.name if part.part is not None else None)
            return found
        for timed in timed_shots(clip.shots):
            found[timed.shot.span.start] = (timed, None)
        return found

    # -- names

    def declarations(self) -> dict[str, tuple[Declaration, Source]]:
        declared: dict[str, tuple[Declaration, Source]] = {}
        for source, storyboard in self.results():
            for declaration in storyboard.declarations:
                declared.setdefault(declaration.name, (declaration, source))
        return declared

    def occurrences(self, name: str) -> list[Occurrence]:
        """The declaration(s) of `name` and every `@name` and speaker naming it, across includes."""
        found: list[Occurrence] = []
        declared = self.declarations()
        for source, storyboard in self.results():
            for declaration in storyboard.declarations:
                if declaration.name == name:
                    found.append(Occurrence(source.path, declaration.name_span, True))
            for text in _all_texts(storyboard):
                for ref in text.refs:
                    # In run-on CJK prose `ref.name` is all the text read; the name is its declared prefix.
                    if resolve(ref.name, declared) == name:
                        start = ref.span.start + 1
                        found.append(Occurrence(source.path, Span(start, start + len(name)), False))
            for clip in storyboard.clips:
                for dialogue in dialogues(clip):
                    if dialogue.speaker == name:
                        found.append(Occurrence(source.path, dialogue.speaker_span, False))
        return found

    def name_at(self, path: str, offset: int) -> Union[str, None]:
        """The declared name under the cursor: a declaration, an `@name` or a speaker."""
        for source, storyboard in self.results():
            if source.path != path:
                continue
            for declaration in storyboard.declarations:
                if _inside(offset, declaration.name_span):
                    return declaration.name
            for text in _all_texts(storyboard):
                for ref in text.refs:
                    if _inside(offset, ref.span):
                        return resolve(ref.name, self.declarations()) or ref.name
            for clip in storyboard.clips:
                for dialogue in dialogues(clip):
                    if _inside(offset, dialogue.speaker_span):
                        return dialogue.speaker
        return None


def uri_of(path: str) -> str:
    from pygls.uris import from_fs_path

    return str(from_fs_path(os.path.abspath(path)) or path)


def _all_texts(storyboard: Storyboard) -> Iterator[Text]:
    yield from texts(storyboard)
    for item in storyboard.items:
        if isinstance(item, Setting):
            yield item.value


def _inside(offset: int, span: Span) -> bool:
    return span.start <= offset <= span.end


def clip_at(storyboard: Storyboard, offset: int) -> Union[Clip, None]:
    for clip in storyboard.clips:
        if clip.span.start <= offset <= clip.span.end:
            return clip
    return None


def shot_at(clip: Clip, offset: int) -> Union[Shot, None]:
    for shot in clip.shots:
        if shot.span.start <= offset <= shot.span.end:
            return shot
    return None
