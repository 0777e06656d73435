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
A syntax error inside a clip stays in it (recovery resumes at the next line with no indentation);
the clip is left out of the rules as in the whole check, and so is SB206 (each clip check leaves it
out). Where this does not hold, the buffer is checked whole, as `story check` does: a clip's own
line broken, two clips of one name (SB208), as many syntax errors as stop the parse, control
characters, a header line after the first clip, no clips, a byte-order mark, text not UTF-8. `tests/test_lsp_properties.py`
holds the two ways to the same diagnostics over random edit sequences.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import Iterable, NamedTuple, Union

from lsprotocol import types

from ..base.diagnostics import Diagnostic, has_errors
from ..base.source import Source
from ..language.parse import MAX_SYNTAX_ERRORS
from ..models.profile import Catalog
from .edits import to_lsp
from .positions import LineIndex

_TOP_LEVEL = re.compile(r"\n[^ \t\r\n#]")  # before a line that starts an item: no indentation, no comment
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


UNREADABLE = ClipResult(None, False, 0, 0, (), False, (), (), ())
MAX_RECENT = 4096  # clip results kept: every clip of a feature-length storyboard, and the last edits


class Segment(NamedTuple):
    """A clip's place in the buffer: its length in code points and newlines, and its result."""

    length: int
    lines: int
    result: ClipResult


class Published(NamedTuple):
    """Diagnostics by file path, and the text of each included file they refer to."""

    by_path: dict[str, list[types.Diagnostic]]
    texts: dict[str, str]


class Incremental:
    """One open buffer's clip results, reused across edits."""

    def __init__(self, path: str, profiles: Catalog, encoding: str) -> None:
        self.path = path
        self.profiles = profiles
        self.encoding = encoding
        self.header = ""
        self.text = ""  # the text the segments describe
        self.segments: Union[list[Segment], None] = None  # the clips of `text`, in order
        self.recent: dict[str, ClipResult] = {}  # results by clip text, for the same header
        self.rechecked = 0  # clips checked by the last call (for tests and the benchmark)
        self.warmed = False  # every clip under this header has a result (see `ready`)
        self.clip_count = 0

    def forget(self) -> None:
        """Drop every result: an included file may have changed on disk."""
        self.recent.clear()
        self.segments = None
        self.warmed = False

    def diagnostics(self, text: str) -> Union[Published, None]:
        """The buffer's diagnostics as the whole-file check finds them, or None where only the whole
        file can tell (the caller then checks it whole)."""
        self.rechecked = 0
        segments = self._edited(text) if self.segments is not None else None
        if segments is None:
            segments = self._scanned(text)
        self.segments, self.text = segments, text
        if segments is None:
            return None
        return self._assemble(segments)

    def ready(self, text: str) -> bool:
        """True when every clip under `text`'s header has a result (`warm` got through them), so
        `diagnostics` checks only what changed; else the caller checks the whole file and warms."""
        header = self.header
        return self.warmed and text.startswith(header) and _CLIP.match(text, len(header)) is not None

    def warm(self, text: str, limit: int) -> bool:
        """Check at most `limit` clips of `text` that have no result yet; True when none is left (or
        the text is one only the whole-file check can read)."""
        clip_starts = self._clip_starts(text)
        if clip_starts is None:
            return True
        bounds = [*clip_starts, len(text)]
        header_lines = self.header.count("\n")
        for index, start in enumerate(clip_starts):
            clip_text = text[start : bounds[index + 1]]
            if clip_text not in self.recent:
                if limit == 0:
                    return False
                limit -= 1
                self.recent[clip_text] = self._check(clip_text, header_lines) if _is_utf8(clip_text) else UNREADABLE
        self.warmed = True
        return True

    def _scanned(self, text: str) -> Union[list[Segment], None]:
        """The clips of the whole text, each checked unless its text was checked under the same header."""
        clip_starts = self._clip_starts(text)
        if clip_starts is None:
            return None
        segments = self._segments(text, clip_starts, len(text))
        self.warmed = True
        return segments

    def _clip_starts(self, text: str) -> Union[list[int], None]:
        """Where each clip starts, with `header` set to the text before the first; None where only the
        whole-file check can read the text."""
        if text.startswith("\ufeff"):
            return None
        starts = [match.start() + 1 for match in _TOP_LEVEL.finditer(text)]
        if text[:1] not in ("", " ", "\t", "\r", "\n", "#"):
            starts.insert(0, 0)
        clip_starts = [start for start in starts if _CLIP.match(text, start)]
        if not clip_starts or len(clip_starts) != len(starts) - starts.index(clip_starts[0]):
            return None  # no clips, or a setting or declaration after the first clip
        header = text[: clip_starts[0]]
        if header != self.header:
            if not _is_utf8(header):
                return None
            self.header = header
            self.recent = {}
            self.segments = None
            self.warmed = False
        self.clip_count = len(clip_starts)
        return clip_starts

    def _edited(self, text: str) -> Union[list[Segment], None]:
        """The clips after an edit of `self.text`: those the change touches scanned and checked again,
        the others kept. None when the change reaches the header (then everything is scanned)."""
        old, segments = self.text, self.segments
        assert segments is not None
        before = _common_prefix(old, text)
        after = _common_suffix(old, text, min(len(old), len(text)) - before)
        changed_end = len(old) - after  # [before, changed_end) of `old` is what changed
        first = len(self.header)
        if before <= first:
            return None
        # from the last clip starting before the change (its first character is unchanged) to the
        # first clip whose start and the newline before it are both unchanged
        ends = list(accumulate([segment.length for segment in segments], initial=first))  # ends[k]: clip k's start
        index = max(0, min(bisect_left(ends, before) - 1, len(segments) - 1))
        start = ends[index]
        last = max(index + 1, bisect_right(ends, changed_end, index + 1))  # ends[last] - 1 >= changed_end
        last = min(last, len(segments))
        end = ends[last]
        new_end = end + len(text) - len(old)
        clip_starts = [start, *(match.start() + 1 for match in _TOP_LEVEL.finditer(text, start, new_end))]
        if not all(_CLIP.match(text, position) for position in clip_starts):  # the first's keyword may be edited
            return None
        return [*segments[:index], *self._segments(text, clip_starts, new_end), *segments[last:]]

    def _segments(self, text: str, clip_starts: list[int], end: int) -> list[Segment]:
        found = []
        bounds = [*clip_starts, end]
        header_lines = self.header.count("\n")
        for index, start in enumerate(clip_starts):
            clip_text = text[start : bounds[index + 1]]
            result = self.recent.get(clip_text)
            if result is None:
                result = self._check(clip_text, header_lines) if _is_utf8(clip_text) else UNREADABLE
                self.rechecked += 1
                if len(self.recent) >= max(MAX_RECENT, 2 * self.clip_count):
                    del self.recent[next(iter(self.recent))]
                self.recent[clip_text] = result
            found.append(Segment(len(clip_text), clip_text.count("\n"), result))
        return found

    def _check(self, clip_text: str, header_lines: int) -> ClipResult:
        from ..compile.diagnose import checked_plan
        from ..language.load import load_parsed
        from ..language.parse import parse

        text = self.header + clip_text
        entry = parse(Source(self.path, text), resume=False)
        storyboard = entry.storyboard
        clips = storyboard.clips if storyboard is not None else ()
        if len(clips) != 1 or any(d.code == _CONTROL for d in entry.diagnostics):
            return UNREADABLE  # the clip's own line is broken; control characters are counted file-wide
        boundary = len(self.header)
        in_header = sum(1 for d in entry.diagnostics if d.span.start < boundary)
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
            else:
                converted = to_lsp(diagnostic, lines)
                header.setdefault(_key(converted), converted)
        if any(d.path != self.path or d.span.start < boundary for d in prompts):
            return UNREADABLE  # a template's own error, or the header's
        return ClipResult(
            clips[0].name, True, len(entry.diagnostics) - in_header, in_header, tuple(own), has_errors(d for d in found if d.path == self.path and d.span.start >= boundary),
            tuple(header.items()),
            tuple((path, program.sources[path].text, tuple(found_here)) for path, found_here in included.items()),
            tuple(_moved(to_lsp(d, lines), -header_lines) for d in prompts),
        )

    def _assemble(self, segments: list[Segment]) -> Union[Published, None]:
        """The clips' results put together as the whole check finds them (one pass over the clips)."""
        header: dict[tuple[object, ...], types.Diagnostic] = {}
        unused: Union[dict[tuple[object, ...], types.Diagnostic], None] = None
        included: dict[str, dict[tuple[object, ...], types.Diagnostic]] = {}
        texts: dict[str, str] = {}
        errors = False
        placed: list[tuple[int, ClipResult]] = []  # the clips with diagnostics of their own, and their first line
        line = self.header.count("\n")
        names = set()
        syntax_errors = segments[0].result.parse_header
        for segment in segments:
            result = segment.result
            if not result.readable or result.name in names:
                return None  # a broken clip line, or two clips of one name (SB208 compares clips)
            names.add(result.name)
            if result.own or result.prompts:
                placed.append((line, result))
                syntax_errors += result.parse_own
                errors = errors or result.own_errors
            line += segment.lines
            if not result.header and not result.included:
                unused = {}  # this clip uses every declaration: none is unused
                continue
            reported = {}
            for key, diagnostic in result.header:
                if diagnostic.code == _UNUSED:
                    reported[key] = diagnostic
                else:
                    header.setdefault(key, diagnostic)
            # unused only if unused by every clip: keep what each clip reports
            unused = reported if unused is None else {key: d for key, d in unused.items() if key in reported}
            for path, text, found in result.included:
                texts[path] = text
                into = included.setdefault(path, {})
                for diagnostic in found:
                    into.setdefault(_key(diagnostic), diagnostic)
        if syntax_errors >= MAX_SYNTAX_ERRORS:
            return None  # the whole file's parse stops reading at that many
        errors = errors or _any_error(header.values()) or any(_any_error(found.values()) for found in included.values())
        mine = [*header.values(), *(unused or {}).values()]
        for line, result in placed:
            if result.own:
                mine.extend(_moved(diagnostic, line) for diagnostic in result.own)
            if result.prompts and not errors:
                mine.extend(_moved(diagnostic, line) for diagnostic in result.prompts)
        by_path = {self.path: mine}
        by_path.update((path, list(found.values())) for path, found in included.items())
        return Published(by_path, texts)


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


_STEPS = (65536, 4096, 64, 1)  # compared a block at a time: a few dozen slices for a megabyte


def _common_prefix(old: str, new: str) -> int:
    """The length of the longest common prefix."""
    at, limit = 0, min(len(old), len(new))
    for step in _STEPS:
        while at + step <= limit and old[at : at + step] == new[at : at + step]:
            at += step
    return at


def _common_suffix(old: str, new: str, limit: int) -> int:
    """The length of the longest common suffix, at most `limit`."""
    size, old_end, new_end = 0, len(old), len(new)
    for step in _STEPS:
        while size + step <= limit and \
                old[old_end - size - step : old_end - size] == new[new_end - size - step : new_end - size]:
            size += step
    return size
