"""The parser on its own: nodes, spans, comments and the keyword/prose boundary."""

from __future__ import annotations

import pytest

from storyc.nodes import Camera, Cue, Dialogue, Duration, Prose, Shot, TimeRange
from storyc.parse import parse
from storyc.source import Source


def parsed(text: str):  # type: ignore[no-untyped-def]
    result = parse(Source("t.story", text))
    assert not result.diagnostics, result.diagnostics
    assert result.storyboard is not None
    return result


def test_spans_index_the_source_text() -> None:
    text = "cast fox：一隻狐狸\nclip a 3s\n  shot [0-3秒] 特寫: @fox 看著鏡頭\n"
    board = parsed(text).storyboard
    declaration = board.declarations[0]
    assert text[declaration.name_span.start : declaration.name_span.end] == "fox"
    assert declaration.text.value == "一隻狐狸"
    shot = board.clips[0].shots[0]
    assert isinstance(shot.timing, TimeRange) and (shot.timing.start_millis, shot.timing.end_millis) == (0, 3000)
    assert shot.framing is not None and shot.framing.value == "特寫"
    assert shot.text is not None
    [ref] = shot.text.refs
    assert text[ref.span.start : ref.span.end] == "@fox"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Shot from a low angle", Prose), ("shot from a low angle", Prose), ("music swells", Prose),
        ("camera pans left", Prose), ("say hello to the crowd", Prose), ("sfx: rain", Cue),
        ("music：鼓點", Cue), ("camera: push in", Camera), ("say fox: hi", Dialogue), ("shot 2s", Shot),
    ],
)
def test_keywords_only_in_their_shape(line: str, kind: type) -> None:
    board = parsed(f"cast fox: f\nclip a\n  {line}\n").storyboard
    assert isinstance(board.clips[0].lines[0], kind)


@pytest.mark.parametrize(
    ("line", "value", "comment"),
    [("a # note", "a", "# note"), ("ab  #", "ab", "#"), ("C# minor", "C# minor", None),
     ("visit #paris today", "visit #paris today", None), ("雨夜 # 註解", "雨夜", "# 註解")],
)
def test_comments_after_text(line: str, value: str, comment: str | None) -> None:
    result = parsed(f"clip a\n  {line}\n")
    assert result.storyboard.clips[0].lines[0].text.value == value
    assert [c.text for c in result.comments] == ([comment] if comment else [])


def test_durations_in_milliseconds() -> None:
    board = parsed("clip a\n  shot 2.5s\n  shot 3秒\n  shot 0.125s\n").storyboard
    assert [s.timing.millis for s in board.clips[0].shots if isinstance(s.timing, Duration)] == [2500, 3000, 125]


def test_equality_ignores_positions() -> None:
    a = parsed("clip a 3s\n  Text\n").storyboard
    b = parsed("\n\n# moved\nclip  a  3s\n      Text\n").storyboard
    assert a == b and a.span != b.span
