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
Where this does not hold, the buffer is checked whole, as `story check` does: a syntax error (its
recovery may cross clips), two clips of one name (SB208), a header line after the first clip, a
file with no clips, a byte-order mark or text that is not UTF-8. `tests/test_lsp_properties.py`
holds the two ways to the same diagnostics over random edit sequences.
"""

from __future__ import annotations

import re
from typing import Iterable, NamedTuple, Union

from lsprotocol import types

from ..base.diagnostics import Diagnostic, has_errors
from ..base.source import Source
from ..models.profile import Catalog
from .edits import to_lsp
from .positions import LineIndex

_TOP_LEVEL = re.compile(r"^[^ \t\r\n#]", re.M)  # a line that starts an item: no indentation, no comment
_CLIP = re.compile(r"(?:clip|scene)(?![\w-])")
_UNUSED = "SB206"


class ClipResult(NamedTuple):
    """One clip checked as *header + clip*; line numbers in `own` count from the clip's first line."""

    name: Union[str, None]
    readable: bool  # no syntax error, nothing that needs the whole-file check
    own: tuple[types.Diagnostic, ...]
    own_errors: bool
    header: tuple[tuple[tuple[object, ...], types.Diagnostic], ...]  # keyed, in the header's lines
    included: tuple[tuple[str, str, tuple[types.Diagnostic, ...]], ...]  # (path, text, diagnostics)
    prompts: tuple[types.Diagnostic, ...]  # SB313/SB501, measured when the clip has no error


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
        self.clips: dict[str, ClipResult] = {}
        self.rechecked = 0  # clips checked by the last call (for tests and the benchmark)

    def forget(self) -> None:
        """Drop every result: an included file may have changed on disk."""
        self.clips.clear()

    def diagnostics(self, text: str) -> Union[Published, None]:
        """The buffer's diagnostics as the whole-file check finds them, or None where only the whole
        file can tell (the caller then checks it whole)."""
        if text.startswith("\ufeff"):
            return None
        starts = [match.start() for match in _TOP_LEVEL.finditer(text)]
        clip_starts = [start for start in starts if _CLIP.match(text, start)]
        if not clip_starts or len(clip_starts) != len(starts) - starts.index(clip_starts[0]):
            return None  # no clips, or a setting or declaration after the first clip
        header = text[: clip_starts[0]]
        if header != self.header:
            if not _is_utf8(header):
                return None
            self.header = header
            self.clips = {}
        header_lines = header.count("\n")
        known = self.clips
        current: dict[str, ClipResult] = {}
        placed: list[tuple[int, ClipResult]] = []
        line = header_lines
        self.rechecked = 0
        bounds = [*clip_starts, len(text)]
        for index, start in enumerate(clip_starts):
            clip_text = text[start : bounds[index + 1]]
            result = current.get(clip_text) or known.get(clip_text)
            if result is None:
                if not _is_utf8(clip_text):
                    return None
                result = self._check(clip_text, header_lines)
                self.rechecked += 1
            if not result.readable:
                return None
            current[clip_text] = result
            placed.append((line, result))
            line += clip_text.count("\n")
        self.clips = current
        names = [result.name for _, result in placed]
        if len(set(names)) != len(names):
            return None  # SB208 compares clips with each other
        return self._assemble(placed)

    def _check(self, clip_text: str, header_lines: int) -> ClipResult:
        from ..compile.diagnose import checked_plan
        from ..language.load import load_parsed
        from ..language.parse import parse

        text = self.header + clip_text
        entry = parse(Source(self.path, text), resume=False)
        storyboard = entry.storyboard
        clips = storyboard.clips if storyboard is not None else ()
        if entry.diagnostics or not entry.complete or len(clips) != 1:
            return ClipResult(None, False, (), False, (), (), ())
        program = load_parsed(entry)
        found, planned = checked_plan(program, self.profiles)
        prompts: list[Diagnostic] = []
        if planned is not None:
            from ..compile.emit import prompt_diagnostics

            prompts = prompt_diagnostics(planned)
        lines = LineIndex(text, self.encoding)
        boundary = len(self.header)
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
            return ClipResult(None, False, (), False, (), (), ())  # a template's own error, or the header's
        return ClipResult(
            clips[0].name, True, tuple(own), has_errors(d for d in found if d.path == self.path and d.span.start >= boundary),
            tuple(header.items()),
            tuple((path, program.sources[path].text, tuple(found_here)) for path, found_here in included.items()),
            tuple(_moved(to_lsp(d, lines), -header_lines) for d in prompts),
        )

    def _assemble(self, placed: list[tuple[int, ClipResult]]) -> Published:
        header: dict[tuple[object, ...], types.Diagnostic] = {}
        unused: Union[dict[tuple[object, ...], types.Diagnostic], None] = None
        included: dict[str, dict[tuple[object, ...], types.Diagnostic]] = {}
        texts: dict[str, str] = {}
        errors = False
        for _, result in placed:
            errors = errors or result.own_errors
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
        errors = errors or _any_error(header.values()) or any(_any_error(found.values()) for found in included.values())
        mine = [*header.values(), *(unused or {}).values()]
        for line, result in placed:
            mine.extend(_moved(diagnostic, line) for diagnostic in result.own)
            if not errors:
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
