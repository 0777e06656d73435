"""The canonical layout of a storyboard. The entry point is `format_text(result)`.

Keywords, indentation (two spaces a level), durations and colons take one canonical spelling;
prose, descriptions and comments are copied byte for byte. One blank line is kept wherever the
author left one or more, and every top-level clip is set off by one. Formatting is idempotent.
"""

from __future__ import annotations

from typing import NamedTuple

from .nodes import (
    Camera,
    Clip,
    Cue,
    Declaration,
    Dialogue,
    Include,
    MediaInput,
    Prose,
    Setting,
    Shot,
    Soundtrack,
)
from .parse import ParseResult
from .settings import spec
from .timeline import timing

INDENT = "  "


class _Line(NamedTuple):
    offset: int  # where the line's node starts in the source
    depth: int
    text: str
    blank_before: bool = False


def format_text(result: ParseResult) -> str:
    """Canonical text for a file that parsed cleanly."""
    if result.storyboard is None or not result.complete:
        # A syntax error leaves lines out of the tree; formatting it would delete them.
        raise ValueError("cannot format a file with syntax errors")
    lines: list[_Line] = []
    for item in result.storyboard.items:
        _item(item, lines)
    return _weave(lines, result)


def _item(item: object, out: list[_Line]) -> None:
    if isinstance(item, Setting):
        out.append(_Line(item.span.start, 0, _setting_text(item)))
    elif isinstance(item, Declaration):
        label = f' "{item.label}"' if item.label is not None else ""
        out.append(_Line(item.span.start, 0, f"{item.kind} {item.name}{label}: {item.text.value}"))
        for medium in item.media:
            out.append(_Line(medium.span.start, 1, f"{medium.kind}: {medium.text.value}"))
    elif isinstance(item, Include):
        out.append(_Line(item.span.start, 0, f'include "{item.path}"'))
    elif isinstance(item, Clip):
        header = f"{item.kind} {item.name}"
        if item.duration is not None:
            header += f" {timing(item.duration)}"
        out.append(_Line(item.span.start, 0, header, blank_before=True))
        for line in item.lines:
            _body_line(line, 1, out)


def _setting_text(setting: Setting) -> str:
    separator = ": " if spec()[setting.key].get("written") == "key: value" else " "
    value = setting.value.value
    if setting.key == "continue":  # `continue "ep1.story"   finale  clip`: words, one space apart
        value = _single_spaced(value)
    return f"{setting.key}{separator}{value}"


def _single_spaced(value: str) -> str:
    """The words of a value one space apart, a leading quoted path kept as written."""
    if value.startswith('"') and value.count('"') == 2:
        close = value.index('"', 1)
        return " ".join([value[: close + 1], *value[close + 1:].split()])
    return " ".join(value.split())


def _body_line(line: object, depth: int, out: list[_Line]) -> None:
    if isinstance(line, Shot):
        header = f"shot {timing(line.timing)}"
        if line.framing is not None:
            header += f" {line.framing.value}"
        if line.text is not None:
            header += f": {line.text.value}"
        out.append(_Line(line.span.start, depth, header))
        for inner in line.lines:
            _body_line(inner, depth + 1, out)
    elif isinstance(line, Prose):
        out.append(_Line(line.span.start, depth, line.text.value))
    elif isinstance(line, Camera):
        out.append(_Line(line.span.start, depth, f"camera: {line.text.value}"))
    elif isinstance(line, Cue):
        out.append(_Line(line.span.start, depth, f"{line.kind}: {line.text.value}"))
    elif isinstance(line, Dialogue):
        out.append(_Line(line.span.start, depth, f"{line.kind} {line.speaker}: {line.line.value}"))
    elif isinstance(line, Soundtrack):
        out.append(_Line(line.span.start, depth, f"soundtrack: {line.source.value}"))
    elif isinstance(line, MediaInput):
        out.append(_Line(line.span.start, depth, f"{line.kind}: {line.text.value}"))
    elif isinstance(line, Setting):  # a clip's own setting
        out.append(_Line(line.span.start, depth, _setting_text(line)))


def _weave(lines: list[_Line], result: ParseResult) -> str:
    """Merge the code lines with the comments, keeping the author's blank lines (collapsed)."""
    source = result.source
    trailing = {source.position(c.span.start).line: c.text for c in result.comments if not c.own_line}
    own = [c for c in result.comments if c.own_line]
    out: list[str] = []
    previous_line = 0
    next_comment = 0

    def emit(text: str, source_line: int, blank: bool) -> None:
        nonlocal previous_line
        if out and (blank or source_line - previous_line > 1):
            out.append("")
        out.append(text)
        previous_line = source_line

    for line in lines:
        # A clip is set off by a blank line, together with the comments written just above it.
        separate = line.blank_before
        while next_comment < len(own) and own[next_comment].span.start < line.offset:
            comment = own[next_comment]
            emit(INDENT * line.depth + comment.text, source.position(comment.span.start).line, separate)
            separate = False
            next_comment += 1
        source_line = source.position(line.offset).line
        text = INDENT * line.depth + line.text
        if source_line in trailing:
            text += "  " + trailing.pop(source_line)
        emit(text, source_line, separate)
    for comment in own[next_comment:]:
        emit(comment.text, source.position(comment.span.start).line, False)
    return "\n".join(out) + "\n" if out else ""
