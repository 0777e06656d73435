"""`model wan2.7` names a family: storyc gives each clip the member that takes what it has (no media:
text-to-video; a first frame: image-to-video; mentioned cast with reference pictures: reference-to-video),
and `story plan` says which and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyc.check.rules import check
from storyc.cli import main
from storyc.compile.emit import compile_plan
from storyc.compile.plan import plan
from storyc.language.load import load
from storyc.models.profile import catalog

FAMILY = """\
model {family}
region beijing
resolution 720P
language en
cast mei: a girl in a yellow raincoat
  image: https://example.com/mei.png
clip plain 5s
  rain on an empty street
clip framed 5s
  first-frame: https://example.com/street.png
  the rain eases
clip together 5s
  @mei waves
"""


def write(tmp_path: Path, text: str) -> Path:
    story = tmp_path / "s.story"
    story.write_text(text, "utf-8")
    return story


def test_families_are_the_rolling_members() -> None:
    profiles = catalog()
    assert [p.id for p in profiles.family("wan2.7")] == ["wan2.7-i2v", "wan2.7-r2v", "wan2.7-t2v"]
    assert [p.id for p in profiles.family("wan3.0")] == ["wan3.0-video", "wan3.0-video-prime"]
    assert profiles.family("wan2.7-t2v") == [] and profiles.family("wan9") == []
    assert profiles.get("wan2.7").id == "wan2.7-t2v"  # type: ignore[union-attr]  # the file's own: text alone
    assert profiles.get("wan9") is None


def test_each_clip_gets_the_member_that_takes_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = write(tmp_path, FAMILY.format(family="wan2.7"))
    program = load(str(story))
    assert check(program) == []
    compiled = compile_plan(plan(program))  # type: ignore[arg-type]
    assert {clip.name: clip.body["model"] for clip in compiled.clips} == {
        "plain": "wan2.7-t2v", "framed": "wan2.7-i2v", "together": "wan2.7-r2v"}
    assert main(["plan", str(story), "--json"]) == 0
    notes = json.loads(capsys.readouterr().out)["storyboards"][0]["notes"]
    assert notes == ["clip `plain`: wan2.7 -> wan2.7-t2v: no media inputs",
                     "clip `framed`: wan2.7 -> wan2.7-i2v: has a first frame",
                     "clip `together`: wan2.7 -> wan2.7-r2v: mentions @mei with reference media"]


def test_wan30_takes_all_three_in_one_model(tmp_path: Path) -> None:
    program = load(str(write(tmp_path, FAMILY.format(family="wan3.0"))))
    assert check(program) == []
    compiled = compile_plan(plan(program))  # type: ignore[arg-type]
    assert {clip.body["model"] for clip in compiled.clips} == {"wan3.0-video"}
    media = {clip.name: [m["type"] for m in clip.body["input"].get("media", [])] for clip in compiled.clips}
    assert media == {"plain": [], "framed": ["first_frame"], "together": ["reference_image"]}


def test_a_clip_no_member_takes_is_reported_by_the_closest(tmp_path: Path) -> None:
    text = FAMILY.format(family="wan3.0") + "clip both 5s\n  first-frame: https://example.com/a.png\n  @mei waves\n"
    codes = {d.code for d in check(load(str(write(tmp_path, text))))}
    assert codes == {"SB605"}  # Wan 3.0 takes frames or references, not both
    text = FAMILY.format(family="wan2.7") + "clip ending 5s\n  last-frame: https://example.com/a.png\n  the end\n"
    assert {d.code for d in check(load(str(write(tmp_path, text))))} == {"SB601"}
