"""Diagnostics as values, and the one place they are rendered (full, concise, json)."""

from __future__ import annotations

from typing import Iterable, Mapping, NamedTuple, Sequence, Union

from .codes import CODES
from .source import Source, Span, visible

MACHINE_APPLICABLE = "machine-applicable"
MAYBE_INCORRECT = "maybe-incorrect"


class Fix(NamedTuple):
    """A suggested edit: replace `span` with `replacement`.

    As with rustc's suggestions, each says how safe it is: a `machine-applicable` fix is certainly what
    was meant and `story check --fix` applies it; a `maybe-incorrect` one (the closest declared name, the
    closest model) may change what the storyboard means, so it is shown and offered, never applied.
    """

    span: Span
    replacement: str
    applicability: str = MAYBE_INCORRECT

    @property
    def safe(self) -> bool:
        return self.applicability == MACHINE_APPLICABLE


class Diagnostic(NamedTuple):
    code: str
    message: str
    path: str
    span: Span
    label: str = ""
    help: str = ""
    fix: Union[Fix, None] = None
    severity: str = ""

    @property
    def level(self) -> str:
        return self.severity or CODES[self.code].severity


def make(
    code: str, message: str, source: Source, span: Span, *, label: str = "", help: str = "",
    fix: Union[Fix, None] = None, severity: str = "",
) -> Diagnostic:
    return Diagnostic(code, message, source.path, span, label, help, fix, severity)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(diagnostic.level == "error" for diagnostic in diagnostics)


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    return (diagnostic.path, diagnostic.span.start, diagnostic.span.end, diagnostic.code)


def to_record(diagnostic: Diagnostic, source: Source) -> dict[str, object]:
    start = source.position(diagnostic.span.start)
    end = source.position(diagnostic.span.end)
    return {
        "code": diagnostic.code,
        "severity": diagnostic.level,
        "message": diagnostic.message,
        "file": diagnostic.path,
        "line": start.line,
        "column": start.column,
        "end_line": end.line,
        "end_column": end.column,
        "help": diagnostic.help or None,
        "fix": _fix_record(diagnostic.fix, source),
    }


def _fix_record(fix: Union[Fix, None], source: Source) -> Union[dict[str, object], None]:
    if fix is None:
        return None
    start, end = source.position(fix.span.start), source.position(fix.span.end)
    return {"line": start.line, "column": start.column, "end_line": end.line, "end_column": end.column,
            "replacement": fix.replacement, "applicability": fix.applicability}


def apply_fixes(text: str, fixes: Iterable[Fix]) -> tuple[str, int]:
    """Apply non-overlapping fixes (the first of overlapping ones wins); return the text and count."""
    chosen: list[Fix] = []
    for fix in sorted(fixes, key=lambda f: (f.span.start, f.span.end)):
        if not chosen or fix.span.start >= chosen[-1].span.end:
            chosen.append(fix)
    for fix in reversed(chosen):
        text = text[: fix.span.start] + fix.replacement + text[fix.span.end :]
    return text, len(chosen)


def report(
    diagnostics: Sequence[Diagnostic], sources: Mapping[str, Source], format: str = "full"
) -> str:
    """Render diagnostics in `full`, `concise`, `json` or `github` (Actions annotations) form."""
    ordered = sorted(diagnostics, key=sort_key)
    if format == "json":
        import json  # only here: `story check` does not pay for it

        records = [to_record(d, sources[d.path]) for d in ordered]
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    render_one = {"concise": _concise, "github": _github}.get(format, _full)
    return "".join(render_one(d, sources[d.path]) for d in ordered)


def _github(diagnostic: Diagnostic, source: Source) -> str:
    """A GitHub Actions workflow command, shown as an annotation on the pull request's diff."""
    start = source.position(diagnostic.span.start)
    end = source.position(max(diagnostic.span.start, diagnostic.span.end))
    kind = {"error": "error", "warning": "warning"}.get(diagnostic.level, "notice")
    message = diagnostic.message + (f"\nhelp: {diagnostic.help}" if diagnostic.help else "")
    fields = {"file": diagnostic.path, "line": start.line, "endLine": end.line, "col": start.column,
              "endColumn": end.column, "title": f"{diagnostic.code} {CODES[diagnostic.code].name}"}
    properties = ",".join(f"{key}={_github_escape(str(value), True)}" for key, value in fields.items())
    return visible(f"::{kind} {properties}::{_github_escape(message, False)}") + "\n"  # CI logs render escapes


def _github_escape(text: str, property: bool) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text


def _concise(diagnostic: Diagnostic, source: Source) -> str:
    start = source.position(diagnostic.span.start)
    return visible(
        f"{diagnostic.path}:{start.line}:{start.column}: {diagnostic.level} "
        f"{diagnostic.code} {diagnostic.message}"
    ) + "\n"


def _full(diagnostic: Diagnostic, source: Source) -> str:
    start = source.position(diagnostic.span.start)
    end = source.position(max(diagnostic.span.start, diagnostic.span.end))
    gutter = " " * len(str(start.line))
    line_text = visible(source.line_text(start.line).expandtabs(1))  # one character for one
    shown = _clip_line(line_text, start.column)
    width = (end.column - start.column) if end.line == start.line else len(line_text) - start.column + 1
    caret_column = start.column - 1 - shown.offset
    marked = shown.text[caret_column : caret_column + max(width, 1)]
    carets = "^" * max(1, sum(2 if _is_wide(char) else 1 for char in marked))
    lines = [
        f"{diagnostic.level}[{diagnostic.code}]: {visible(diagnostic.message)}",
        f"{gutter}--> {visible(diagnostic.path)}:{start.line}:{start.column}",
        f"{gutter} |",
        f"{start.line} | {shown.text}",
        f"{gutter} | {_pad(shown.text[:caret_column])}{carets} {visible(diagnostic.label)}".rstrip(),
        f"{gutter} |",
    ]
    if diagnostic.help:
        lines.append(f"{gutter} = help: {visible(diagnostic.help)}")
    return "\n".join(lines) + "\n\n"


class _Shown(NamedTuple):
    text: str
    offset: int


def _clip_line(text: str, column: int, width: int = 120) -> _Shown:
    """Keep very long lines readable: show a window around the column."""
    if len(text) <= width:
        return _Shown(text, 0)
    start = max(0, min(column - 1 - width // 2, len(text) - width))
    return _Shown(text[start : start + width], start)


def _pad(prefix: str) -> str:
    """Spaces as wide as `prefix` on a terminal (CJK characters take two columns)."""
    return "".join("  " if _is_wide(char) else " " for char in prefix)


def _is_wide(char: str) -> bool:
    code = ord(char)
    return (
        0x1100 <= code <= 0x115F
        or 0x2E80 <= code <= 0xA4CF
        or 0xAC00 <= code <= 0xD7A3
        or 0xF900 <= code <= 0xFAFF
        or 0xFE30 <= code <= 0xFE4F
        or 0xFF00 <= code <= 0xFF60
        or 0xFFE0 <= code <= 0xFFE6
        or 0x20000 <= code <= 0x3FFFD
    )
