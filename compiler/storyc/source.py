"""Source text and spans: offsets are code points into exactly the text the editor holds."""

from __future__ import annotations

from bisect import bisect_right
from typing import NamedTuple


class Span(NamedTuple):
    """A half-open range of code-point offsets into a `Source`."""

    start: int
    end: int


class Position(NamedTuple):
    """A 1-based line and column (columns count code points)."""

    line: int
    column: int


class Source:
    """One file's text with a line table for offset -> line/column lookups."""

    __slots__ = ("path", "text", "_line_starts")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self._line_starts: list[int] | None = None

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            index = find("\n")
            while index != -1:
                starts.append(index + 1)
                index = find("\n", index + 1)
            self._line_starts = starts
        return self._line_starts

    def position(self, offset: int) -> Position:
        starts = self._starts()
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(starts, offset) - 1
        return Position(line + 1, offset - starts[line] + 1)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line ending."""
        starts = self._starts()
        if not 1 <= line <= len(starts):
            return ""
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[start:end].rstrip("\r")


def decode(data: bytes) -> tuple[str, int | None]:
    """Decode UTF-8 bytes; on failure return the text decoded with replacement and the bad offset.

    The offset is a code-point offset into the returned text so the error can be pointed at.
    """
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        good = data[: error.start].decode("utf-8", errors="replace")
        return data.decode("utf-8", errors="replace"), len(good)
