"""Property: for any storyboard that checks clean, the budget `story plan` enforces is what the
requests, sent to the resolved region, would be billed at the profiles' prices.

The billed side does not use the planner: it reads the compiled request bodies the way the service
does (the emulator's `inspect` and `usage`: billed seconds and tier from the body alone) and prices
them with the region's row in the profile.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Union

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from storyc.base.diagnostics import has_errors
from storyc.compile.diagnose import diagnosed_plan
from storyc.compile.emit import compile_plan
from storyc.compile.estimate import budget_problem, grand_totals, plan_rows
from storyc.emulator.tasks import usage
from storyc.emulator.validate import TaskSpec, inspect
from storyc.language.load import load
from storyc.models.profile import builtin, catalog

PROFILES = builtin()
# text-to-video models; those that take media inputs have their own properties (test_media_inputs*.py)
MODELS = sorted(model for model, profile in PROFILES.items() if profile.media is None)


Case = tuple[str, str, Union[str, None], dict[str, str]]


def _picture(draw: st.DrawFn, profile: Any, indent: str) -> list[str]:
    resolution = profile.resolution
    tier = draw(st.sampled_from([None, *resolution["tiers"]]))
    ratio = draw(st.sampled_from(sorted(resolution["pixels"][tier or resolution["default_tier"]])))
    lines = []
    if profile.protocol == "new":
        if tier:
            lines.append(f"{indent}resolution {tier}")
        if draw(st.booleans()):
            lines.append(f"{indent}ratio {ratio}")
    elif tier:
        lines.append(f"{indent}size {resolution['pixels'][tier][ratio]}")
    return lines


@st.composite
def priced_storyboard(draw: st.DrawFn) -> Case:
    """(text, the file's region, the --region option or None, each clip's own region by name).

    A clip may set its own model (and then its own picture), and its own region."""
    profile = PROFILES[draw(st.sampled_from(MODELS))]
    region = draw(st.sampled_from(profile.regions))
    by_setting = draw(st.booleans())
    lines = [f"model {draw(st.sampled_from(sorted({profile.id, profile.id_in(region)})))}"]
    if by_setting:
        lines.append(f"region {region}")
    lines += _picture(draw, profile, "")
    file_profile, own_regions = profile, {}
    for number in range(draw(st.integers(1, 4))):
        profile, own = file_profile, []
        if draw(st.integers(0, 3)) == 0:
            profile = PROFILES[draw(st.sampled_from(MODELS))]
            own.append(f"  model {profile.id}")
            own += _picture(draw, profile, "  ")
        if draw(st.integers(0, 3)) == 0 or not profile.offered_in(region):
            own_regions[f"c{number}"] = draw(st.sampled_from(profile.regions))
            own.append(f"  region {own_regions[f'c{number}']}")
        lengths = _lengths(profile.duration)
        if profile.multi_shot != "none" and draw(st.booleans()):
            shots = draw(st.lists(st.integers(1, 6), min_size=1, max_size=5))
            kind = draw(st.sampled_from(["clip", "scene"]))
            head = f"{kind} c{number}" + (f" {sum(shots)}s" if kind == "clip" and draw(st.booleans()) else "")
            lines += [head, *own, *(f"  shot {seconds}s: shot {index}" for index, seconds in enumerate(shots))]
        else:
            length = draw(st.sampled_from([None, *lengths]))
            lines += [f"clip c{number}" + (f" {length}s" if length else ""), *own, "  A lantern over the market"]
    option = None if by_setting else region
    return "\n".join(lines) + "\n", region, option, own_regions


def _lengths(rule: dict[str, Any]) -> list[int]:
    if "fixed" in rule:
        return [rule["fixed"]]
    if "values" in rule:
        return list(rule["values"])
    return list(range(rule["min"], rule["max"] + 1))


def billed(bodies: list[tuple[dict[str, Any], str]]) -> float:
    """What the service bills for these bodies, each in the region it is sent to, read from the bodies alone."""
    profiles = catalog()
    amount = 0.0
    for body, region in bodies:
        spec = inspect(body, profiles)
        assert isinstance(spec, TaskSpec) and spec.failure is None, spec
        assert spec.profile.offered_in(region) and body["model"] == spec.profile.id_in(region)
        fields = usage(spec)
        seconds = fields["duration"] if "duration" in fields else fields["video_duration"]
        amount += spec.profile.data["pricing"][region]["tiers"][spec.resolution] * seconds
    return amount


@pytest.fixture(scope="module")
def folder() -> Any:
    with tempfile.TemporaryDirectory() as path:
        yield path


@settings(max_examples=100, deadline=None)  # kept small: the suite has a time budget
@given(case=priced_storyboard())
def test_budget_equals_what_the_requests_are_billed(case: Case, folder: str) -> None:
    text, region, option, own_regions = case
    saved = os.environ.pop("DASHSCOPE_REGION", None)
    try:
        path = os.path.join(folder, "s.story")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        found, planned = diagnosed_plan(load(path), catalog(), option)
        assume(planned is not None and not has_errors(found))
        assert planned is not None
        table = plan_rows(planned)
        [entry] = grand_totals([(path, table)])
        bodies = [(clip.body, own_regions.get(clip.name.split("-")[0], region))
                  for clip in compile_plan(planned).clips]
        assert len(bodies) == len(planned.clips)
        expected = billed(bodies)
        assert entry["amount"] == pytest.approx(expected, abs=1e-6)
        assert entry["regions"] == sorted({where for _, where in bodies}) and planned.region == region
        assert budget_problem([(path, table)], expected + 0.01) is None
        if expected > 0.02:
            assert budget_problem([(path, table)], expected - 0.01) is not None
    finally:
        if saved is not None:
            os.environ["DASHSCOPE_REGION"] = saved
