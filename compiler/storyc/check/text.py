"""Characters the programs after `story check` cannot take.

A storyboard's text reaches XML timelines (FCPXML, Final Cut 7), which XML 1.0 limits to its
`Char` production, and the card renderer of the animatic and the emulator, whose shaper (raqm)
fails on a paragraph separator inside a line. C0 controls are refused when the file is read
(SB103); this module covers the rest: noncharacters and C1 controls (SB420, an error: they are not
text, and U+FFFE/U+FFFF break every XML export) and line or paragraph separators other than a
newline (SB421, a warning: a storyboard line is one line, and the fix makes them spaces).
"""

from __future__ import annotations

import re
from typing import Iterator

from ..base.diagnostics import MACHINE_APPLICABLE, Diagnostic, Fix, make
from ..base.source import Source, Span
from .context import Context

# One pass finds every candidate: C1 controls (U+0085 among them), the line and paragraph
# separators, U+FDD0-U+FDEF, and U+FFFE upwards (U+FFFE, U+FFFF, and every astral character, of
# which only each plane's last two are noncharacters). A class that lists the 32 astral
# noncharacters one by one made the pass 7x slower.
_SUSPECT = "[\x80-\x9f\u2028\u2029\ufdd0-\ufdef\ufffe-\U0010ffff]"  # compiled on first use (0.3 ms)
_LINE_BREAKS = {"\x85": "next line", "\u2028": "line separator", "\u2029": "paragraph separator"}
_MAX_REPORTS = 20  # of each code per file, as SB103 does: the fix removes them all at once


def characters(context: Context) -> Iterator[Diagnostic]:
    """SB420 and SB421 in the entry file and every file it includes."""
    sources = [context.source, *(result.source for result in context.program.includes)]
    for source in sources:
        yield from _in(source)


def _in(source: Source) -> Iterator[Diagnostic]:
    text = source.text
    if text.isascii():  # a flag of the string: no scan
        return
    reported = {"SB420": 0, "SB421": 0}
    for match in re.finditer(_SUSPECT, text):  # re's cache keeps it compiled
        char = match.group()
        code = ord(char)
        if code > 0xFFFF and code & 0xFFFE != 0xFFFE:
            continue  # an astral character that is text (emoji, rare CJK)
        kind = "SB421" if char in _LINE_BREAKS else "SB420"
        if reported[kind] == _MAX_REPORTS:
            continue
        reported[kind] += 1
        yield _line_break(source, match.start(), char) if kind == "SB421" else _not_text(source, match.start(), code)


def _not_text(source: Source, start: int, code: int) -> Diagnostic:
    span = Span(start, start + 1)
    return make(
        "SB420", f"character U+{code:04X} is not text", source, span, label="not text",
        help="delete it: timelines (XML) cannot hold it and the service reads it as noise",
        fix=Fix(span, "", MACHINE_APPLICABLE),
    )


def _line_break(source: Source, start: int, char: str) -> Diagnostic:
    span = Span(start, start + 1)
    return make(
        "SB421", f"{_LINE_BREAKS[char]} (U+{ord(char):04X}) inside a line", source, span,
        label="a line break inside a line",
        help="a storyboard line is one line: make it a space, or start a new line",
        fix=Fix(span, " ", MACHINE_APPLICABLE),
    )


RULES = (characters,)
