"""Turn the LALR driver's failures into compiler-grade syntax diagnostics.

Terminal names never reach the user: `data/syntax_terms.json` gives each a human name, and a few common
mistakes get a `help` line. Only imported work happens on the error path.
"""

from __future__ import annotations

import re
from typing import Iterable

from . import data
from .diagnostics import Diagnostic, Fix, make
from .source import Source, Span

_WORD = re.compile(r"[^\s]{1,40}")
_BARE_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?$")
_KEYWORDS = (
    "storyboard", "model", "resolution", "ratio", "size", "language", "seed", "watermark",
    "prompt-extend", "negative", "region", "style", "cast", "place", "include", "clip", "scene",
    "shot", "camera:", "sfx:", "music:", "ambience:", "say", "voiceover", "soundtrack:",
)
_DECLARATIONS = {"CAST", "PLACE", "STYLE"}


def _terms() -> dict[str, str]:
    terms: dict[str, str] = data.table("syntax_terms")
    return terms


def describe_expected(expected: Iterable[str], at_line_start: bool = False) -> str:
    terms = _terms()
    names = set(expected) - {"__IGNORE_0"}
    if at_line_start and names - {"_NL", "$END"}:
        names -= {"_NL", "$END"}  # a blank line is always fine; naming it only adds noise
    grouped = names >= _DECLARATIONS and "SETTING_KEY" in names
    described: list[str] = []
    for name in terms:  # the JSON's order is the order of mention
        if grouped and name in _DECLARATIONS:
            if name == "CAST":
                described.append("a declaration (`cast`, `place` or `style`)")
        elif name in names:
            described.append(terms[name])
    described = list(dict.fromkeys(described))
    if not described:
        return "nothing more here"
    if len(described) == 1:
        return described[0]
    return ", ".join(described[:-1]) + " or " + described[-1]


def _found(text: str, offset: int) -> tuple[str, int]:
    """How to name what stands at `offset`, and how many characters to underline."""
    if offset >= len(text) - 1 and text[offset:].strip() == "":
        return "the end of the file", 0
    if text[offset] in "\r\n":
        return "the end of the line", 0
    match = _WORD.match(text, offset)
    word = match.group() if match else text[offset]
    shown = "".join(ch if ch.isprintable() else f"U+{ord(ch):04X}" for ch in word)
    return f"`{shown}`", len(word)


def _missing_unit(expected: Iterable[str], word: str) -> bool:
    """A bare number where a duration belongs: `15` for `15s`."""
    return bool({"DURATION", "TIME_RANGE"} & set(expected)) and bool(_BARE_NUMBER.match(word))


def _help(expected: set[str], word: str) -> str:
    if _missing_unit(expected, word):
        return f"durations carry a unit: write `{word}s`"
    if "NAME" in expected and word and not word[0].isascii():
        return "names are ASCII letters, digits, `_` and `-` (for `@name`); put the Chinese name in the description"
    if "SETTING_KEY" in expected or "VALUE" in expected or "SHOT" in expected:
        import difflib

        close = difflib.get_close_matches(word.lower(), _KEYWORDS, n=1, cutoff=0.75)
        if close:
            return f"the keyword is `{close[0]}`"
    if "_COLON" in expected:
        return "put `:` between the name and its text"
    return ""


def _at_line_start(text: str, offset: int) -> bool:
    return text[text.rfind("\n", 0, offset) + 1 : offset].strip() == ""


def lex_failure(source: Source, text: str, offset: int, expected: frozenset[str]) -> Diagnostic:
    found, width = _found(text, offset)
    word = text[offset : offset + width]
    wanted = describe_expected(expected, _at_line_start(text, offset))
    span = Span(offset, offset + max(width, 1))
    fix = None
    if _missing_unit(expected, word):
        fix = Fix(span, f"{word}s")
    return make(
        "SB101", f"expected {wanted}, found {found}", source, span, label="unexpected here",
        help=_help(set(expected), word), fix=fix,
    )


def parse_failure(
    source: Source, text: str, token: tuple[str, str, int, int], expected: frozenset[str]
) -> Diagnostic:
    kind, value, start, end = token
    if kind == "_INDENT":
        return make(
            "SB102", "unexpected indentation", source, Span(start, start + 1),
            label="this line is indented but opens no block",
            help="only the lines under `clip`, `scene` or `shot` are indented",
        )
    if kind == "_DEDENT":
        return make(
            "SB101", f"expected {describe_expected(expected)} in the indented block, found its end",
            source, Span(start, start + 1), label="the block ends here",
            help="indent the lines that belong to it",
        )
    if kind == "$END":
        found, width = "the end of the file", 0
    elif kind == "_NL":
        found, width = "the end of the line", 0
    else:
        found, width = _found(text, start)
    wanted = describe_expected(expected, _at_line_start(text, start))
    return make(
        "SB101", f"expected {wanted}, found {found}", source,
        Span(start, start + max(width, 1)), label="unexpected here", help=_help(set(expected), value),
    )
