"""The parser on its own: nodes, spans, comments and the keyword/prose boundary."""

from __future__ import annotations

import os
import sys
import time

import pytest

from storyc.base.source import Source, Span
from storyc.language.fmt import format_text
from storyc.language.names import Suggestions, resolve
from storyc.language.nodes import Camera, Cue, Dialogue, Duration, Prose, Shot, TimeRange
from storyc.language.parse import MAX_SYNTAX_ERRORS, parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
from gen import storyboard  # noqa: E402


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


def test_cjk_names_and_references() -> None:
    board = parsed("cast 獵豹: 一隻獵豹\nplace 草原_2：草原\nclip 追逐\n  say 獵豹: 吼\n  @獵豹追著羚羊穿過@草原_2。\n").storyboard
    assert [d.name for d in board.declarations] == ["獵豹", "草原_2"]
    clip = board.clips[0]
    assert clip.name == "追逐" and clip.lines[0].speaker == "獵豹"
    # the parser reads the whole run; which declared name it is, `names.resolve` decides
    assert [ref.name for ref in clip.lines[1].text.refs] == ["獵豹追著羚羊穿過", "草原_2"]


@pytest.mark.parametrize(
    ("read", "resolved"),
    [("獵豹追著羚羊", "獵豹"), ("獵豹王看著", "獵豹王"), ("獵豹", "獵豹"), ("fox", "fox"), ("foxes", None),
     ("fox追著", "fox"), ("獵豹s", "獵豹"), ("羚羊跑", None), ("fox-like", None), ("old-vendor", "old-vendor")],
)
def test_a_reference_is_the_longest_declared_name_it_starts_with(read: str, resolved: str | None) -> None:
    assert resolve(read, {"獵豹", "獵豹王", "fox", "old-vendor"}) == resolved


def test_suggestions_compare_run_on_text_by_its_start() -> None:
    suggestions = Suggestions(["獵豹王", "fox", "office"])
    assert suggestions.closest("fxo") == ("fox", 3)
    assert suggestions.closest("獵豹玉看著遠方") == ("獵豹王", 3)
    assert suggestions.closest("zzzzzz") == (None, 6)


def test_recovery_keeps_every_line_that_parsed_in_a_large_file() -> None:
    """Errors far apart in a file of many checkpoints: the tree equals the parse without those lines."""
    lines = storyboard(400).split("\n")
    broken = {37: "   x", 1203: "    shot 2 wide", 1204: "      under the broken shot", 1777: "  Shot 3s",
              1778: "    camera: under a capitalised shot"}
    for index, line in broken.items():
        lines[index] = line
    result = parse(Source("big.story", "\n".join(lines)))
    expected = parsed("\n".join("" if i in broken else line for i, line in enumerate(lines))).storyboard
    assert result.storyboard == expected
    assert [result.source.position(d.span.start).line for d in result.diagnostics] == [38, 1204, 1778]
    assert not result.complete and result.skipped


def test_errors_are_capped_and_garbage_stays_fast() -> None:
    garbage = "".join(f"%% {n} ]]]\n\t  {n}\n" for n in range(20_000))
    start = time.perf_counter()
    result = parse(Source("garbage.story", garbage))
    assert time.perf_counter() - start < 2.0
    syntax = [d for d in result.diagnostics if d.code in ("SB101", "SB102")]
    assert len(syntax) == MAX_SYNTAX_ERRORS + 1
    assert syntax[-1].message.startswith("too many syntax errors")
    assert result.storyboard is not None and result.storyboard.items == ()


def test_a_partial_storyboard_for_the_editor() -> None:
    """The language server's contract: a storyboard of what parsed, and every syntax error."""
    result = parse(Source("t.story", "cast fox: f\nclip a 3s\n  shot 3 wide\n    x\nclip b 2s\n  @fox\n"))
    assert [item.name for item in result.storyboard.items] == ["fox", "a", "b"]
    assert [d.code for d in result.diagnostics] == ["SB101"]
    assert [clip.name for clip in result.checkable().clips] == ["b"]  # `a` lost a line


def test_fmt_refuses_a_file_with_syntax_errors() -> None:
    with pytest.raises(ValueError, match="syntax errors"):
        format_text(parse(Source("t.story", "clip a 3s\n  shot 3 wide\n    x\n")))


def test_a_resumed_parse_equals_a_parse_from_the_start() -> None:
    """An editor's parses resume from a checkpoint before the change: the result must not show it."""
    import random

    from storyc.language.parse import _RESUMABLE, edited

    rng = random.Random(7)
    pieces = [" ", "  ", "@", "p", "\n", "\n  ", "  ", "# note\n", "shot 2s wide\n", "    camera: x\n", "Shot 2s wide",
              "\t", "clip x 3s\n", "", "ß", "\r\n", ":", "say fox: hi\n", "獵豹"]
    resumed = 0
    for number, base in enumerate((storyboard(200), storyboard(150, 5, 30))):
        path = f"edited{number}.story"
        edited(path)
        text = base
        parse(Source(path, text))
        for edit in range(120):
            # every third text is the clean one again, so that the edits after it can resume
            start = rng.randrange(len(text) + 1) if rng.random() < 0.7 else len(text) // 2
            end = min(len(text), start + rng.choice([0, 0, 1, 3, 40]))
            text = base if edit % 3 == 2 else text[:start] + rng.choice(pieces) + text[end:]
            resumed += path in _RESUMABLE
            source = Source(path, text)
            again, fresh = parse(source), parse(source, resume=False)
            assert (again.storyboard, again.comments, again.diagnostics, again.skipped) == (
                fresh.storyboard, fresh.comments, fresh.diagnostics, fresh.skipped), (start, text[start - 30 : start + 30])
    assert resumed > 80  # many edits resumed an earlier parse rather than starting again


def _raw(value: object) -> object:
    """A tree as plain nested tuples: positions compared too."""
    if isinstance(value, tuple):
        return (type(value).__name__, *(_raw(part) for part in value))
    return value


def test_a_spliced_parse_equals_a_parse_from_the_start() -> None:
    """An edit inside one shot re-parses that shot alone (`splice.reparsed`): the result, positions
    and comments included, is the whole parse's; where it cannot be sure, it gives up."""
    import random

    from storyc.language.splice import reparsed

    rng = random.Random(11)
    head, _, scene = storyboard(60, 2, 8).partition("scene long\n")
    scene = scene.replace("  shot 3s wide\n", "  # a wide one\n  shot 3s wide  # trailing\n\n", 5)
    scene = scene.replace("  shot 3s close-up\n", "  shot [0-2.5s] close-up: @fox looks up\n", 4)
    base = (head + "clip first 5s\n  model wan2.7-t2v\n  shot 5s wide\n    a street\n  # end of first\n\n"
            + "scene long\n  soundtrack: audio/rain.mp3\n" + scene + "clip last 4s\n  shot 4s\n    rain\n")
    pieces = [" ", "  ", "@", "p", "\n", "\n  ", "  ", "# note\n", "  shot 2s wide\n", "\n    camera: x", "Shot 2s wide",
              "\t", "clip x 3s\n", "", "ß", "\r\n", ":", "say fox: hi\n", "獵豹", " # c", "\x07", "3", "[", '"',
              "\n    more", "\n  shot 1s\n    then", "\n      deeper", "\n\n  # aside\n"]
    spliced = 0
    text = base
    first = old = parse(Source("s.story", text), resume=False)
    for _ in range(600):
        if rng.random() < 0.5:  # an edit of the clean text, or of the last text (which may have errors)
            text, old = base, first
        start = rng.randrange(len(text) + 1)
        if rng.random() < 0.5:  # at a line's start or end, where indentation and line joins are
            start = text.find("\n", start) + rng.choice([0, 1]) if "\n" in text[start:] else start
        end = min(len(text), start + rng.choice([0, 0, 1, 1, 3, 12]))
        text = text[:start] + rng.choice(pieces) + text[end:]
        source = Source("s.story", text)
        fresh = parse(source, resume=False)
        again = reparsed(old, source)
        if again is not None:
            spliced += 1
            assert _raw(again.storyboard) == _raw(fresh.storyboard), (start, text[start - 30 : start + 30])
            assert (again.comments, again.diagnostics, again.skipped) == (fresh.comments, fresh.diagnostics, fresh.skipped)
        old = fresh
    assert spliced > 150  # the edits inside a shot of a text without errors
    # the shapes of edit it must see through: a shot line indented or dedented, its last line joined
    # with the next, a shot split in two, a line at column 0 or a clip's line, a shot line unmade
    at = base.index("  shot 3s wide  # trailing")
    end = base.index("\n  shot", at + 1)
    for start, stop, new in ((at, at, " "), (at, at, "\t"), (at, at + 1, ""), (end, end + 1, ""), (end, end + 1, " "),
                             (end, end, "\n  shot 1s"), (end, end, "\nclip x"), (end, end, "\n  model wan2.7-t2v"),
                             (at + 2, at + 3, "S"), (at + 7, at + 8, "x"), (end, end, "\n        deeper"),
                             (end, end, "\n    ok"), (at + 7, at + 8, "4"),
                             # the first line of a clip indented; an edit from one clip into the next
                             (base.index("  soundtrack"), base.index("  soundtrack"), " "),
                             (base.index("    a street") + 6, base.index("cene long") + 3, "")):
        text = base[:start] + new + base[stop:]
        again = reparsed(first, Source("s.story", text))
        fresh = parse(Source("s.story", text), resume=False)
        assert again is None or _raw(again.storyboard) == _raw(fresh.storyboard), (start, stop, new)
        assert again is not None or new not in ("\n    ok", "4"), new  # a line added to the shot, its duration


EVERY_NODE = """\ufeffstoryboard "all"
style: film noir
include "shared/cast.story"
cast mei "阿梅": a woman in red, @noir light
  image: refs/mei.png
  voice: refs/mei.wav
place office: a cluttered office
clip first 5s
  model wan2.7-i2v
  first-frame: refs/street.png
  soundtrack: audio/rain.mp3
  @mei waits
  shot [0-2.5s] close-up: @mei looks up
    camera: push in
    music: low strings
    say mei: 你好
  shot 3秒
    voiceover mei: later
scene second
  shot 2s wide
"""


def _nodes(value: object) -> list[tuple]:  # type: ignore[type-arg]
    found = []
    if isinstance(value, tuple):
        if hasattr(value, "_fields"):
            found.append(value)
            value = tuple(getattr(value, field) for field in value._fields)
        for part in value:
            found += _nodes(part)
    return found


def test_the_parser_lays_out_nodes_as_their_constructors_do() -> None:
    """The builders make nodes with `tuple.__new__`: the same slots the class's own `__new__` fills."""
    text = EVERY_NODE
    board = parsed(text).storyboard
    nodes = _nodes(board)
    assert {type(node).__name__ for node in nodes} >= {
        "Storyboard", "Setting", "Include", "Declaration", "MediaInput", "Clip", "Soundtrack", "Prose", "Shot",
        "TimeRange", "Duration", "Camera", "Cue", "Dialogue", "Text", "Ref"}
    for node in nodes:
        rebuilt = type(node)(*(getattr(node, field) for field in node._fields))
        assert tuple.__eq__(rebuilt, node) and repr(rebuilt) == repr(node), node
        for field in node._fields:
            if field.endswith("span"):
                span = getattr(node, field)
                assert type(span).__name__ == "Span" and 0 <= span.start <= span.end <= len(text), (node, field)
        if type(node).__name__ == "Text":
            assert text[node.span.start : node.span.end] == node.value
        if type(node).__name__ == "Ref":
            assert text[node.span.start : node.span.end] == "@" + node.name
    shot = board.clips[0].shots[0]
    assert text[shot.span.start : shot.span.end].startswith("shot [0-2.5s]")
    assert text[shot.span.start : shot.span.end].endswith("say mei: 你好")


def test_nodes_copy_and_replace_with_their_positions() -> None:
    import copy
    import pickle

    board = parsed(EVERY_NODE).storyboard
    for twin in (copy.deepcopy(board), pickle.loads(pickle.dumps(board))):
        assert [tuple.__eq__(a, b) for a, b in zip(_nodes(twin), _nodes(board), strict=True)] == [True] * len(_nodes(board))
    declaration = board.declarations[0]
    moved = declaration.replace(span=Span(1, 2))
    assert moved == declaration and moved.span == (1, 2) and moved.name_span == declaration.name_span
    assert hash(moved) == hash(declaration) and moved.media == declaration.media
