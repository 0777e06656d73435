"""`continue` chains (issue 23): the syntax, the formatter, and the building blocks the render loop uses —
creation order, the staleness identity, the exact last frame as a lossless PNG. The diagnostics
(SB650-SB653) have case files in tests/cases; tests/test_chain_render.py renders chains end to end."""

from __future__ import annotations

from pathlib import Path

import av
from PIL import Image, ImageChops

from storyc.base.source import Source
from storyc.check.rules import check
from storyc.compile.emit import compile_plan
from storyc.compile.plan import plan
from storyc.emulator.video import Card, render_cards
from storyc.language.fmt import format_text
from storyc.language.load import load
from storyc.language.nodes import Setting
from storyc.language.parse import parse
from storyc.language.settings import own_settings
from storyc.submit.chain import (
    chain_levels,
    last_frame_png,
    placeholder,
    source_hashes,
)
from storyc.submit.journal import request_hash

TEXT = """model wan2.7-t2v

clip opening 2s
  The fox wakes in the den.

clip chase 2s
  continue opening
  takes 2
  The fox bolts out into the snow.
"""


def parsed(text: str):  # type: ignore[no-untyped-def]
    return parse(Source("film.story", text))


def test_continue_is_a_clip_line_and_the_formatter_keeps_it() -> None:
    result = parsed(TEXT)
    assert not result.diagnostics
    chase = result.storyboard.clips[1]
    assert [(s.key, s.value.value) for s in own_settings(chase)] == [("continue", "opening"), ("takes", "2")]
    assert isinstance(chase.lines[0], Setting)
    once = format_text(result)
    assert once == TEXT and format_text(parsed(once)) == once  # canonical already, idempotent
    # a continuation's words one space apart, a quoted path as written
    spaced = parsed('clip c 2s\n  continue:   chase    clip  # why\nclip d 2s\n  continue "ep  1.story"   a\n')
    assert format_text(spaced) == 'clip c 2s\n  continue chase clip  # why\n\nclip d 2s\n  continue "ep  1.story" a\n'
    # a sentence that starts with the word stays prose
    prose = parsed("clip a 2s\n  continue walking down the lane\n").storyboard.clips[0]
    assert not own_settings(prose)


def test_chains_are_created_in_dependency_order() -> None:
    clips = ["c", "a", "b", "solo", "d"]
    links = {"b": "a", "c": "b", "d": "a"}
    assert chain_levels(links, clips) == [["a", "solo"], ["b", "d"], ["c"]]
    assert chain_levels({}, clips) == [clips]
    assert chain_levels({"a": "gone"}, ["a"]) == [["a"]]  # a missing source (SB651) is no link


def test_the_request_identity_follows_the_source_video(tmp_path: Path) -> None:
    story = tmp_path / "film.story"
    story.write_text(TEXT.replace("wan2.7-t2v", "wan2.7"), "utf-8")  # a family: chase gets i2v
    program = load(str(story))
    assert not check(program)
    planned = plan(program)
    assert planned is not None
    body = next(clip.body for clip in compile_plan(planned).clips if clip.name == "chase")  # as compile writes it
    assert body["model"] == "wan2.7-i2v"
    assert body["input"]["media"] == [{"type": "first_frame", "url": placeholder("opening")}]
    one = request_hash("wan2.7-i2v", "singapore", body, source_hashes("opening", "a" * 64))
    again = request_hash("wan2.7-i2v", "singapore", body, source_hashes("opening", "a" * 64))
    other = request_hash("wan2.7-i2v", "singapore", body, source_hashes("opening", "b" * 64))
    assert one == again and one != other  # a new render or select of the source makes the clip stale


def test_the_exact_last_frame_is_written_losslessly(tmp_path: Path) -> None:
    video = tmp_path / "source.mp4"
    cards = [Card(1, 0.0, 1.0, "The fox wakes."), Card(2, 1.0, 2.0, "The fox opens its eyes.")]
    render_cards(str(video), cards, 320, 240, 2.0, "source")
    png = tmp_path / "last.png"
    assert last_frame_png(str(video), str(png)) == (320, 240)
    with av.open(str(video)) as container:
        frames = [frame.to_image().convert("RGB") for frame in container.decode(video=0)]
    saved = Image.open(png)
    assert saved.format == "PNG" and saved.mode == "RGB"  # no alpha: the service refuses it
    assert ImageChops.difference(saved, frames[-1]).getbbox() is None  # the last frame, pixel for pixel
    assert ImageChops.difference(saved, frames[0]).getbbox() is not None  # not the first
    assert not [name for name in tmp_path.iterdir() if name.name.startswith(".frame-")]
