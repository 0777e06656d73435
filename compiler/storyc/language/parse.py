"""Text -> typed syntax tree. The one entry point is `parse(source)`.

grammar/story.lark is compiled at build time into LALR tables (`_tables.py`) run by `_lalr.py`, so a
parse needs neither lark's import nor grammar analysis. The callbacks below run inside the parser: they
only convert literals and build nodes. Every syntax error becomes a `Diagnostic`, never an exception.

A syntax error does not end the parse: the broken line is reported, then blanked out together with the
lines indented under it (the block it would have opened), and parsing resumes at the next line whose
indentation closes that block. The storyboard returned holds everything that parsed, so `check` still
runs on every other clip. After `MAX_SYNTAX_ERRORS` the rest of the file is left unread.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from functools import partial
from typing import Any, Callable, NamedTuple, Sequence, Union

from ..base.diagnostics import Diagnostic, make
from ..base.source import Source, Span
from . import _lalr
from ._lalr import IndentFailure, Token
from .nodes import (
    Camera,
    Clip,
    Cue,
    Declaration,
    Dialogue,
    Duration,
    Include,
    MediaInput,
    Prose,
    Ref,
    Setting,
    Shot,
    Soundtrack,
    Storyboard,
    Text,
    TimeRange,
)

TAB_WIDTH = 8
MAX_SYNTAX_ERRORS = 20
# `@` and a name: letters and digits of any script, `_`, and `-` between them. Chinese prose has no
# spaces, so the name read here may run on into the sentence; `names.resolve` finds the declared one.
_REF = re.compile(r"@([^\W\d]\w*(?:-\w+)*)")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# `shot` written with a capital, followed by what a shot header holds: read as prose, meant as a shot
# (compiled on first use, through `re`'s cache: most files never need it, and it costs 0.3 ms)
_CAPITALISED_SHOT = r"(?!shot)(?i:shot)[ \t]+(?:[0-9]+(?:\.[0-9]+)?(?:s|秒)(?![\w.])|\[)"
_COMMENT = re.compile(r"#[^\r\n]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_CONTROL_REPORTS = 20


class Comment(NamedTuple):
    """A `#` comment; `own_line` is false for a comment after code on the same line."""

    text: str
    span: Span
    own_line: bool


class ParseResult(NamedTuple):
    """`storyboard` holds everything that parsed (None only if nothing could be read at all)."""

    source: Source
    storyboard: Union[Storyboard, None]
    comments: tuple[Comment, ...]
    diagnostics: tuple[Diagnostic, ...]
    skipped: tuple[Span, ...] = ()  # the lines a syntax error left out of the tree

    @property
    def complete(self) -> bool:
        """True when the whole file parsed: no syntax error left any line out of the tree."""
        return self.storyboard is not None and not self.skipped

    def checkable(self) -> Union[Storyboard, None]:
        """The storyboard without the clips that lost a line to a syntax error.

        Such a clip's durations and shots would be judged on what is left of it; it is checked once
        its syntax is fixed. The other clips, the settings and the declarations are all there.
        """
        storyboard = self.storyboard
        if storyboard is None or not self.skipped:
            return storyboard
        starts = [item.span.start for item in storyboard.items]
        broken = set()
        for span in self.skipped:
            if self.source.text[span.start : span.start + 1] in (" ", "\t"):  # inside a block
                index = bisect_right(starts, span.start) - 1
                if index >= 0 and type(storyboard.items[index]) is Clip:
                    broken.add(index)
        if not broken:
            return storyboard
        kept = tuple(item for index, item in enumerate(storyboard.items) if index not in broken)
        return Storyboard(kept, storyboard.span)


class _Resumable(NamedTuple):
    """What a later parse of the same file needs to resume this one near its first change."""

    lexed: str
    checkpoints: list[_lalr.Checkpoint]
    comments: list[Comment]
    capitalised: list[Text]


_RESUMABLE: dict[str, _Resumable] = {}  # by path, for `parse(..., resume=True)`; the last few files
_MAX_RESUMABLE = 4
_EDITED: dict[str, None] = {}  # paths whose parses resume by default: buffers in an editor


def edited(path: str) -> None:
    """Parses of `path` resume by default from now on (for the last few paths named here)."""
    _EDITED.pop(path, None)
    while len(_EDITED) >= _MAX_RESUMABLE:
        _RESUMABLE.pop(next(iter(_EDITED)), None)
        del _EDITED[next(iter(_EDITED))]
    _EDITED[path] = None


def _unchanged_before(old: str, new: str) -> int:
    """The length of the longest common prefix of two texts."""
    step = 4096
    at = 0
    limit = min(len(old), len(new))
    while at < limit and old[at : at + step] == new[at : at + step]:
        at += step
    while at < limit and old[at] == new[at]:
        at += 1
    return min(at, limit)


def parse(source: Source, resume: Union[bool, None] = None) -> ParseResult:
    """Parse one file. Never raises, whatever the text.

    With `resume` (by default, for a path named to `edited`), the parse starts again from the last
    checkpoint before the first change since the last clean parse of the same path with `resume`
    (as an editor does on every keystroke); the result is the same as a parse from the start.
    """
    if resume is None:
        resume = source.path in _EDITED
    text = source.text
    # The lexer sees a BOM as a space and always a final newline; offsets stay those of `source`.
    lexed = (" " + text[1:]) if text.startswith("\ufeff") else text
    if not lexed.endswith("\n"):
        lexed += "\n"
    indenter = _Indenter(lexed)
    checkpoints: list[_lalr.Checkpoint] = []
    unchanged_before = 0
    capitalised: list[Text] = []  # prose lines shaped like a shot header: `Shot 2s wide`
    previous = _RESUMABLE.pop(source.path, None) if resume else None
    if previous is not None:
        unchanged_before = _unchanged_before(previous.lexed, lexed)
        checkpoints = list(previous.checkpoints)
        indenter.earlier = previous.comments
        # those before the change; a line parsed again is noted twice, and counted once below
        capitalised = [prose for prose in previous.capitalised if prose.span.end < unchanged_before]
    diagnostics: list[Diagnostic] = []
    skipped: list[Span] = []

    def recover(failure: _lalr.Failure, current: str) -> Union[tuple[str, int], None]:
        from ._syntax_errors import recovery  # the error path only

        diagnostic, start, limit = recovery(source, current, failure, TAB_WIDTH)
        # A misindented line takes along the lines indented under it, not those at an open depth.
        keep = frozenset(depth for depth, _ in failure.levels) if isinstance(failure, IndentFailure) else frozenset()
        diagnostics.append(diagnostic)
        if len(diagnostics) >= MAX_SYNTAX_ERRORS:
            diagnostics.append(make(
                "SB101", "too many syntax errors: the rest of the file is not read", source,
                Span(start, start), label="reading stopped here",
                help=f"fix the {MAX_SYNTAX_ERRORS} errors above, then check again",
            ))
            end = len(current)
        else:
            end = _block_end(current, start, limit, keep)
        if current[start:end].isspace() or start >= end:
            return None  # nothing left to blank out: no way forward
        blanked = re.sub(r"[^\n]+", lambda match: " " * len(match.group()), current[start:end])
        skipped.append(Span(start, end))
        return current[:start] + blanked + current[end:], start

    callbacks: dict[str, Callable[[list[Any]], Any]] = {**_CALLBACKS, "prose": partial(_prose, capitalised)}
    storyboard: Union[Storyboard, None] = _lalr.parse(
        lexed, callbacks, indenter, recover, checkpoints, unchanged_before)
    if resume and storyboard is not None and not skipped:
        while len(_RESUMABLE) >= _MAX_RESUMABLE:
            del _RESUMABLE[next(iter(_RESUMABLE))]
        once = list({prose.span.start: prose for prose in capitalised}.values())
        _RESUMABLE[source.path] = _Resumable(lexed, checkpoints, indenter.comments, once)
    if storyboard is not None:
        diagnostics.extend(_unterminated_strings(source, storyboard))
    if capitalised:
        from ._syntax_errors import capitalised_shot

        # A line parsed again after a recovery is noted twice; one skipped since is reported already.
        starts = sorted({text.span.start for text in capitalised})
        for start in starts:
            if not any(span.start <= start < span.end for span in skipped):
                diagnostics.append(capitalised_shot(source, start, lexed))
    diagnostics.extend(_control_characters(source))
    return ParseResult(source, storyboard, tuple(indenter.comments), tuple(diagnostics), tuple(skipped))


def _block_end(text: str, start: int, limit: int, keep: frozenset[int] = frozenset()) -> int:
    """The end of the line at `start` and of the lines after it indented deeper than `limit` columns
    (up to the first line indented by one of the `keep` depths)."""
    end = text.find("\n", start)
    end = len(text) if end == -1 else end
    position = end
    while position < len(text):
        line_start = position + 1
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end == -1 else line_end
        line = text[line_start:line_end]
        content = line.lstrip(" \t")
        if content.strip() and not content.startswith("#"):
            indent = line[: len(line) - len(content)]
            width = len(indent) + indent.count("\t") * (TAB_WIDTH - 1)
            if width <= limit or width in keep:
                break
            end = line_end
        position = line_end
    return end


class _Indenter:
    """Post-lexer: turns newline tokens into INDENT/DEDENT and collects comments on the way."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.comments: list[Comment] = []
        self.earlier: list[Comment] = []  # an earlier parse's comments, when this one resumes it
        self.levels = [0]
        self.indents = [""]  # the indentation text that opened each level, for error messages
        self._measured: dict[str, tuple[int, str, int]] = {}

    def save(self) -> object:
        return (tuple(self.levels), tuple(self.indents), len(self.comments))

    def restore(self, saved: object) -> None:
        levels: tuple[int, ...]
        indents: tuple[str, ...]
        comments: int
        levels, indents, comments = saved  # type: ignore[misc]
        self.levels[:] = levels
        self.indents[:] = indents
        if comments > len(self.comments):
            self.comments[:] = self.earlier[:comments]
        else:
            del self.comments[comments:]

    def finish(self, end: int) -> list[Token]:
        dedents = [("_DEDENT", "", end, end)] * (len(self.levels) - 1)
        self.levels[1:] = []
        self.indents[1:] = []
        return dedents

    def newline(self, token: Token) -> Sequence[Token]:
        value, start = token[1], token[2]
        if "#" in value:
            self._collect_comments(value, start)
        measured = self._measured.get(value)
        if measured is None:
            measured = self._measured[value] = _measure(value)
        line_start, indent_text, indent = measured
        levels = self.levels
        if indent == levels[-1]:
            return (token,)
        at = start + line_start + len(indent_text)
        if indent > levels[-1]:
            levels.append(indent)
            self.indents.append(indent_text)
            return [token, ("_INDENT", indent_text, at, at)]
        if indent not in levels:
            open_levels = tuple(zip(levels, self.indents, strict=True))
            raise IndentFailure(at - len(indent_text), indent_text, indent, open_levels)
        produced = [token]
        while indent < levels[-1]:
            levels.pop()
            self.indents.pop()
            produced.append(("_DEDENT", indent_text, at, at))
        return produced

    def _collect_comments(self, value: str, base: int) -> None:
        for match in _COMMENT.finditer(value):
            offset = base + match.start()
            line_start = self.text.rfind("\n", 0, offset) + 1
            own_line = self.text[line_start:offset].strip(" \t\ufeff") == ""
            self.comments.append(Comment(match.group(), Span(offset, base + match.end()), own_line))


def _measure(newline: str) -> tuple[int, str, int]:
    """Where the last line starts in a newline token, its indentation, and that indentation's width."""
    line_start = newline.rfind("\n") + 1
    indent_text = newline[line_start:]
    hash_at = indent_text.find("#")
    if hash_at != -1:
        indent_text = indent_text[:hash_at]
    return line_start, indent_text, len(indent_text) + indent_text.count("\t") * (TAB_WIDTH - 1)


# The builders below run once or more per line: they build nodes with `tuple.__new__` directly, which
# skips the Python-level `__new__` of each class (about a tenth of a parse). They lay the slots out as
# `_frozen.node` does: a field's value, or for a position its start and then its size (end - start).
_new: Any = tuple.__new__
# Names, keywords and framings come from small vocabularies but each token is a fresh slice of the
# text: one shared string per distinct word saves about 300 bytes a shot in a large storyboard.
_word: Callable[[str], str] = sys.intern


def _text(token: Token, value: Union[str, None] = None) -> Text:
    """The token's text (or `value`, the same string shared) with the references in it."""
    value, start = value or token[1], token[2]
    refs: tuple[Ref, ...] = ()
    if "@" in value:
        refs = tuple([
            _new(Ref, (_word(m.group(1)), start + m.start(), m.end() - m.start()))
            for m in _REF.finditer(value)
        ])
    return _new(Text, (value, refs, start, token[3] - start))  # type: ignore[no-any-return]


def _millis(number: str) -> int:
    whole, _, fraction = number.partition(".")
    return int(whole) * 1000 + int((fraction + "000")[:3])


def _end(item: Any) -> int:
    return item[3] if type(item) is tuple else item.span.end  # type: ignore[no-any-return]


def _token_span(token: Token) -> Span:
    return _new(Span, (token[2], token[3]))  # type: ignore[no-any-return]


def _storyboard(children: list[Any]) -> Storyboard:
    return Storyboard(tuple(children), Span(0, children[-1].span.end if children else 0))


def _setting(children: list[Any]) -> Setting:
    key, value = children
    return Setting(key[1], _text(value), Span(key[2], value[3]))


def _style_setting(children: list[Any]) -> Setting:
    key, value = children
    return Setting("style", _text(value), Span(key[2], value[3]))


def _declaration(children: list[Any]) -> Declaration:
    kind, name, *rest = children
    media = [child for child in rest if isinstance(child, MediaInput)]
    *label, value = [child for child in rest if not isinstance(child, MediaInput)]
    end = media[-1].span.end if media else value[3]
    return Declaration(kind[1], name[1], _token_span(name), _text(value), Span(kind[2], end),
                       label[0][1][1:-1] if label else None, tuple(media))


def _media_input(children: list[Any]) -> MediaInput:
    keyword, value = children
    return MediaInput(keyword[1].rstrip(" \t:："), _text(value), Span(keyword[2], value[3]))


def _include(children: list[Any]) -> Include:
    keyword, path = children
    return Include(path[1][1:-1], _token_span(path), Span(keyword[2], path[3]))


_DURATIONS: dict[str, int] = {}  # a file writes few distinct durations, each many times


def _duration(token: Token) -> Duration:
    millis = _DURATIONS.get(token[1])
    if millis is None:
        millis = _millis(_NUMBER.match(token[1]).group())  # type: ignore[union-attr]
        if len(_DURATIONS) < 1000:
            _DURATIONS[token[1]] = millis
    return _new(Duration, (millis, token[2], token[3] - token[2]))  # type: ignore[no-any-return]


def _clip(children: list[Any]) -> Clip:
    kind, name, *rest = children
    duration = _duration(rest.pop(0)) if rest and type(rest[0]) is tuple else None
    last = rest[-1] if rest else (duration or name)
    return Clip(kind[1], name[1], _token_span(name), duration, tuple(rest), Span(kind[2], _end(last)))


def _shot(children: list[Any]) -> Shot:
    keyword, timing_token, *rest = children
    timing: Union[Duration, TimeRange]
    if timing_token[0] == "DURATION":
        timing = _duration(timing_token)
    else:
        start, end = _NUMBER.findall(timing_token[1])
        timing = TimeRange(_millis(start), _millis(end), _token_span(timing_token))
    framing = text = None
    first = 0  # the lines come after the framing and text tokens
    while first < len(rest) and type(rest[first]) is tuple:
        token = rest[first]
        first += 1
        if token[0] == "FRAMING":
            framing = _text(token, _word(token[1]))
        else:
            text = _text(token)
    lines = tuple(rest[first:]) if first else tuple(rest)
    last = lines[-1] if lines else (text or framing or timing)
    start = keyword[2]
    return _new(Shot, (timing, framing, text, lines, start, _end(last) - start))  # type: ignore[no-any-return]


def _prose(capitalised: list[Text], children: list[Any]) -> Prose:
    text = _text(children[0])
    if text.value[:1] in "sS" and re.match(_CAPITALISED_SHOT, text.value):
        capitalised.append(text)
    slots: Any = text  # the prose's span is its text's: the same start and size
    return _new(Prose, (text, slots[2], slots[3]))  # type: ignore[no-any-return]


def _camera(children: list[Any]) -> Camera:
    keyword, value = children
    return _new(Camera, (_text(value), keyword[2], value[3] - keyword[2]))  # type: ignore[no-any-return]


def _cue(children: list[Any]) -> Cue:
    keyword, value = children
    start = keyword[2]
    return _new(Cue, (_word(keyword[1].rstrip(" \t:：")), _text(value), start, value[3] - start))  # type: ignore[no-any-return]


def _dialogue(children: list[Any]) -> Dialogue:
    kind, speaker, value = children
    start = kind[2]
    return _new(Dialogue, (  # type: ignore[no-any-return]
        _word(kind[1]), _word(speaker[1]), speaker[2], speaker[3] - speaker[2], _text(value), start, value[3] - start
    ))


def _soundtrack(children: list[Any]) -> Soundtrack:
    keyword, value = children
    return Soundtrack(_text(value), Span(keyword[2], value[3]))


_CALLBACKS: dict[str, Callable[[list[Any]], Any]] = {
    "start": _storyboard, "setting": _setting, "clip_setting": _setting, "style_setting": _style_setting,
    "declaration": _declaration, "include": _include, "clip": _clip, "shot": _shot,
    "camera": _camera, "cue": _cue, "dialogue": _dialogue,
    "soundtrack": _soundtrack,
    "reference": _media_input, "clip_input": _media_input,
}


def _control_characters(source: Source) -> list[Diagnostic]:
    found = []
    for match in _CONTROL.finditer(source.text):
        found.append(make(
            "SB103", f"control character U+{ord(match.group()):04X} in the text", source,
            Span(match.start(), match.end()), label="here",
            help="delete it; the model would receive it as written",
        ))
        if len(found) == _MAX_CONTROL_REPORTS:
            break
    return found


def _unterminated_strings(source: Source, storyboard: Storyboard) -> list[Diagnostic]:
    """A setting's value that opens a `"` and never closes it (`storyboard "Oops`)."""
    from ..base.diagnostics import MACHINE_APPLICABLE, Fix

    found = []
    settings = [item for item in storyboard.items if type(item) is Setting]
    for clip in storyboard.items:
        if type(clip) is Clip:
            settings += [line for line in clip.lines if type(line) is Setting]
    for setting in settings:
        value = setting.value
        text = value.value
        if setting.key == "continue" and text.count('"') == 2:  # `continue "ep1.story" finale`: a path, then a name
            continue
        if text.startswith('"') and (len(text) == 1 or not text.endswith('"')):
            end = value.span.end
            found.append(make(
                "SB101", "unterminated string", source, value.span,
                label="this string opens with `\"` and never closes",
                help=f"end it with `\"` on the same line: `{setting.key} {value.value}\"`",
                fix=Fix(Span(end, end), '"', MACHINE_APPLICABLE),
            ))
    return found
