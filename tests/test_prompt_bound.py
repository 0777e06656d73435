"""The prompt-length rule renders only clips whose cheap upper bound exceeds the limit: the bound must
never fall below the length of the prompt that is really rendered, or an over-long prompt would pass
`story check`."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from storyc.cli.common import storyboard_files
from storyc.compile.bound import DEFAULT_LANGUAGE, _Bound, languages
from storyc.compile.diagnose import checked_plan
from storyc.compile.emit import emit_prompt
from storyc.language.load import load
from storyc.models.profile import catalog

ROOT = Path(__file__).parent.parent
STORYBOARDS = [Path(path) for path in storyboard_files([str(ROOT / "storyboards")])] + sorted((ROOT / "tests" / "cases").rglob("*.story"))

LINES = [
    "camera: slow @den push", "@fox_hunter runs, @den", "@獵豹追著羚羊", "sfx: rain over @den",
    "say fox_hunter: hello @獵豹 there", "voiceover 獵豹: 你好", "ß @fox_hunter, then @den; and", "@den",
    "@fox_hunter", "music: strings", "ambience: wind, @den.", "a line that ends with a colon:",
    "@獵豹的尾巴 @fox_hunter's hat", "@den說 @獵豹 們", "voiceover fox_hunter: @den的門",  # introduced before the line
]


def slack(path: Path) -> list[int]:
    """Bound minus rendered length, for each clip of a storyboard that checks clean."""
    found, planned = checked_plan(load(str(path)), catalog())
    if planned is None:
        return []
    bounds: dict[str, _Bound] = {}
    out = []
    for clip_plan in planned.clips:
        language = str(planned.settings_for(clip_plan).get("language", DEFAULT_LANGUAGE))
        bound = bounds.setdefault(language, _Bound(planned, languages().get(language)))
        out.append(bound.clip(clip_plan) - len(emit_prompt(planned, clip_plan)))
    return out


def test_the_bound_holds_for_every_storyboard_in_the_repository() -> None:
    slacks = [value for path in STORYBOARDS for value in slack(path)]
    assert len(slacks) >= 20
    assert min(slacks) >= 0


@pytest.mark.parametrize("language", ["en", "zh", "zh-Hans"])
def test_the_bound_holds_for_random_clips(language: str, tmp_path: Path) -> None:
    rng = random.Random(language)
    path = tmp_path / "t.story"
    checked = 0
    for _ in range(25):
        lines = ["model wan2.7-t2v", f"language {language}", "cast fox_hunter: a red fox, in a coat @den",
                 "cast 獵豹: 一隻獵豹，很快。", "place den: a dark den (damp)", "style: grainy @den and @fox_hunter"]
        for number in range(3):
            lines.append(f"clip c{number}")
            lines += ["  " + rng.choice(LINES) for _ in range(rng.randint(0, 2))]
            for _ in range(rng.randint(1, 3)):
                lines.append(f"  shot 3s {rng.choice(['wide', 'close-up', 'extreme-close-up'])}")
                lines += ["    " + rng.choice(LINES) for _ in range(rng.randint(0, 4))]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        values = slack(path)
        checked += len(values)
        assert not values or min(values) >= 0, path.read_text(encoding="utf-8")
    assert checked >= 30  # most generated storyboards check clean and are measured


def test_plan_reports_exactly_the_length_of_the_prompt_compile_writes(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from storyc.cli import main

    stories = [Path(path) for path in storyboard_files([str(ROOT / "storyboards")])] + sorted((ROOT / "tests" / "golden-sources").glob("*.story"))
    measured = 0
    for index, story in enumerate(stories):
        out = tmp_path / str(index)
        assert main(["compile", str(story), "-o", str(out)]) == 0
        capsys.readouterr()
        assert main(["plan", "--json", str(story)]) == 0
        document = json.loads(capsys.readouterr().out)
        for row in (row for board in document["storyboards"] for row in board["clips"]):  # none: an include-only file
            clip = row["clip"].split(".take")[0]  # a take sends its clip's prompt (compile/takes.py)
            prompt = (out / f"{clip}.prompt.txt").read_text(encoding="utf-8").rstrip("\n")
            assert row["prompt_chars"] == len(prompt), (story, row["clip"])
            assert row["prompt_limit"] == catalog().get(row["model"]).data["prompt_max_chars"]  # type: ignore[union-attr]
            measured += 1
    assert measured >= 15
