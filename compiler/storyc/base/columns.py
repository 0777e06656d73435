"""Text laid out in terminal columns: tables whose columns line up whatever script the cells are in.

A terminal gives East Asian Wide and Fullwidth characters (`獵豹`, `ＡＢ`) two columns, combining
marks and format characters none, and everything else one (Unicode UAX #11), so widths are
measured that way and never in code points. `table` aligns rows (a cell may hold several lines);
with a `limit` it wraps the widest cells at spaces until the table fits that many columns.
"""

from __future__ import annotations

from typing import Sequence, Union

GAP = "  "


def width(text: str) -> int:
    """The columns `text` takes in a terminal."""
    if text.isascii():
        return len(text)
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    import unicodedata  # here, not at the top: tables of ASCII text (most of them) need not load it

    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def pad(text: str, columns: int) -> str:
    """`text` followed by spaces up to `columns` terminal columns (`str.ljust` counts code points)."""
    return text + " " * max(0, columns - width(text))


def table(rows: Sequence[Sequence[str]], limit: Union[int, None] = None, indent: str = "") -> list[str]:
    """The rows aligned in columns, trailing spaces dropped; with `limit`, cells wrap at spaces so
    that no line is wider than `limit` where the longest words allow it."""
    if not rows:
        return []
    count = len(rows[0])
    widths = [max(width(line) for row in rows for line in row[i].split("\n")) for i in range(count)]
    if limit is not None:
        _shrink(widths, rows, limit - width(indent) - width(GAP) * (count - 1))
    lines = []
    for row in rows:
        cells = [_wrap(cell, widths[i]) for i, cell in enumerate(row)]
        for depth in range(max(len(cell) for cell in cells)):
            parts = [pad(cell[depth] if depth < len(cell) else "", widths[i]) for i, cell in enumerate(cells)]
            lines.append((indent + GAP.join(parts)).rstrip())
    return lines


def _shrink(widths: list[int], rows: Sequence[Sequence[str]], room: int) -> None:
    """Narrow columns one column at a time until the row fits `room`: each step narrows the column
    that wraps into the fewest new lines (the wider one on a tie), never below its longest word."""
    floors = [max(width(word) for row in rows for word in row[i].replace("\n", " ").split(" "))
              for i in range(len(widths))]

    def height(column: int, columns: int) -> int:
        return sum(len(_wrap(row[column], columns)) for row in rows)

    while sum(widths) > room:
        shrinkable = [i for i in range(len(widths)) if widths[i] > floors[i]]
        if not shrinkable:
            return
        best = min(shrinkable, key=lambda i: (height(i, widths[i] - 1) - height(i, widths[i]), -widths[i], i))
        widths[best] -= 1


def _wrap(cell: str, columns: int) -> list[str]:
    """The cell in lines of at most `columns`, broken at its own line ends and then at spaces (a
    longer word keeps its own line)."""
    return [line for text in cell.split("\n") for line in _wrap_line(text, columns)]


def _wrap_line(cell: str, columns: int) -> list[str]:
    if width(cell) <= columns:
        return [cell]
    lines: list[str] = []
    line = ""
    for word in cell.split(" "):
        candidate = f"{line} {word}" if line else word
        if line and width(candidate) > columns:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    return lines
