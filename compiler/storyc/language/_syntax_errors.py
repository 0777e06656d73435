"""Turn the LALR driver's failures into compiler-grade syntax diagnostics, and say what to skip.

Terminal names never reach the user: `data/syntax_terms.json` gives each a human name, and a few common
mistakes get a `help` line. Only imported work happens on the error path.
"""

from __future__ import annotations

import re
from typing import Iterable, Union

from ..base import data
from ..base.diagnostics import MACHINE_APPLICABLE, Diagnostic, Fix, make
from ..base.source import Source, Span
from ._lalr import Failure, IndentFailure, LexFailure, ParseFailure

_WORD = re.compile(r"[^\s]{1,40}")
_BARE_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?$")
_KEYWORDS = (
    "storyboard", "model", "resolution", "ratio", "size", "language", "seed", "watermark",
    "prompt-extend", "negative", "region", "style", "cast", "place", "include", "clip", "scene",
    "shot", "camera:", "sfx:", "music:", "ambience:", "say", "voiceover", "soundtrack:",
)
_BARE_KEYWORDS = frozenset(keyword.rstrip(":") for keyword in _KEYWORDS)
# A capitalised keyword that opens a block reads as prose; the indented block under it then opens
# nowhere. Only the shapes of real headers are recognised, so "Shot from a low angle" stays prose.
_CAPITALISED_HEADER = re.compile(
    r"[ \t]*(?P<word>(?i:shot)(?=[ \t]+[\[0-9])|(?i:clip|scene)(?=[ \t]+[^\W\d][\w-]*[ \t]*(?:[0-9.]+(?:s|秒))?[ \t]*$))"
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


def _capitalised(word: str) -> Union[str, None]:
    """The keyword a capitalised word stands for (`Clip` -> `clip`), if any."""
    bare = word.rstrip(":：")
    if bare != bare.lower() and bare.lower() in _BARE_KEYWORDS:
        return bare.lower()
    return None


def _help(expected: set[str], word: str) -> str:
    if _missing_unit(expected, word):
        return f"durations carry a unit: write `{word}s`"
    if "PATH" in expected and word.startswith('"'):
        return 'the path\'s closing `"` is missing: a path is written `"…"` on one line'
    if "SETTING_KEY" in expected or "VALUE" in expected or "SHOT" in expected:
        keyword = _capitalised(word)
        if keyword:
            return f"keywords are lowercase: write `{keyword}`"
        import difflib

        close = difflib.get_close_matches(word.lower(), _KEYWORDS, n=1, cutoff=0.75)
        if close:
            return f"the keyword is `{close[0]}`"
    if "FRAMING" in expected:
        return "after the timing comes one framing word (`wide`, `close-up`), then `:` and text if you like"
    if "NAME" in expected:
        return "a name is letters and digits of any script, `_` and `-`, starting with a letter or `_`"
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
        fix = Fix(span, f"{word}s", MACHINE_APPLICABLE)
    elif _at_line_start(text, offset) and _capitalised(word):
        bare = word.rstrip(":：")
        fix = Fix(Span(offset, offset + len(bare)), bare.lower(), MACHINE_APPLICABLE)
    return make(
        "SB101", f"expected {wanted}, found {found}", source, span, label="unexpected here",
        help=_help(set(expected), word), fix=fix,
    )


def parse_failure(
    source: Source, text: str, token: tuple[str, str, int, int], expected: frozenset[str]
) -> Diagnostic:
    kind, value, start, end = token
    if kind == "_INDENT":
        help = "only the lines under `clip`, `scene` or `shot` are indented"
        if "\t" in value:
            width = len(value) + value.count("\t") * 7
            help += f"; a tab counts as 8 columns, so this line is indented {width} columns"
        return make(
            "SB102", "unexpected indentation", source, Span(start, start + 1),
            label="this line is indented but opens no block", help=help,
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


def indent_failure(
    source: Source, offset: int, indent: str, width: int, levels: tuple[tuple[int, str], ...], tab_width: int,
) -> Diagnostic:
    """A line dedented to a depth between two open blocks."""
    depths = [depth for depth, _ in levels]
    around = [depth for depth in depths if depth < width][-1:] + [depth for depth in depths if depth > width][:1]
    tabs = "\t" in indent or any("\t" in text for _, text in levels)
    label = f"{width} columns" + (f" (a tab counts as {tab_width})" if "\t" in indent else "")
    choices = " or ".join(str(depth) for depth in around)
    help = f"indent it by {choices} columns, like the lines of the block it belongs to"
    if tabs:
        help = (
            f"a tab counts as {tab_width} columns and a space as one, so tabs and spaces rarely line up: "
            f"indent it by {choices} columns with the same characters as the lines above it "
            "(`story fmt` rewrites every level as two spaces)"
        )
    return make(
        "SB102", "this line's indentation matches no enclosing block", source,
        Span(offset, offset + max(len(indent), 1)), label=label, help=help,
    )


def recovery(source: Source, text: str, failure: Failure, tab_width: int) -> tuple[Diagnostic, int, int]:
    """The diagnostic for `failure`, where the text to skip starts, and the indentation (in columns)
    that closes it: the skipped part runs on over every following line indented deeper than that."""
    if isinstance(failure, IndentFailure):
        diagnostic = indent_failure(
            source, failure.offset, failure.indent, failure.width, failure.levels, tab_width
        )
        return diagnostic, failure.offset, failure.width
    if isinstance(failure, LexFailure):
        diagnostic = lex_failure(source, text, failure.offset, failure.expected)
        start = _line_start(text, failure.offset)
        return diagnostic, start, _width(text, start, tab_width)
    assert isinstance(failure, ParseFailure)
    kind, _, offset, _ = failure.token
    if kind in ("_INDENT", "_DEDENT", "$END"):
        previous = _previous_code_line(text, _line_start(text, offset))
        limit = _width(text, previous, tab_width) if previous is not None else 0
        if kind == "_INDENT" and previous is not None:
            header = _CAPITALISED_HEADER.match(text, previous, _line_end(text, previous))
            if header is not None:
                return _lowercase_header(source, header.start("word"), header.group("word")), previous, limit
        diagnostic = parse_failure(source, text, failure.token, failure.expected)
        if kind == "_INDENT" or previous is None:
            return diagnostic, _line_start(text, offset), limit
        return diagnostic, previous, limit
    diagnostic = parse_failure(source, text, failure.token, failure.expected)
    start = _line_start(text, offset)
    return diagnostic, start, _width(text, start, tab_width)


def capitalised_shot(source: Source, offset: int, text: str) -> Diagnostic:
    """A prose line that reads `Shot 2s wide`: a shot header with a capital."""
    word = text[offset : offset + 4]
    span = Span(offset, offset + 4)
    return make(
        "SB101", f"`{word}` is not a keyword: keywords are lowercase", source, span,
        label="read as prose", help=f"write `{word.lower()}`",
        fix=Fix(span, word.lower(), MACHINE_APPLICABLE),
    )


def _lowercase_header(source: Source, offset: int, word: str) -> Diagnostic:
    span = Span(offset, offset + len(word))
    return make(
        "SB101", f"`{word}` is not a keyword: keywords are lowercase", source, span,
        label="read as prose, so the block under it opens nowhere", help=f"write `{word.lower()}`",
        fix=Fix(span, word.lower(), MACHINE_APPLICABLE),
    )


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    end = len(text) if end == -1 else end
    return end - 1 if end > start and text[end - 1] == "\r" else end


def _width(text: str, start: int, tab_width: int) -> int:
    line = text[start:_line_end(text, start)]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return len(indent) + indent.count("\t") * (tab_width - 1)


def _previous_code_line(text: str, start: int) -> Union[int, None]:
    """The start of the last line before `start` that holds more than blanks and a comment."""
    while start > 0:
        start = _line_start(text, start - 1)
        content = text[start:_line_end(text, start)].strip(" \t")
        if content and not content.startswith("#"):
            return start
    return None
