"""Media inputs priced: billed seconds follow each model's rule (wan-media-api.md §11), in the region
called; a billed input whose length is unknown makes the price unknown, never zero."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from test_media_inputs_properties import storyboard

from storyc.base.diagnostics import has_errors
from storyc.check.rules import check
from storyc.compile.diagnose import diagnosed_plan
from storyc.compile.emit import compile_plan
from storyc.compile.estimate import budget_problem, grand_totals, plan_rows
from storyc.compile.plan import plan
from storyc.emulator.tasks import usage
from storyc.emulator.validate import TaskSpec, inspect
from storyc.language.load import load
from storyc.models.pricing import input_video_seconds
from storyc.models.profile import builtin, catalog

REFS = Path(__file__).parent / "cases" / "media" / "refs"


def rows(tmp_path: Path, text: str) -> list[dict[str, object]]:
    (tmp_path / "refs").mkdir(exist_ok=True)
    for name in ("walk.mp4", "run.mp4", "mei.png"):
        shutil.copy(REFS / name, tmp_path / "refs" / name)
    story = tmp_path / "s.story"
    story.write_text(text, "utf-8")
    program = load(str(story))
    assert [d for d in check(program) if d.level == "error"] == []
    planned = plan(program)
    assert planned is not None
    return plan_rows(planned).rows


def test_the_billing_rules_of_the_reference() -> None:
    profiles = builtin()
    # wan2.7-r2v: each video min(length, 5 s / number of reference videos) (M3)
    assert input_video_seconds(profiles["wan2.7-r2v"], [3.0, 3.0], 2) == 5.0
    assert input_video_seconds(profiles["wan2.7-r2v"], [1.0, 3.0], 5) == 3.5
    assert input_video_seconds(profiles["wan2.7-r2v"], [12.0], 1) == 5.0
    # wan2.6-r2v: the share is 5 s / all references, images included (M3-old)
    assert input_video_seconds(profiles["wan2.6-r2v"], [3.0], 2) == 2.5
    # output seconds only: image-to-video (a continuation is billed as its whole output), Wan 3.0 (§16)
    assert input_video_seconds(profiles["wan2.7-i2v"], [8.0], 0) == 0.0
    assert input_video_seconds(profiles["wan3.0-video"], [8.0], 1) == 0.0
    assert input_video_seconds(profiles["wan2.7-r2v"], [None], 1) is None


def test_plan_bills_reference_video_seconds_in_the_region_called(tmp_path: Path) -> None:
    [row] = rows(tmp_path, "model wan2.7-r2v\nregion beijing\nresolution 720P\n"
                 "cast mei: a girl\n  video: refs/walk.mp4\ncast lin: a boy\n  video: refs/run.mp4\n"
                 "clip a 5s\n  @mei meets @lin\n")
    price = row["price"]
    assert isinstance(price, dict)
    # walk.mp4 lasts 3 s and run.mp4 2 s; the share is 2.5 s each: 2.5 + 2 = 4.5 input seconds + 5 output
    assert price["amount"] == pytest.approx(9.5 * 0.6)
    assert (price["region"], price["tier"]) == ("beijing", "720P")
    assert "secondary" in str(price["source"])


def test_a_reference_video_of_unknown_length_leaves_the_price_unknown(tmp_path: Path) -> None:
    [row] = rows(tmp_path, "model wan2.7-r2v\nregion beijing\nresolution 720P\n"
                 "cast mei: a girl\n  video: https://example.com/mei.mp4\nclip a 5s\n  @mei waves\n")
    assert row["price"]["amount"] is None  # type: ignore[index]
    [row] = rows(tmp_path, "model wan2.7-r2v\nregion beijing\nresolution 720P\n"
                 "cast mei: a girl\n  image: https://example.com/mei.png\nclip a 5s\n  @mei waves\n")
    assert row["price"]["amount"] == pytest.approx(5 * 0.6)  # type: ignore[index]  # pictures are free


def test_a_region_without_a_price_row_is_unknown(tmp_path: Path) -> None:
    [row] = rows(tmp_path, "model wan3.0-video-prime\nregion singapore\nclip a 5s\n  a cat on a roof\n")
    assert row["price"]["amount"] is None  # type: ignore[index]
    [row] = rows(tmp_path, "model wan3.0-video\nregion singapore\nresolution 480P\nclip a 5s\n  a cat on a roof\n")
    assert (row["price"]["amount"], row["price"]["currency"]) == (pytest.approx(0.25), "USD")  # type: ignore[index]


# -- the budget property of the money work, with media -------------------------------------------------
def billed_by_the_service(body: dict[str, Any], region: str) -> Any:
    """What the emulator bills for a body (rate of its tier in `region` times `usage` seconds), or None when
    the profile has no price there or a billed reference video's length cannot be known before it runs."""
    spec = inspect(body, catalog())
    assert isinstance(spec, TaskSpec) and spec.failure is None, spec
    media = spec.profile.media
    if media is not None and media["billing"]["input_video"] == "capped" and any(
            medium.role == "reference_video" for medium in spec.media):
        return None  # URL videos: their seconds are billed, their length is unknown
    row = spec.profile.data["pricing"].get(region)
    rate = None if row is None else row["tiers"].get(spec.resolution)
    fields = usage(spec)
    seconds = fields["duration"] if "duration" in fields else fields["video_duration"]
    return None if rate is None else rate * seconds


@settings(max_examples=150, deadline=None)  # kept small: the suite has a time budget
@given(case=storyboard())
def test_the_budget_is_what_media_requests_are_billed(tmp_path_factory: Any, case: Any) -> None:
    _, text, _, _, _ = case
    path = Path(tmp_path_factory.mktemp("budget")) / "s.story"
    path.write_text(text, "utf-8")
    found, planned = diagnosed_plan(load(str(path)), catalog(), None)
    assume(planned is not None and not has_errors(found))
    assert planned is not None
    table = plan_rows(planned)
    [entry] = grand_totals([(str(path), table)])
    amounts = [billed_by_the_service(clip.body, planned.region_for(clip_plan))
               for clip, clip_plan in zip(compile_plan(planned).clips, planned.clips, strict=True)]
    if any(amount is None for amount in amounts):
        assert entry["amount"] is None  # unknown, never zero
        assert budget_problem([(str(path), table)], 1e9) is not None
        return
    expected = sum(amounts)
    assert entry["amount"] == pytest.approx(expected, abs=1e-6)
    assert budget_problem([(str(path), table)], expected + 0.01) is None
    if expected > 0.02:
        assert budget_problem([(str(path), table)], expected - 0.01) is not None
