"""Diagnostics as the editor shows them, formatting (`story fmt`'s code), and code actions from fixes."""

from __future__ import annotations

import difflib
from typing import Union

from lsprotocol import types

from ..base.diagnostics import Diagnostic, Fix
from ..base.source import Source, Span
from ..language.fmt import format_text
from ..language.parse import parse
from .analysis import Analysis
from .positions import LineIndex

SOURCE = "storyc"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
_UNNECESSARY = {"SB206"}  # shown faded: an unused declaration


def to_lsp(diagnostic: Diagnostic, lines: LineIndex) -> types.Diagnostic:
    """The same code, message and span as `story check`; the help line follows the message."""
    message = diagnostic.message + (f"\nhelp: {diagnostic.help}" if diagnostic.help else "")
    return types.Diagnostic(
        range=lines.range(diagnostic.span),
        message=message,
        severity=_SEVERITY.get(diagnostic.level, types.DiagnosticSeverity.Hint),
        code=diagnostic.code,
        source=SOURCE,
        tags=[types.DiagnosticTag.Unnecessary] if diagnostic.code in _UNNECESSARY else None,
    )


def by_path(analysis: Analysis) -> dict[str, list[types.Diagnostic]]:
    """The analysis's diagnostics for every file it read, the buffer and its includes."""
    grouped: dict[str, list[types.Diagnostic]] = {path: [] for path in analysis.program.sources}
    for diagnostic in analysis.diagnostics:
        grouped.setdefault(diagnostic.path, []).append(to_lsp(diagnostic, analysis.lines(diagnostic.path)))
    return grouped


# -- formatting


def formatted(path: str, text: str) -> Union[str, None]:
    """`story fmt`'s output for the buffer, or None when it has syntax errors (nothing is changed)."""
    result = parse(Source(path, text))
    if result.storyboard is None or any(d.level == "error" for d in result.diagnostics):
        return None
    return format_text(result)


def format_document(path: str, text: str, encoding: str) -> Union[list[types.TextEdit], None]:
    new = formatted(path, text)
    if new is None:
        return None
    if new == text:
        return []
    lines = LineIndex(text, encoding)
    return [types.TextEdit(range=lines.range(Span(0, len(text))), new_text=new)]


def format_range(path: str, text: str, encoding: str, wanted: types.Range) -> Union[list[types.TextEdit], None]:
    """The formatter's changes to the lines that touch `wanted`, leaving the rest as written."""
    new = formatted(path, text)
    if new is None:
        return None
    old_lines = text.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    lines = LineIndex(text, encoding)
    first, last = wanted.start.line, max(wanted.start.line, wanted.end.line - (wanted.end.character == 0))
    edits = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        touched_last = max(i1, i2 - 1)
        if touched_last < first or i1 > last:
            continue
        start = lines.line_span(i1).start if i1 < lines.line_count else len(text)
        end = lines.line_span(i2).start if i2 < lines.line_count else len(text)
        edits.append(types.TextEdit(range=lines.range(Span(start, end)), new_text="".join(new_lines[j1:j2])))
    return edits


# -- code actions


def _preferred(fix: Fix) -> bool:
    """Machine-applicable fixes are the editor's preferred action (when fixes say how applicable they are)."""
    applicability = getattr(fix, "applicability", None)
    return applicability is not None and "machine" in str(applicability).lower().replace("_", "-")


def _title(fix: Fix, text: str) -> str:
    old = text[fix.span.start : fix.span.end]
    if not old:
        return f"Insert `{fix.replacement}`"
    if not fix.replacement:
        return f"Delete `{old}`"
    return f"Replace `{old}` with `{fix.replacement}`"


def code_actions(analysis: Analysis, uri: str, wanted: types.Range,
                 only: Union[list[str], None] = None) -> list[types.CodeAction]:
    """A quick fix per diagnostic with a fix under `wanted`; and, when any fix is machine-applicable,
    a `source.fixAll` action applying all of those (as `story check --fix` would)."""
    lines = analysis.lines(analysis.path)
    span = lines.span(wanted)
    actions = []
    fixable = [d for d in analysis.diagnostics if d.fix is not None and d.path == analysis.path]
    for diagnostic in fixable:
        fix = diagnostic.fix
        assert fix is not None
        if diagnostic.span.end < span.start or diagnostic.span.start > span.end:
            continue
        edit = types.TextEdit(range=lines.range(fix.span), new_text=fix.replacement)
        actions.append(types.CodeAction(
            title=_title(fix, analysis.text),
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[to_lsp(diagnostic, lines)],
            edit=types.WorkspaceEdit(changes={uri: [edit]}),
            is_preferred=_preferred(fix) or None,
        ))
    safe = _non_overlapping([d.fix for d in fixable if d.fix is not None and _preferred(d.fix)])
    if safe:
        actions.append(types.CodeAction(
            title=f"Apply {len(safe)} safe fix{'es' if len(safe) != 1 else ''} (story check --fix)",
            kind=types.CodeActionKind.SourceFixAll,
            edit=types.WorkspaceEdit(changes={uri: [
                types.TextEdit(range=lines.range(fix.span), new_text=fix.replacement) for fix in safe]}),
        ))
    if only:
        actions = [a for a in actions if any(_kind(a.kind).startswith(kind) for kind in only)]
    return actions


def _kind(kind: object) -> str:
    return str(getattr(kind, "value", kind))


def _non_overlapping(fixes: list[Fix]) -> list[Fix]:
    chosen: list[Fix] = []
    for fix in sorted(fixes, key=lambda f: (f.span.start, f.span.end)):
        if not chosen or fix.span.start >= chosen[-1].span.end:
            chosen.append(fix)
    return chosen
