"""Properties over generated storyboards: nothing crashes, spans stay in bounds, fmt is stable."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from storygen import mutated, storyboard

from storyc.base.diagnostics import has_errors, report
from storyc.base.source import Source
from storyc.check.rules import check, texts
from storyc.compile.emit import compile_plan
from storyc.compile.plan import plan
from storyc.language import _lalr
from storyc.language.fmt import format_text
from storyc.language.load import load
from storyc.language.names import resolve
from storyc.language.parse import parse


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
        report(diagnostics, program.sources, format)


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


BROKEN_LINES = ["clip", "%%% not a line", "Clip chase 3s", "cast : no name", "shot 2s wide", "include nowhere",
                "model", "place 3號: x"]


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(storyboard(), st.data())
def test_a_broken_top_level_line_costs_only_itself(text: str, data: st.DataObject) -> None:
    """Recovery: a bad line between top-level items is reported once, and everything else parses."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    tops = [i for i, line in enumerate(lines) if line[:1] not in ("", " ", "\t", "#")] + [len(lines)]
    at = data.draw(st.sampled_from(tops))
    broken = data.draw(st.sampled_from(BROKEN_LINES))
    result = parse(Source("broken.story", newline.join([*lines[:at], broken, *lines[at:]])))
    original = parse(Source("a.story", text))
    assert result.storyboard == original.storyboard
    syntax = [d for d in result.diagnostics if d.code in ("SB101", "SB102")]
    assert len(syntax) == 1, syntax
    assert result.source.position(syntax[0].span.start).line == at + 1


@settings(max_examples=max(10, settings.default.max_examples // 20))
@given(storyboard())
def test_fmt_keeps_the_prompts(text: str) -> None:
    """What fmt writes compiles to the same prompts and request bodies, CJK names included."""
    program = load("a.story", text.encode())
    if has_errors(check(program)):
        return
    planned = plan(program)
    assert planned is not None
    formatted = format_text(program.entry)
    again = plan(load("b.story", formatted.encode()))
    assert again is not None
    assert [c.prompt for c in compile_plan(planned).clips] == [c.prompt for c in compile_plan(again).clips]
    assert [c.body for c in compile_plan(planned).clips] == [c.body for c in compile_plan(again).clips]


unicode_name = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Lo", "Nd"), max_codepoint=0x2FFFF), min_size=1, max_size=6
).filter(lambda name: name.isidentifier())


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(st.lists(unicode_name, min_size=1, max_size=5, unique=True), st.data())
def test_names_in_any_script_round_trip_through_fmt(names: list[str], data: st.DataObject) -> None:
    """Declared in any script and referred to with run-on text after them, every name parses, checks,
    survives fmt and refers to the same declaration afterwards."""
    kinds = ["cast", "place", "style"]
    lines = [f"{data.draw(st.sampled_from(kinds))} {name}{data.draw(st.sampled_from([':', '：']))} {name} 的描述"
             for name in names]
    lines.append("clip 追逐")
    for name in names:
        after = data.draw(st.sampled_from(["追著羚羊", "。", "，然後", " runs", "!", ""]))
        lines.append(f"  看 @{name}{after}")
    text = "\n".join(lines) + "\n"
    original = parse(Source("a.story", text))
    assert not original.diagnostics, original.diagnostics
    formatted = format_text(original)
    again = parse(Source("b.story", formatted))
    assert again.storyboard == original.storyboard and format_text(again) == formatted
    declared = set(names)

    def referred(result: object) -> list[object]:
        return [resolve(ref.name, declared) for text in texts(result.storyboard) for ref in text.refs]  # type: ignore[attr-defined]

    assert referred(again) == referred(original)
    assert all(name is not None for name in referred(original))


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(mutated())
def test_both_lexers_agree(data: bytes) -> None:
    """Short texts are lexed terminal by terminal, long ones by one alternation per state: same result."""
    text = data.decode("utf-8", errors="replace")
    short = parse(Source("a.story", text))
    saved = _lalr.SHORT_TEXT
    _lalr.SHORT_TEXT = 0
    try:
        long = parse(Source("a.story", text))
    finally:
        _lalr.SHORT_TEXT = saved
    assert short.storyboard == long.storyboard and short.diagnostics == long.diagnostics
    assert short.comments == long.comments and short.skipped == long.skipped
