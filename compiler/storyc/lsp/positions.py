"""Code-point offsets (what the compiler counts) <-> LSP positions in the negotiated encoding.

LSP columns count UTF-16 code units by default; a client may negotiate UTF-8 bytes or UTF-32 code
points instead. Lines end at `\\n` (a `\\r` before it stays part of the line, as in `Source`).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Union

from lsprotocol import types

from ..base.source import Span, line_starts

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def _units(text: str, encoding: str) -> int:
    """How many code units of `encoding` the text takes."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", errors="surrogatepass"))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


_COUNTED = 16  # positions found by counting before the table of line starts is made
_MAX_LINE = 1 << 62


class LineIndex:
    """One text's line table, converting in both directions for one position encoding."""

    __slots__ = ("text", "encoding", "_table", "_near", "_asked")

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = str(encoding)
        # The table of line starts is made on first need: a few positions in a long text (a large
        # clip's diagnostics after an edit) are found by counting newlines from the nearest one before.
        self._table: Union[list[int], None] = None
        self._near: list[tuple[int, int]] = [(0, 0)]  # (offset, line) of line starts found so far
        self._asked = 0

    @property
    def _starts(self) -> list[int]:
        if self._table is None:
            self._table = line_starts(self.text)
        return self._table

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line_of(self, offset: int) -> int:
        """The 0-based line holding `offset`."""
        return bisect_right(self._starts, max(0, min(offset, len(self.text)))) - 1

    def line_span(self, line: int) -> Span:
        """The line's text without its `\\n` (0-based line)."""
        line = max(0, min(line, len(self._starts) - 1))
        start = self._starts[line]
        end = self._starts[line + 1] - 1 if line + 1 < len(self._starts) else len(self.text)
        return Span(start, end)

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line, start = self._line_and_start(offset)
        return types.Position(line=line, character=_units(self.text[start:offset], self.encoding))

    def _line_and_start(self, offset: int) -> tuple[int, int]:
        if self._table is None and self._asked < _COUNTED:
            self._asked += 1
            near = self._near
            at = bisect_right(near, (offset, _MAX_LINE)) - 1
            known, line = near[at]
            start = self.text.rfind("\n", known, offset) + 1 or known
            line += self.text.count("\n", known, start)
            near.insert(at + 1, (start, line))
            return line, start
        line = bisect_right(self._starts, offset) - 1
        return line, self._starts[line]

    def range(self, span: Span) -> types.Range:
        return types.Range(start=self.position(span.start), end=self.position(max(span.start, span.end)))

    def offset(self, position: types.Position) -> int:
        """The code-point offset of an LSP position; columns past the line's end clamp to it."""
        if position.line >= len(self._starts):
            return len(self.text)
        start, end = self.line_span(position.line)
        return start + column(self.text[start:end], position.character, self.encoding)

    def span(self, range_: types.Range) -> Span:
        return Span(self.offset(range_.start), self.offset(range_.end))


def column(line: str, wanted: int, encoding: str) -> int:
    """The code-point column of `wanted` code units into `line`; past its end, its end."""
    if encoding == UTF32 or line.isascii():
        return min(wanted, len(line))
    units = 0
    for index, char in enumerate(line):
        if units >= wanted:
            return index
        code = ord(char)
        if encoding == UTF8:
            units += 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
        else:
            units += 2 if code > 0xFFFF else 1
    return len(line)
