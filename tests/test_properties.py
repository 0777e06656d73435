"""Properties over generated storyboards: nothing crashes, spans stay in bounds, fmt is stable."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from storygen import mutated, storyboard

from storyc.check import check
from storyc.diagnostics import render
from storyc.fmt import format_text
from storyc.load import load
from storyc.parse import parse
from storyc.source import Source


def assert_well_formed(data: bytes, tmp_path_factory: object = None) -> None:
    program = load("generated.story", data)
    diagnostics = check(program)
    for diagnostic in diagnostics:
        source = program.sources[diagnostic.path]
        assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(source.text) + 1
        # no lark-style terminal names (`__IGNORE_0`, `Token(...)`) outside the quoted input
        ours = re.sub(r"found `.*`$", "", diagnostic.message)
        assert diagnostic.message and "Token(" not in ours and "__" not in ours and "_NL" not in ours
    for format in ("full", "concise", "json"):
        render(diagnostics, program.sources, format)


@given(storyboard())
def test_generated_storyboards_parse(text: str) -> None:
    result = parse(Source("generated.story", text))
    assert result.storyboard is not None, result.diagnostics


@given(mutated())
def test_mutated_storyboards_never_crash(data: bytes) -> None:
    assert_well_formed(data)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    assert_well_formed(data)


@given(storyboard())
def test_fmt_is_idempotent_and_keeps_meaning(text: str) -> None:
    original = parse(Source("a.story", text))
    formatted = format_text(original)
    again = parse(Source("b.story", formatted))
    assert again.storyboard == original.storyboard
    assert [c.text for c in again.comments] == [c.text for c in original.comments]
    assert format_text(again) == formatted
