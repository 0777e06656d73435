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

# Noncharacters (U+FDD0-U+FDEF and the last two code points of every plane) and C1 controls but
# U+0085, which is a line break and reported as one.
_NOT_TEXT = re.compile(
    "[\x80-\x84\x86-\x9f\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
    + "]"
)
_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")
_NAMES = {"\x85": "NEXT LINE", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}


def characters(context: Context) -> Iterator[Diagnostic]:
    """SB420 and SB421 in the entry file and every file it includes."""
    sources = [context.source, *(result.source for result in context.program.includes)]
    for source in sources:
        yield from _in(source)


def _in(source: Source) -> Iterator[Diagnostic]:
    text = source.text
    if _NOT_TEXT.search(text) is None and _LINE_BREAKS.search(text) is None:
        return
    for match in _NOT_TEXT.finditer(text):
        span = Span(match.start(), match.end())
        yield make(
            "SB420", f"character U+{ord(match.group()):04X} is not text", source, span,
            label="not text", help="delete it: timelines (XML) cannot hold it and the service reads it as noise",
            fix=Fix(span, "", MACHINE_APPLICABLE),
        )
    for match in _LINE_BREAKS.finditer(text):
        span = Span(match.start(), match.end())
        code = ord(match.group())
        yield make(
            "SB421", f"{_NAMES[match.group()].lower()} (U+{code:04X}) inside a line", source, span,
            label="a line break inside a line",
            help="a storyboard line is one line: make it a space, or start a new line",
            fix=Fix(span, " ", MACHINE_APPLICABLE),
        )


RULES = (characters,)
