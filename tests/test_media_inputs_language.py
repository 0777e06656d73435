"""Media in the language: reference media under a declaration, a clip's first/last frame, driving audio and
first clip; parsed into `MediaInput` nodes, formatted canonically, highlighted by the TextMate grammar."""

from __future__ import annotations

from pathlib import Path

from test_textmate import expectations, scopes_by_offset, tokenise

from storyc.base.source import Source
from storyc.language.fmt import format_text
from storyc.language.nodes import Clip, Declaration, MediaInput, Prose
from storyc.language.parse import parse

FIXTURE = Path(__file__).parent / "fixtures" / "media-inputs" / "syntax.story"


def parsed(text: str):  # type: ignore[no-untyped-def]
    result = parse(Source("t.story", text))
    assert result.storyboard is not None
    return result


def test_declarations_carry_their_media_in_order() -> None:
    result = parsed(FIXTURE.read_text("utf-8"))
    assert not result.diagnostics
    mei, street = [item for item in result.storyboard.items if isinstance(item, Declaration)]
    assert [(m.kind, m.text.value) for m in mei.media] == [
        ("image", "refs/mei.png"), ("voice", "refs/mei.wav"), ("video", "https://example.com/mei.mp4#t=1")]
    assert [m.kind for m in street.media] == ["image"]
    assert mei.text.value == "a girl in a yellow raincoat"
    # the declaration's span covers its media, so hovers and folding see one unit
    assert mei.span.end == mei.media[-1].span.end


def test_clip_inputs_and_lookalike_prose() -> None:
    result = parsed(FIXTURE.read_text("utf-8"))
    [clip] = [item for item in result.storyboard.items if isinstance(item, Clip)]
    assert [(m.kind, m.text.value) for m in clip.inputs] == [
        ("first-frame", "refs/first.png"), ("last-frame", "refs/last.png"), ("driving-audio", "refs/song.mp3")]
    # `voice:` and `image:` are keys only under a declaration; in a clip they begin prose
    prose = [line.text.value for line in clip.lines if isinstance(line, Prose)]
    assert "voice: carries over the rain, this line is prose" in prose
    assert "image: of a city, also prose" in prose


def test_equal_whatever_the_spacing() -> None:
    one = parsed("cast a: x\n  image: a.png\n").storyboard
    two = parsed("cast a: x\n    image：a.png   \n").storyboard
    assert one == two
    assert one != parsed("cast a: x\n  image: b.png\n").storyboard
    assert one != parsed("cast a: x\n").storyboard


def test_fmt_is_canonical_idempotent_and_keeps_comments() -> None:
    text = FIXTURE.read_text("utf-8").replace("\n  image: refs/mei.png\n  voice：", "\n    image :refs/mei.png\n    voice：")
    text = text.replace("\n  video: https", "\n    video: https")
    first = format_text(parsed(text))
    assert "  voice: refs/mei.wav  # full-width colon\n" in first
    assert "  image: refs/mei.png\n" in first
    assert "  last-frame: refs/last.png  # where it ends\n" in first
    assert format_text(parsed(first)) == first
    assert parsed(first).storyboard == parsed(text).storyboard


def test_media_lines_in_the_wrong_place_are_syntax_errors() -> None:
    # a clip input under a declaration, and a stray indented line after a setting
    for text, line in (("cast a: x\n  first-frame: a.png\n", 2), ("model wan2.7-r2v\n  image: a.png\n", 2)):
        result = parse(Source("t.story", text))
        errors = [d for d in result.diagnostics if d.level == "error"]
        assert errors, text
        assert result.source.position(errors[0].span.start).line == line


def test_textmate_scopes_media_keys_paths_and_leaves_prose_alone() -> None:
    tokens = tokenise([FIXTURE])
    text = FIXTURE.read_text("utf-8")
    scopes = scopes_by_offset(text, tokens[str(FIXTURE)])
    source = Source(str(FIXTURE), text)
    found = list(expectations(source))
    assert sum(1 for what, _, scope in found if scope == "keyword.other.media.story") == 7
    for what, span, scope in found:
        for offset in range(span.start, span.end):
            assert scope in scopes[offset], (what, text[span.start:span.end], scope, sorted(scopes[offset]))
        if what == "prose":
            assert not any(s.startswith("keyword.") for o in range(span.start, span.end) for s in scopes[o]), text[span.start:span.end]
    media = [node for node in parse(source).storyboard.items if isinstance(node, Declaration)][0].media  # type: ignore[union-attr]
    assert isinstance(media[0], MediaInput)
