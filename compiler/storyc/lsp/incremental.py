"""Diagnostics for a buffer after an edit, re-checking only the clip the edit is in.

A storyboard is a header (settings, declarations, includes) and then clips, each starting on a line
with no indentation. Every rule but a few sees one clip at a time, with the header in scope; so each
clip is checked as the program *header + that clip* (`check` itself, on that text), and its
diagnostics are kept, keyed by the clip's text, until the header changes. An edit then costs the
edited clip's check, whatever the length of the file.

What crosses clips is put together from those results, as the whole-file check would find it:
- a diagnostic in the header (a setting, a declaration, an include) is reported once, whichever clip
  found it;
- a declaration is unused (SB206) only when no clip uses it: it must be reported by every clip;
- prompts are measured (SB313, SB501) only when the whole file has no error.
A clip that continues another of the file (`continue NAME`) is checked with the clips of its chain
before it (*header + its sources + the clip*), keeping only its own diagnostics, and checked again when
one of those changes; a chain that comes back to itself is left to the whole check.
A syntax error inside a clip stays in it (recovery resumes at the next line with no indentation);
the clip is left out of the rules as in the whole check, and so is SB206 (each clip check leaves it
out). Where this does not hold, the buffer is checked whole, as `story check` does: a clip's own
line broken, two clips of one name (SB208), as many syntax errors as stop the parse, control
characters, a header line after the first clip, no clips, a byte-order mark, text not UTF-8. `tests/test_lsp_properties.py`
holds the two ways to the same diagnostics over random edit sequences.

Inside a large clip (a scene of hundreds of shots: *header + clip* of `SPLICE_FROM` characters or
more) an edit costs what it touches in the parse: the parses of the last two such texts checked are
kept (`parses`, by the same keys as `recent`; a recalled result makes its parse the latest, so an
edit undone and the next one made splice into the clean text), and a new text is parsed from one of
them by `splice.reparsed`, which re-parses only the clip lines the edit touches and moves the nodes
after them; anything else it leaves to the whole parse of *header + clip*. The check of the clip
itself (its scene rules see the whole scene) is still the clip's. Features at one place read the
same kept parse (`parsed`).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Any, Iterable, NamedTuple, Union

from lsprotocol import types

from ..base.diagnostics import Diagnostic, has_errors
from ..base.source import Source
from ..language.parse import MAX_SYNTAX_ERRORS, ParseResult
from ..language.splice import common_prefix, common_suffix, reparsed
from ..models.profile import Catalog
from .edits import to_lsp
from .positions import LineIndex

_CLIP = re.compile(r"(?:clip|scene)(?![\w-])")
_UNUSED = "SB206"
_CONTROL = "SB103"


class ClipResult(NamedTuple):
    """One clip checked as *header + clip*; line numbers in `own` count from the clip's first line."""

    name: Union[str, None]
    readable: bool  # nothing that needs the whole-file check (the clip's own line parsed)
    parse_own: int  # syntax errors in the clip: after MAX_SYNTAX_ERRORS in the file, the rest is unread
    parse_header: int  # and in the header
    own: tuple[types.Diagnostic, ...]
    own_errors: bool
    header: tuple[tuple[tuple[object, ...], types.Diagnostic], ...]  # keyed, in the header's lines
    included: tuple[tuple[str, str, tuple[types.Diagnostic, ...]], ...]  # (path, text, diagnostics)
    prompts: tuple[types.Diagnostic, ...]  # SB313/SB501, measured when the clip has no error
    continues: Union[str, None] = None  # the clip of this file it continues (`continue NAME`), if any


UNREADABLE = ClipResult(None, False, 0, 0, (), False, (), (), ())
MAX_RECENT = 4096  # clip results kept: every clip of a feature-length storyboard, and the last edits
SPLICE_FROM = 16_384  # characters of *header + clip* from which its parse is kept for the next edits
MAX_PARSES = 2  # parses kept: the last clip checked and the one before (an edit often undoes another)


class Clip:
    """A clip in the buffer: its first line, its newlines, its result, and its diagnostics moved to
    its first line (kept while the clip does not move)."""

    __slots__ = ("start", "lines", "result", "moved_at", "moved", "context")

    def __init__(self, start: int, lines: int, result: ClipResult, context: str = "") -> None:
        self.start = start
        self.lines = lines
        self.result = result
        self.context = context  # the texts of the clips it continues, which its result was checked with
        self.moved_at = -1
        self.moved: tuple[list[types.Diagnostic], list[types.Diagnostic]] = ([], [])

    def placed(self) -> tuple[list[types.Diagnostic], list[types.Diagnostic]]:
        """The clip's own diagnostics and its prompt measures, at the clip's place in the buffer."""
        if self.moved_at != self.start:
            self.moved_at = self.start
            self.moved = ([_moved(d, self.start) for d in self.result.own],
                          [_moved(d, self.start) for d in self.result.prompts])
        return self.moved


class Dirty(NamedTuple):
    """What changed since the engine last saw the lines: from (`line`, `column`) to the end, but for
    the last `tail` lines (and the newline before them)."""

    line: int
    column: int
    tail: int


class Published(NamedTuple):
    """Diagnostics by file path, and the text of each included file they refer to."""

    by_path: dict[str, list[types.Diagnostic]]
    texts: dict[str, str]


Keyed = dict[tuple[object, ...], list[Any]]  # key -> [clips reporting it, the diagnostic]


class Totals:
    """What crosses clips, kept up to date as clips come and go: putting the buffer's diagnostics
    together then costs the diagnostics, not a pass over every clip."""

    def __init__(self) -> None:
        self.clips = 0
        self.unreadable = 0
        self.names: dict[Union[str, None], int] = {}
        self.duplicated = 0  # names of more than one clip
        self.syntax_errors = 0  # in the clips (the header's: the first clip's `parse_header`)
        self.own_errors = 0  # clips with an error of their own
        self.header: Keyed = {}
        self.unused: Keyed = {}  # SB206, by how many clips report it
        self.included: dict[str, Keyed] = {}
        self.including: dict[str, int] = {}  # clips that read each included file
        self.texts: dict[str, str] = {}
        self.flagged: dict[Clip, None] = {}  # clips with diagnostics of their own

    def count(self, clip: Clip, sign: int) -> None:
        """Add (`sign` 1) or take away (-1) a clip's result."""
        result = clip.result
        self.clips += sign
        if not result.readable:
            self.unreadable += sign
            return
        before = self.names.get(result.name, 0)
        self.names[result.name] = before + sign
        self.duplicated += (before + sign > 1) - (before > 1)
        if before + sign == 0:
            del self.names[result.name]
        self.syntax_errors += sign * result.parse_own
        self.own_errors += sign * result.own_errors
        if result.own or result.prompts:
            if sign > 0:
                self.flagged[clip] = None
            else:
                del self.flagged[clip]
        for key, diagnostic in result.header:
            _tally(self.unused if diagnostic.code == _UNUSED else self.header, key, diagnostic, sign)
        for path, text, found in result.included:
            readers = self.including[path] = self.including.get(path, 0) + sign
            into = self.included.setdefault(path, {})
            for diagnostic in found:
                _tally(into, _key(diagnostic), diagnostic, sign)
            if sign > 0:
                self.texts[path] = text
            elif readers == 0:
                del self.including[path], self.included[path], self.texts[path]


def _tally(table: Keyed, key: tuple[object, ...], diagnostic: types.Diagnostic, sign: int) -> None:
    entry = table.get(key)
    if entry is None:
        table[key] = [sign, diagnostic]
    elif entry[0] + sign == 0:
        del table[key]
    else:
        entry[0] += sign


def _sorted(diagnostics: Iterable[types.Diagnostic]) -> list[types.Diagnostic]:
    """In the buffer's order (the same text publishes the same list, whatever the edits before)."""
    return sorted(diagnostics, key=lambda d: (*_key(d)[:4], str(d.code), d.message))


Lines = Union[str, list[str]]


def _lines(text: Lines) -> list[str]:
    return text.split("\n") if isinstance(text, str) else text


def _top_level(line: str) -> bool:
    """A line that starts an item: no indentation, not blank, not a comment."""
    return line[:1] not in ("", " ", "\t", "\r", "#")


class Incremental:
    """One open buffer's clip results, reused across edits."""

    def __init__(self, path: str, profiles: Catalog, encoding: str) -> None:
        self.path = path
        self.profiles = profiles
        self.encoding = encoding
        self.header = ""
        self.head: list[str] = []  # the header's lines
        self.text: Union[str, None] = None  # the text `diagnostics` last saw
        self.clips: Union[list[Clip], None] = None  # the buffer's clips, in order
        self.starts: list[int] = []  # each clip's first line
        self.line_count = 0
        self.totals = Totals()
        self.recent: dict[str, ClipResult] = {}  # results by clip text, for the same header
        self.parses: dict[str, ParseResult] = {}  # the last large clips' parses, by the same keys
        self.splice_from = SPLICE_FROM
        self.spliced = 0  # clips of the last call parsed by splicing one shot into an earlier parse
        self.rechecked = 0  # clips checked by the last call (for tests and the benchmark)
        self.warmed = False  # every clip under this header has a result (see `ready`)
        self.clip_count = 0
        self.synced = False  # the last `update` read the buffer clip by clip (see `clip_view`)

    def forget(self) -> None:
        """Drop every result: an included file may have changed on disk."""
        self.recent.clear()
        self.parses.clear()
        self.lost()
        self.warmed = False

    def lost(self) -> None:
        """The buffer changed without `update` seeing it: the next call reads every clip's place."""
        self.clips = None
        self.text = None
        self.synced = False

    def diagnostics(self, text: str) -> Union[Published, None]:
        """The diagnostics of `text` (what changed since the last call found by comparing texts)."""
        dirty = _difference(self.text, text) if self.text is not None and self.clips is not None else None
        found = self.update(text.split("\n"), dirty)
        self.text = text
        return found

    def update(self, lines: list[str], dirty: Union[Dirty, None]) -> Union[Published, None]:
        """The buffer's diagnostics as the whole-file check finds them, or None where only the whole
        file can tell (the caller then checks it whole). `dirty` says what changed since the last
        call (None: unknown); the clips it touches are checked again, the others kept."""
        self.rechecked = self.spliced = 0
        self.text = None
        kept = self.clips is not None and dirty is not None and self._edited(lines, dirty)
        found = self._assemble() if (kept or self._scanned(lines)) and self._chained(lines) else None
        self.synced = found is not None
        return found

    def _chained(self, lines: list[str]) -> bool:
        """Check again each continuing clip whose sources' texts changed, with them before it; False
        for a chain that comes back to itself (the whole check reports it once)."""
        clips = self.clips
        assert clips is not None
        links = {clip.result.name: index for index, clip in enumerate(clips) if clip.result.readable}
        bounds = [*self.starts, len(lines)]
        for index, clip in enumerate(clips):
            source = clip.result.continues
            if source is None and not clip.context:
                continue
            chain: list[int] = []
            while source is not None and source in links:
                at = links[source]
                if at == index or at in chain:
                    return False
                chain.append(at)
                source = clips[at].result.continues
            context = "".join(_clip_text(lines, self.starts[at], bounds[at + 1]) for at in sorted(chain))
            if context == clip.context:
                continue
            clip_text = _clip_text(lines, clip.start, bounds[index + 1])
            key = context + "\0" + clip_text if context else clip_text
            result = self._recalled(key)
            if result is None:
                result = self._check(clip_text, context) if _is_utf8(context + clip_text) else UNREADABLE
                self.rechecked += 1
                self.recent[key] = result
            self.totals.count(clip, -1)
            fresh = Clip(clip.start, clip.lines, result, context)
            clips[index] = fresh
            self.totals.count(fresh, 1)
        return True

    def clip_view(self, lines: list[str], line: int) -> Union[tuple[str, int], None]:
        """The text *header + the clip at `line`* and how many lines the clip lies below where it
        is in that text; None for a line in the header, or when the last `update` did not read the
        buffer clip by clip. A feature at one place (hover, completion) reads this text, not the
        whole buffer: the clip's check is what `update` found it to be."""
        if not self.synced or self.clips is None or len(lines) != self.line_count:
            return None
        index = bisect_right(self.starts, line) - 1
        if index < 0:
            return None
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(lines)
        return self.header + _clip_text(lines, start, end), start - len(self.head)

    def ready(self, text: Lines) -> bool:
        """True when every clip under `text`'s header has a result (`warm` got through them), so
        `diagnostics` checks only what changed; else the caller checks the whole file and warms."""
        lines = _lines(text)
        count = len(self.head)
        return (self.warmed and len(lines) > count and lines[:count] == self.head
                and _CLIP.match(lines[count]) is not None)

    def warm(self, text: Lines, limit: int) -> bool:
        """Check at most `limit` clips of `text` that have no result yet; True when none is left (or
        the text is one only the whole-file check can read)."""
        lines = _lines(text)
        clip_starts = self._clip_starts(lines)
        if clip_starts is None:
            return True
        bounds = [*clip_starts, len(lines)]
        for index, start in enumerate(clip_starts):
            clip_text = _clip_text(lines, start, bounds[index + 1])
            if clip_text not in self.recent:
                if limit == 0:
                    return False
                limit -= 1
                self.recent[clip_text] = self._check(clip_text) if _is_utf8(clip_text) else UNREADABLE
        self.warmed = True
        return True

    def _scanned(self, lines: list[str]) -> bool:
        """Every clip of the buffer, each checked unless its text was checked under the same header."""
        clip_starts = self._clip_starts(lines)
        if clip_starts is None:
            self.clips = None
            return False
        self.totals = Totals()
        self.clips = self._checked(lines, clip_starts, len(lines))
        self.starts = clip_starts
        self.line_count = len(lines)
        self.warmed = True
        return True

    def _clip_starts(self, lines: list[str]) -> Union[list[int], None]:
        """The first line of each clip, with `header` set to the lines before the first; None where
        only the whole-file check can read the text."""
        if lines[0].startswith("\ufeff"):
            return None
        starts = [number for number, line in enumerate(lines) if _top_level(line)]
        clip_starts = [start for start in starts if _CLIP.match(lines[start])]
        if not clip_starts or len(clip_starts) != len(starts) - starts.index(clip_starts[0]):
            return None  # no clips, or a setting or declaration after the first clip
        head = lines[: clip_starts[0]]
        if head != self.head:
            header = "".join(line + "\n" for line in head)
            if not _is_utf8(header):
                return None
            self.header, self.head = header, head
            self.recent = {}
            self.parses = {}
            self.clips = None
            self.warmed = False
        self.clip_count = len(clip_starts)
        return clip_starts

    def _edited(self, lines: list[str], dirty: Dirty) -> bool:
        """The clips after a change: those it touches found and checked again, the others kept (those
        after it moved). False when the change reaches the header or a clip's first character."""
        clips, starts = self.clips, self.starts
        assert clips is not None
        if (dirty.line, dirty.column) <= (starts[0], 0):
            return False
        # from the last clip starting before the change (its first character is unchanged) to the
        # first clip whose first line and the newline before it are both unchanged
        index = bisect_left(starts, dirty.line + (dirty.column > 0)) - 1
        changed_last = self.line_count - dirty.tail - 1  # the last line changed, counted before the change
        last = min(max(index + 1, bisect_right(starts, changed_last)), len(clips))
        moved = len(lines) - self.line_count
        begin = starts[index]
        end = starts[last] + moved if last < len(clips) else len(lines)
        # the lines that start an item: among the changed lines, looked for; before and after them,
        # the clips' first lines as they were (every such line after the header starts a clip)
        changed_end = min(end, len(lines) - dirty.tail)  # after the last changed line, counted now
        found = [start for start in starts[index:last] if start < dirty.line]
        found += [number for number in range(max(begin, dirty.line), changed_end) if _top_level(lines[number])]
        if not found or found[0] != begin or not all(_CLIP.match(lines[number]) for number in found):
            return False  # the first's keyword may be edited
        for clip in clips[index:last]:
            self.totals.count(clip, -1)
        fresh = self._checked(lines, found, end)
        clips[index:last] = fresh
        starts[index:last] = found
        if moved:
            for at in range(index + len(fresh), len(clips)):
                clips[at].start += moved
                starts[at] += moved
        self.line_count = len(lines)
        self.clip_count = len(clips)
        return True

    def _checked(self, lines: list[str], clip_starts: list[int], end: int) -> list[Clip]:
        """The clips starting at `clip_starts` (the last ending at line `end`), counted in `totals`."""
        found = []
        bounds = [*clip_starts, end]
        for index, start in enumerate(clip_starts):
            clip_text = _clip_text(lines, start, bounds[index + 1])
            result = self._recalled(clip_text)
            if result is None:
                result = self._check(clip_text) if _is_utf8(clip_text) else UNREADABLE
                self.rechecked += 1
                if len(self.recent) >= max(MAX_RECENT, 2 * self.clip_count):
                    del self.recent[next(iter(self.recent))]
                self.recent[clip_text] = result
            clip = Clip(start, clip_text.count("\n"), result)
            self.totals.count(clip, 1)
            found.append(clip)
        return found

    def parsed(self, text: str) -> Union[ParseResult, None]:
        """The parse kept of *header + clip* `text` (a large clip's, checked last or the one before)."""
        for entry in self.parses.values():
            if entry.source.text == text:
                return entry
        return None

    def _recalled(self, key: str) -> Union[ClipResult, None]:
        """The result kept for a clip's text (`key`), its parse (if kept) made the latest."""
        result = self.recent.get(key)
        if result is not None and key in self.parses:
            self.parses[key] = self.parses.pop(key)
        return result

    def _parsed(self, key: str, text: str) -> ParseResult:
        """`parse` of *header + clip*: for a large clip, by splicing the edited shot into a kept parse
        of the clip's text before the edit, where `splice.reparsed` can."""
        from ..language.parse import parse

        source = Source(self.path, text)
        large = len(text) >= self.splice_from
        entry = None
        for earlier in reversed(self.parses.values()) if large else ():
            entry = reparsed(earlier, source)
            if entry is not None:
                self.spliced += 1
                break
        if entry is None:
            entry = parse(source, resume=False)
        if large and entry.complete and not entry.diagnostics:
            self.parses.pop(key, None)
            while len(self.parses) >= MAX_PARSES:
                del self.parses[next(iter(self.parses))]
            self.parses[key] = entry
        return entry

    def _check(self, clip_text: str, context: str = "") -> ClipResult:
        """The clip checked as *header + clip*, or *header + `context` + clip* where `context` holds
        the clips it continues (their own diagnostics are left to their own checks)."""
        from ..check.chains import continuation
        from ..compile.diagnose import checked_plan
        from ..language.load import load_parsed

        text = self.header + context + clip_text
        header_lines = len(self.head) + context.count("\n")
        entry = self._parsed(context + "\0" + clip_text if context else clip_text, text)
        storyboard = entry.storyboard
        clips = storyboard.clips if storyboard is not None else ()
        if len(clips) != 1 + _clip_count(context) or any(d.code == _CONTROL for d in entry.diagnostics):
            return UNREADABLE  # the clip's own line is broken; control characters are counted file-wide
        head = len(self.header)
        boundary = head + len(context)
        in_header = sum(1 for d in entry.diagnostics if d.span.start < head)
        in_clip = sum(1 for d in entry.diagnostics if d.span.start >= boundary)
        said = continuation(clips[-1])
        continues = said.source if said is not None and said.file is None else None
        program = load_parsed(entry)
        found, planned = checked_plan(program, self.profiles)
        prompts: list[Diagnostic] = []
        if planned is not None:
            from ..compile.emit import prompt_diagnostics

            prompts = prompt_diagnostics(planned)
        lines = LineIndex(text, self.encoding)
        own: list[types.Diagnostic] = []
        header: dict[tuple[object, ...], types.Diagnostic] = {}
        included: dict[str, list[types.Diagnostic]] = {}
        for diagnostic in found:
            if diagnostic.path != self.path:
                source = program.sources[diagnostic.path]
                included.setdefault(diagnostic.path, []).append(to_lsp(diagnostic, _lines_of(source, self.encoding)))
            elif diagnostic.span.start >= boundary:
                own.append(_moved(to_lsp(diagnostic, lines), -header_lines))
            elif diagnostic.span.start < head:
                converted = to_lsp(diagnostic, lines)
                header.setdefault(_key(converted), converted)
        if any(d.path != self.path or d.span.start < head for d in prompts):
            return UNREADABLE  # a template's own error, or the header's
        return ClipResult(
            clips[-1].name, True, in_clip, in_header, tuple(own),
            has_errors(d for d in found if d.path == self.path and d.span.start >= boundary),
            tuple(header.items()),
            tuple((path, program.sources[path].text, tuple(found_here)) for path, found_here in included.items()),
            tuple(_moved(to_lsp(d, lines), -header_lines) for d in prompts if d.span.start >= boundary),
            continues,
        )

    def _assemble(self) -> Union[Published, None]:
        """The clips' results put together as the whole check finds them, from `totals`."""
        totals, clips = self.totals, self.clips
        assert clips is not None
        if totals.unreadable or totals.duplicated:
            return None  # a broken clip line, or two clips of one name (SB208 compares clips)
        if totals.syntax_errors + clips[0].result.parse_header >= MAX_SYNTAX_ERRORS:
            return None  # the whole file's parse stops reading at that many
        header = [diagnostic for _, diagnostic in totals.header.values()]
        errors = totals.own_errors > 0 or _any_error(header) or any(
            _any_error(diagnostic for _, diagnostic in found.values()) for found in totals.included.values())
        # a declaration is unused only if unused by every clip
        mine = _sorted([*header, *(d for reporting, d in totals.unused.values() if reporting == totals.clips)])
        for clip in sorted(totals.flagged, key=lambda clip: clip.start):
            own, prompts = clip.placed()
            mine.extend(own)
            if not errors:
                mine.extend(prompts)
        by_path = {self.path: mine}
        by_path.update((path, _sorted(d for _, d in found.values())) for path, found in totals.included.items())
        return Published(by_path, dict(totals.texts))


def _clip_count(text: str) -> int:
    """How many clips a run of whole clips' text holds (each begins with `clip` or `scene` at column 0)."""
    return sum(1 for line in text.split("\n") if _CLIP.match(line)) if text else 0


def _clip_text(lines: list[str], start: int, end: int) -> str:
    """Lines `start` to `end` with their newlines (the last line of the buffer has none)."""
    text = "\n".join(lines[start:end])
    return text + "\n" if end < len(lines) else text


def _difference(old: str, new: str) -> Dirty:
    """What changed from `old` to `new`, as `EditedLines` tells it."""
    before = common_prefix(old, new)
    after = common_suffix(old, new, min(len(old), len(new)) - before)
    return Dirty(new.count("\n", 0, before), before - new.rfind("\n", 0, before) - 1,
                 old.count("\n", len(old) - after))


def _any_error(diagnostics: Iterable[types.Diagnostic]) -> bool:
    return any(diagnostic.severity == types.DiagnosticSeverity.Error for diagnostic in diagnostics)


def _key(diagnostic: types.Diagnostic) -> tuple[object, ...]:
    start, end = diagnostic.range.start, diagnostic.range.end
    return (start.line, start.character, end.line, end.character, diagnostic.code, diagnostic.message,
            diagnostic.severity)


def _moved(diagnostic: types.Diagnostic, lines: int) -> types.Diagnostic:
    if lines == 0:
        return diagnostic
    start, end = diagnostic.range.start, diagnostic.range.end
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=start.line + lines, character=start.character),
                          end=types.Position(line=end.line + lines, character=end.character)),
        message=diagnostic.message, severity=diagnostic.severity, code=diagnostic.code,
        source=diagnostic.source, tags=diagnostic.tags)


def _lines_of(source: Source, encoding: str) -> LineIndex:
    return LineIndex(source.text, encoding)


def _is_utf8(text: str) -> bool:
    """False for text with lone surrogates: the whole-file check reports those (SB100)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
