"""Golden bodies for each model and mode, taken from the reference's own request samples
(wan-media-api.md §3.5, §4.6, §6.6, §7.1-§7.3): each storyboard in tests/fixtures/media-inputs/reference
restates a sample, and its compiled body must be the sample's body (the prompt aside, whose reference
labels are checked instead). Where the sample leaves a parameter to its default and storyc states it,
the fixture's `defaults` names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyc.check.rules import check
from storyc.compile.emit import compile_plan
from storyc.compile.media import body_kind
from storyc.compile.plan import plan
from storyc.language.load import load
from storyc.models.profile import builtin

FIXTURES = Path(__file__).parent / "fixtures" / "media-inputs" / "reference"
CASES = sorted(FIXTURES.glob("*.story"))


@pytest.mark.parametrize("story", CASES, ids=[p.stem for p in CASES])
def test_body_is_the_reference_sample(story: Path) -> None:
    expected = json.loads(story.with_suffix(".json").read_text("utf-8"))
    program = load(str(story))
    assert check(program) == []
    planned = plan(program)
    assert planned is not None
    compiled = compile_plan(planned)
    assert compiled.diagnostics == ()
    [clip] = compiled.clips
    body, sample = clip.body, expected["body"]
    defaults = expected.get("defaults", {})
    assert body["model"] == sample["model"]
    assert {k: v for k, v in body["input"].items() if k != "prompt"} == {
        k: v for k, v in sample["input"].items() if k != "prompt"}
    stated = {k: v for k, v in body["parameters"].items() if k not in sample["parameters"]}
    left = {k: v for k, v in sample["parameters"].items() if k not in body["parameters"]}
    assert {k: v for k, v in body["parameters"].items() if k in sample["parameters"]} == {
        k: v for k, v in sample["parameters"].items() if k in body["parameters"]}
    assert stated.items() <= defaults.items() and left.items() <= defaults.items()
    for label in expected["labels"]:
        assert label in clip.prompt, (label, clip.prompt)
    # the body's own text: byte-deterministic, and the same on a second compile
    assert compile_plan(plan(load(str(story)))).clips[0].body_text() == clip.body_text()  # type: ignore[arg-type]


def test_every_kind_of_body_has_a_golden_sample() -> None:
    kinds = {(body_kind(builtin()[json.loads(p.with_suffix(".json").read_text("utf-8"))["body"]["model"]]),
              tuple(sorted(m["type"] for m in json.loads(p.with_suffix(".json").read_text("utf-8"))["body"]["input"].get("media", []))))
             for p in CASES}
    assert ("media", ("driving_audio", "first_frame")) in kinds  # driving audio
    assert ("media", ("first_frame", "last_frame")) in kinds  # first + last, wan2.7 and Wan 3.0
    assert ("media", ("first_clip",)) in kinds
    flat_fields = {field for p in CASES for field in json.loads(p.with_suffix(".json").read_text("utf-8"))["body"]["input"]}
    assert {"img_url", "audio_url", "first_frame_url", "last_frame_url", "reference_urls"} <= flat_fields


def test_english_labels_are_counted_per_type(tmp_path: Path) -> None:
    story = tmp_path / "en.story"
    story.write_text(
        "model wan2.7-r2v\nlanguage en\nresolution 720P\n"
        "cast mei: a girl in a yellow raincoat\n  image: https://example.com/mei.png\n  voice: https://example.com/mei.mp3\n"
        "cast lin: a boy\n  video: https://example.com/lin.mp4\n  image: https://example.com/lin.png\n"
        "clip a 5s\n  @lin waves at @mei\n  say mei: Hello.\n", "utf-8")
    program = load(str(story))
    assert check(program) == []
    [clip] = compile_plan(plan(program)).clips  # type: ignore[arg-type]
    assert [m["type"] for m in clip.body["input"]["media"]] == ["reference_video", "reference_image", "reference_image"]
    assert "Lin (a boy, shown in Video 1, Image 1)" in clip.prompt
    assert "Mei (a girl in a yellow raincoat, shown in Image 2)" in clip.prompt
    assert clip.body["input"]["media"][2]["reference_voice"] == "https://example.com/mei.mp3"
