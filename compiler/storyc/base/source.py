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


def line_starts(text: str) -> list[int]:
    """The offset of each line's first character (a line ends at `\n`)."""
    starts = [0]
    find = text.find
    index = find("\n")
    while index != -1:
        starts.append(index + 1)
        index = find("\n", index + 1)
    return starts


class Source:
    """One file's text with a line table for offset -> line/column lookups."""

    __slots__ = ("path", "text", "_line_starts")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self._line_starts: list[int] | None = None

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = line_starts(self.text)
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


# C0 controls become their Unicode control pictures (ESC -> U+241B), DEL U+2421; C1 controls, bidi
# overrides and line separators, which have no picture, become U+FFFD. One character for one, so
# carets under a source excerpt stay aligned.
_VISIBLE = {
    **{code: 0x2400 + code for code in range(0x20)},
    0x7F: 0x2421,
    **{code: 0xFFFD for code in range(0x80, 0xA0)},
    **{code: 0xFFFD for code in (0x061C, 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))},
}


def visible(text: str) -> str:
    """`text` safe to print on a terminal: no control character reaches it as itself."""
    return text.translate(_VISIBLE)
