"""Properties of the language server's parts, in-process: positions convert both ways in every
encoding, and no text, however broken, makes a feature raise or answer out of bounds."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from storyc.lsp import assist, edits, navigate
from storyc.lsp.analysis import Analysis
from storyc.lsp.positions import LineIndex
from storyc.models.profile import catalog

ENCODINGS = ("utf-8", "utf-16", "utf-32")
CHARS = st.sampled_from(list("ab @#:：[]-\t\n\r 3s秒草原🦊\ufeff\x00") + ["clip ", "shot 3s ", "cast fox: ", "  ", "\n  "])
TEXTS = st.lists(CHARS, max_size=60).map("".join)
FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8", errors="surrogatepass"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le", errors="surrogatepass")) // 2
    return len(text)


@FEW
@given(text=TEXTS, data=st.data())
def test_positions_round_trip_in_every_encoding(text: str, data: st.DataObject) -> None:
    offset = data.draw(st.integers(0, len(text)))
    for encoding in ENCODINGS:
        lines = LineIndex(text, encoding)
        position = lines.position(offset)
        line_start = text.rfind("\n", 0, offset) + 1
        assert position.line == text.count("\n", 0, offset)
        assert position.character == units(text[line_start:offset], encoding)
        assert lines.offset(position) == offset


def test_a_position_inside_a_character_or_past_the_line_clamps() -> None:
    text = "🦊ab\nc"
    assert LineIndex(text, "utf-16").offset(types.Position(line=0, character=1)) == 1  # inside the surrogate pair
    assert LineIndex(text, "utf-8").offset(types.Position(line=0, character=2)) == 1
    assert LineIndex(text, "utf-16").offset(types.Position(line=0, character=99)) == 3
    assert LineIndex(text, "utf-16").offset(types.Position(line=9, character=0)) == len(text)


@FEW
@given(text=TEXTS, data=st.data())
def test_no_text_makes_a_feature_fail(tmp_path_factory: object, text: str, data: st.DataObject) -> None:
    folder = Path(tmp_path_factory.getbasetemp()) / "lsp-properties"  # type: ignore[attr-defined]
    folder.mkdir(exist_ok=True)
    path = str(folder / "any.story")
    analysis = Analysis(path, text, catalog(), data.draw(st.sampled_from(ENCODINGS)))
    lines = analysis.lines(path)
    offset = data.draw(st.integers(0, len(text)))
    everything = types.Range(start=types.Position(line=0, character=0), end=lines.position(len(text)))
    for published in edits.by_path(analysis).values():
        for diagnostic in published:
            assert diagnostic.range.start.line <= diagnostic.range.end.line
    assist.hover(analysis, offset)
    for hint in assist.inlay_hints(analysis, everything):
        assert hint.position.line < lines.line_count
    assist.completion(analysis, offset)
    navigate.definition(analysis, offset)
    navigate.references(analysis, offset, True)
    navigate.prepare_rename(analysis, offset)
    navigate.symbols(analysis)
    for fold in navigate.folding_ranges(analysis):
        assert fold.start_line < fold.end_line < lines.line_count
    edits.code_actions(analysis, analysis.uri, everything)
    whole = edits.format_document(path, text, "utf-16")
    if whole:
        formatted = edits.formatted(path, text)
        assert whole[0].new_text == formatted
        assert edits.format_document(path, formatted or "", "utf-16") == []  # formatting is idempotent
    edits.format_range(path, text, "utf-16", everything)
