"""Properties of the language server's parts, in-process: positions convert both ways in every
encoding, and no text, however broken, makes a feature raise or answer out of bounds."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Union

import storygen
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from storyc.lsp import assist, edits, navigate
from storyc.lsp.analysis import Analysis
from storyc.lsp.documents import EditedLines
from storyc.lsp.incremental import Incremental
from storyc.lsp.positions import LineIndex
from storyc.lsp.server import _moved_item
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


# -- the incremental check: the same diagnostics as checking the whole buffer, edit after edit


def whole(analysis: Analysis) -> dict[str, list[tuple[object, ...]]]:
    return {path: sorted(_key(d) for d in found) for path, found in edits.by_path(analysis).items() if found}


def _key(diagnostic: types.Diagnostic) -> tuple[object, ...]:
    start, end = diagnostic.range.start, diagnostic.range.end
    return (start.line, start.character, end.line, end.character, diagnostic.code, diagnostic.message,
            diagnostic.severity, diagnostic.tags)


def incremental_found(engine: Incremental, text: str) -> Union[dict[str, list[tuple[object, ...]]], None]:
    published = engine.diagnostics(text)
    if published is None:
        return None
    return {path: sorted(_key(d) for d in found) for path, found in published.by_path.items() if found}


CLIP_NAMES = ["chase", "a", "opening-2", "end_scene", "雨夜", "b", "c"]


@st.composite
def headed_storyboard(draw: st.DrawFn) -> str:
    """A header (settings, declarations, maybe an include) then clips of distinct names."""
    step = draw(st.sampled_from(["  ", "    "]))
    lines = [draw(st.sampled_from(["model wan2.7-t2v", "model wan2.6-t2v", "# a comment", "resolution 1080P",
                                   "model wan2.7", "model wan3.0-video"]))]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["cast", "place", "style"]))
        lines.append(f"{kind} {draw(st.sampled_from(storygen.NAMES))}: {draw(storygen.prose())}")
    if draw(st.booleans()):
        lines.append('include "shared/cast.story"')
    lines.append("")
    names = draw(st.lists(st.sampled_from(CLIP_NAMES), min_size=1, max_size=4, unique=True))
    for name in names:
        clip = draw(storygen.clip(step))
        lines += [clip[0].split(" ", 1)[0] + " " + name + "".join(" " + part for part in clip[0].split(" ")[2:])]
        if draw(st.integers(0, 2)) == 0:  # a chain: to a clip that may come later, be missing, or loop back
            lines.append(f"{step}continue {draw(st.sampled_from(CLIP_NAMES))}{draw(st.sampled_from(['', ' clip']))}")
        lines += clip[1:]
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# between clips", "  # indented comment"])))
    return "\n".join(lines) + "\n"


SNIPPETS = ["@", "fox", "@fox ", "\n", "  ", "x", " 3s", "shot 2s wide\n    ", "\n  shot 1s close-up\n    rain",
            "say fox: hi", "sfx: rain", "model wan2.6-t2v\n", ":", "clip d\n  a cat\n", "cast owl: an owl\n",
            "wid", "\n\n", "camera: pan left", "1", "resolution 4K\n  ",
            "%%% not a line", "\n      deeper", "\tshot 2s", "shot", "Shot 2s wide", '"open', "\x07", "\ufeff", "[0-2s]",
            "\n  continue a", "\n  continue chase\n", "continue b clip", "b"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=headed_storyboard(), data=st.data())
def test_incremental_diagnostics_equal_the_whole_check_over_edit_sequences(
        tmp_path_factory: object, text: str, data: st.DataObject) -> None:
    folder = Path(tmp_path_factory.getbasetemp()) / "lsp-incremental"  # type: ignore[attr-defined]
    (folder / "shared").mkdir(parents=True, exist_ok=True)
    (folder / "story.toml").write_text("")
    (folder / "shared" / "cast.story").write_text("cast fox: a fox\ncast 偵探: a detective\n\nclip stray\n  x\n", "utf-8")
    path = str(folder / "edited.story")
    encoding = data.draw(st.sampled_from(ENCODINGS))
    engine = Incremental(path, catalog(), encoding)
    for _ in range(data.draw(st.integers(1, 8))):
        found = incremental_found(engine, text)
        event("incremental" if found is not None else "checked whole")
        if found is not None:
            assert found == whole(Analysis(path, text, catalog(), encoding)), text
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 6)))
        text = text[:start] + data.draw(st.sampled_from(["", *SNIPPETS])) + text[end:]


def test_an_edit_in_one_clip_rechecks_that_clip_alone(tmp_path: Path) -> None:
    clips = "".join(f"clip c{n} 5s\n  shot 5s wide\n    @fox runs past tree {n}\n\n" for n in range(40))
    text = "model wan2.7-t2v\ncast fox: a red fox\ncast owl: an owl\n\n" + clips
    path = str(tmp_path / "long.story")
    engine = Incremental(path, catalog(), "utf-16")
    assert incremental_found(engine, text) == whole(Analysis(path, text, catalog()))
    assert engine.rechecked == 40
    edited = text
    for before, after in (("tree 17", "@owl 17"), ("@owl 17", "@owll 17"), ("tree 39", "tree 39 again")):
        edited = edited.replace(before, after)
        found = incremental_found(engine, edited)
        assert found is not None and found == whole(Analysis(path, edited, catalog()))
        assert engine.rechecked == 1
    # the header changed: every clip is checked again
    edited = text.replace("an owl", "an old owl")
    assert incremental_found(engine, edited) == whole(Analysis(path, edited, catalog()))
    assert engine.rechecked == 40


def test_a_chain_is_checked_with_its_sources_and_again_when_they_change(tmp_path: Path) -> None:
    """`continue NAME` needs the clips before it in its chain: checked with them, kept while they stay."""
    clips = "".join(f"clip c{n} 5s\n  shot 5s wide\n    a street, take {n}\n\n" for n in range(20))
    chain = "clip one 5s\n  a door opens\n\nclip two 10s\n  continue one clip\n  a hall\n\n" \
            "clip three 5s\n  continue two\n  a stair\n\n"
    text = "model wan2.7\nresolution 720P\n\n" + clips + chain
    path = str(tmp_path / "chain.story")
    engine = Incremental(path, catalog(), "utf-16")
    assert incremental_found(engine, text) == whole(Analysis(path, text, catalog())) == {}
    steps = [
        ("a street, take 4", "a street, take four", 1),  # an independent clip: itself alone
        ("clip one 5s", "clip one 12s", 3),  # the source: it, and both clips after it (SB655 on `two`)
        ("clip one 12s", "clip uno 12s", 2),  # renamed: it, and `three` (`two` alone was checked before)
        ("clip uno 12s", "clip one 5s", 0),  # back as it was: every result is still known
        ("continue two", "continue three", None),  # a chain that comes back to itself: the whole check
    ]
    for before, after, rechecked in steps:
        text = text.replace(before, after)
        found = incremental_found(engine, text)
        if rechecked is None:
            assert found is None
            continue
        assert found == whole(Analysis(path, text, catalog())), (before, after)
        assert engine.rechecked == rechecked, (before, after)
    codes = {key[4] for key in whole(Analysis(path, text.replace("clip one 5s", "clip one 12s"), catalog()))[path]}
    assert "SB655" in codes


def test_edits_at_clip_boundaries_give_the_whole_checks_diagnostics(tmp_path: Path) -> None:
    """Edits that make, join, split or unmake clips, each checked against the whole check."""
    clips = "".join(f"clip c{n} 5s\n  shot 5s wide\n    @fox runs past tree {n}\n# note {n}\n\n" for n in range(8))
    text = "model wan2.7-t2v\ncast fox: a red fox\n\n" + clips
    path = str(tmp_path / "edges.story")
    engine = Incremental(path, catalog(), "utf-16")
    def at(needle: str, plus: int = 0) -> Callable[[str], int]:
        return lambda text: text.index(needle) + plus

    def end(text: str) -> int:
        return len(text)

    added = "clip c1 2s\n  dup\n"
    steps: list[tuple[Callable[[str], int], Callable[[str], int], str]] = [
        (at("clip c3"), at("clip c3"), "clip new 3s\n  a cat\n"),   # a clip inserted right before another
        (at("clip new"), at("clip new", 1), ""),                     # `lip new`: no longer a clip
        (at("lip new"), at("lip new"), "c"),                         # and back
        (at("clip c3", -1), at("clip c3"), ""),                      # the newline before a clip: two lines join
        (at("clip c3"), at("clip c3"), "\n"),
        (at("# note 5"), at("# note 5"), added),                    # a second `c1`
        (at(added), at(added, len(added)), ""),
        (at("tree 7"), end, ""),                                     # the end of the file cut
        (end, end, "\nclip tail\n  @owl"),
        (lambda text: 0, lambda text: 0, "# first\n"),              # the header
        (at("tree 2"), at("tree 2"), "\n        deeper\n  %%% x"),  # syntax errors inside a clip
        (at("tree 4"), at("tree 4"), "\n  shot"),
    ]
    incremental = []
    for first, last, new in steps:
        start, stop = first(text), last(text)
        text = text[:start] + new + text[stop:]
        found = incremental_found(engine, text)
        if found is not None:
            assert found == whole(Analysis(path, text, catalog())), (start, stop, new)
            incremental.append(new)
    # the second `c1` (SB208) is checked whole, and so is the clip cut by the end of the file
    assert len(incremental) >= 9, incremental


@FEW
@given(text=TEXTS, data=st.data())
def test_changes_applied_in_place_equal_the_change_applied_to_the_text(text: str, data: st.DataObject) -> None:
    encoding = data.draw(st.sampled_from(ENCODINGS))
    kept = EditedLines(text)
    for _ in range(data.draw(st.integers(1, 4))):
        lines = LineIndex(text, encoding)
        positions = [types.Position(line=data.draw(st.integers(0, lines.line_count + 1)),
                                    character=data.draw(st.integers(0, 12))) for _ in range(2)]
        start, end = sorted(positions, key=lambda position: (position.line, position.character))
        new = data.draw(TEXTS)
        kept.apply(types.TextDocumentContentChangePartial(range=types.Range(start=start, end=end), text=new), encoding)
        text = text[: lines.offset(start)] + new + text[lines.offset(end) :]
        assert kept.text == text
    kept.apply(types.TextDocumentContentChangeWholeDocument(text="whole"), encoding)
    assert kept.text == "whole" and kept.lines == ["whole"]


def test_warming_checks_every_clip_in_slices_then_edits_recheck_one(tmp_path: Path) -> None:
    clips = "".join(f"clip c{n} 5s\n  shot 5s wide\n    @fox runs past tree {n}\n\n" for n in range(10))
    text = "model wan2.7-t2v\ncast fox: a red fox\n\n" + clips
    path = str(tmp_path / "warm.story")
    engine = Incremental(path, catalog(), "utf-16")
    assert not engine.ready(text)
    slices = 1
    while not engine.warm(text, 3):
        slices += 1
        assert slices < 10
    assert slices == 4 and engine.ready(text)  # 3 + 3 + 3 + 1 clips
    edited = text.replace("tree 4", "@owl 4")
    assert engine.ready(edited)
    assert incremental_found(engine, edited) == whole(Analysis(path, edited, catalog()))
    assert engine.rechecked == 1
    assert not engine.ready(edited.replace("a red fox", "a fox"))  # a new header: warm again


def _changed(text: str, start: int, end: int, new: str, encoding: str) -> types.TextDocumentContentChangePartial:
    lines = LineIndex(text, encoding)
    return types.TextDocumentContentChangePartial(
        range=types.Range(start=lines.position(start), end=lines.position(end)), text=new)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=headed_storyboard(), data=st.data())
def test_the_servers_way_lines_and_what_changed_equals_the_whole_check(
        tmp_path_factory: object, text: str, data: st.DataObject) -> None:
    """As the server runs it: changes applied to the kept lines in bursts (several changes a check),
    the engine told only which lines changed; never the joined text."""
    folder = Path(tmp_path_factory.getbasetemp()) / "lsp-lines"  # type: ignore[attr-defined]
    (folder / "shared").mkdir(parents=True, exist_ok=True)
    (folder / "story.toml").write_text("")
    (folder / "shared" / "cast.story").write_text("cast fox: a fox\n\nclip stray\n  x\n", "utf-8")
    path = str(folder / "edited.story")
    encoding = data.draw(st.sampled_from(ENCODINGS))
    engine = Incremental(path, catalog(), encoding)
    kept = EditedLines(text)
    for _ in range(data.draw(st.integers(1, 6))):
        published = engine.update(kept.lines, kept.take_dirty())
        if published is not None:
            found = {path: sorted(_key(d) for d in got) for path, got in published.by_path.items() if got}
            assert found == whole(Analysis(path, text, catalog(), encoding)), text
        event("incremental" if published is not None else "checked whole")
        before = list(kept.lines)
        for _ in range(data.draw(st.integers(1, 3))):  # a burst of changes, checked once
            start = data.draw(st.integers(0, len(text)))
            end = data.draw(st.integers(start, min(len(text), start + 6)))
            new = data.draw(st.sampled_from(["", *SNIPPETS]))
            kept.apply(_changed(text, start, end, new, encoding), encoding)
            text = text[:start] + new + text[end:]
        dirty = kept.dirty
        assert dirty is not None
        # what `dirty` says is unchanged is unchanged
        assert kept.lines[: dirty.line] == before[: dirty.line]
        assert kept.lines[dirty.line][: dirty.column] == before[dirty.line][: dirty.column]
        assert dirty.tail == 0 or kept.lines[-dirty.tail :] == before[-dirty.tail :]
        assert kept._text is None  # nothing read the text whole
        assert kept.text == text


def test_an_edit_in_the_last_clip_does_not_visit_the_others(tmp_path: Path) -> None:
    """Its cost is the edit's: the clips before it are neither checked, moved nor put together again."""
    clips = "".join(f"clip c{n} 5s\n  shot 5s wide\n    @fox runs past tree {n}\n\n" for n in range(300))
    text = "model wan2.7-t2v\ncast fox: a red fox\ncast owl: an owl\n\n" + clips
    path = str(tmp_path / "long.story")
    engine = Incremental(path, catalog(), "utf-16")
    kept = EditedLines(text)
    engine.update(kept.lines, kept.take_dirty())
    first = engine.clips[0] if engine.clips else None
    placed = first.placed() if first else None
    at = text.index("tree 299")
    kept.apply(_changed(text, at, at, "@owl\n    and ", "utf-16"), "utf-16")
    text = text[:at] + "@owl\n    and " + text[at:]
    found = engine.update(kept.lines, kept.take_dirty())
    assert engine.rechecked == 1 and kept._text is None
    assert engine.clips is not None and engine.clips[0] is first and first.placed() is placed
    assert found is not None
    assert {p: sorted(_key(d) for d in got) for p, got in found.by_path.items() if got} == \
        whole(Analysis(path, text, catalog()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=headed_storyboard(), data=st.data())
def test_hover_and_completion_in_a_clip_read_the_clip_alone_and_answer_as_the_whole_buffer(
        tmp_path_factory: object, text: str, data: st.DataObject) -> None:
    """The server answers them from *header + clip* (`Incremental.clip_view`) when the last check
    read the buffer clip by clip: the answers are the whole buffer's, moved to the clip's place."""
    folder = Path(tmp_path_factory.getbasetemp()) / "lsp-view"  # type: ignore[attr-defined]
    (folder / "shared").mkdir(parents=True, exist_ok=True)
    (folder / "story.toml").write_text("")
    (folder / "shared" / "cast.story").write_text("cast fox: a fox\n", "utf-8")
    path = str(folder / "viewed.story")
    encoding = data.draw(st.sampled_from(ENCODINGS))
    if data.draw(st.booleans()):  # an edit first, so that some clips have errors
        start = data.draw(st.integers(0, len(text)))
        text = text[:start] + data.draw(st.sampled_from(SNIPPETS)) + text[start:]
    engine = Incremental(path, catalog(), encoding)
    lines = text.split("\n")
    published = engine.update(lines, None)
    whole_analysis = Analysis(path, text, catalog(), encoding)
    positions = LineIndex(text, encoding)
    for offset in data.draw(st.lists(st.integers(0, len(text)), min_size=1, max_size=6)):
        position = positions.position(offset)
        view = engine.clip_view(lines, position.line)
        event("read the clip" if view is not None else "whole buffer")
        if view is None:
            assert published is None or position.line < len(engine.head)
            continue
        clip_text, below = view
        part = Analysis(path, clip_text, catalog(), encoding, part=True)
        at = part.lines(path).offset(types.Position(line=position.line - below, character=position.character))
        assert assist.hover(part, at) == assist.hover(whole_analysis, offset), (text, offset)
        moved = [_moved_item(item, below) for item in assist.completion(part, at)]  # as the server moves them
        assert moved == assist.completion(whole_analysis, offset), (text, offset)


@st.composite
def big_scene(draw: st.DrawFn) -> str:
    """A header, then one scene of many shots (and lines between them), maybe a clip after it."""
    step = draw(st.sampled_from(["  ", "    "]))
    lines = ["model wan2.7-t2v", "cast fox: a red fox", "place office: an office", "", "scene long"]
    for _ in range(draw(st.integers(8, 30))):
        lines += draw(storygen.shot(step, step)) if draw(st.integers(0, 5)) else draw(
            storygen.line(step, ["prose", "camera", "cue", "dialogue"]))
    if draw(st.booleans()):
        lines += ["", "clip after 3s", f"{step}shot 3s wide", f"{step}{step}@fox waits"]
    return "\n".join(lines) + "\n"


BIG_SCENE_SNIPPETS = ["@", "@fox ", "@owl ", "x", " ", "\n", "\n    ", "\n      more", "\n  shot 2s wide", ":", "2",
                      "s", "# c", " # c", "\t", "say fox: hi", "camera: pan", "Shot 2s", "[", "\x07", ""]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=big_scene(), data=st.data())
def test_edits_inside_a_big_scene_give_the_whole_checks_diagnostics(
        tmp_path_factory: object, text: str, data: st.DataObject) -> None:
    """Small edits inside one large scene, where a shot's lines are re-parsed alone and spliced into
    the scene's earlier parse (`splice.reparsed`): the whole check's diagnostics at every step."""
    folder = Path(tmp_path_factory.getbasetemp()) / "lsp-big-scene"  # type: ignore[attr-defined]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "story.toml").write_text("")
    path = str(folder / "scene.story")
    encoding = data.draw(st.sampled_from(ENCODINGS))
    engine = Incremental(path, catalog(), encoding)
    engine.splice_from = 0  # every clip's parse kept, however small
    base = text
    scene = text.index("scene long\n") + len("scene long\n")
    for _ in range(data.draw(st.integers(2, 10))):
        found = incremental_found(engine, text)
        event("spliced" if engine.spliced else "incremental" if found is not None else "checked whole")
        if found is not None:
            assert found == whole(Analysis(path, text, catalog(), encoding)), text
        if data.draw(st.integers(0, 3)) == 0:
            text = base  # back to the clean text: the next edit splices into its parse
        start = data.draw(st.integers(scene, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 4)))
        text = text[:start] + data.draw(st.sampled_from(BIG_SCENE_SNIPPETS)) + text[end:]


def test_an_edit_in_a_shot_of_a_large_scene_is_spliced(tmp_path: Path) -> None:
    """Typing in a scene of many shots re-parses the shot, not the scene, and undoing it costs nothing."""
    shots = "".join(f"  shot 3s wide\n    @fox paces, page {n}\n    sfx: rain\n" for n in range(400))
    text = "model wan2.7-t2v\ncast fox: a red fox\n\nscene long\n" + shots
    path = str(tmp_path / "large.story")
    engine = Incremental(path, catalog(), "utf-16")
    assert len(text) > engine.splice_from
    assert incremental_found(engine, text) == whole(Analysis(path, text, catalog()))
    for n, typed in ((150, "@owl "), (20, "x"), (399, "\n    and @fox sits")):
        at = text.index(f"page {n}\n")
        for edited in (text[:at] + typed + text[at:], text):
            found = incremental_found(engine, edited)
            assert found is not None and found == whole(Analysis(path, edited, catalog()))
            assert (engine.rechecked, engine.spliced) == ((1, 1) if edited != text else (0, 0))
