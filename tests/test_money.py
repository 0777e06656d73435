"""Money and regions: one region per storyboard, availability checked, unknown never zero.

Each test here is one finding of issue 11 ("what is wrong today") or issue 12 (plan gates), run
through the real CLI (`main(argv)`) on the storyboards in the repository or small files.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from storyc.cli import main
from storyc.compile.plan import plan
from storyc.language.load import load
from storyc.models.pricing import clip_price
from storyc.models.profile import builtin

ROOT = Path(__file__).resolve().parent.parent
FUTURE_GARDEN = str(ROOT / "storyboards" / "future-garden.story")
NEW_YORK = str(ROOT / "storyboards" / "new-york-detective.story")


@pytest.fixture(autouse=True)
def _no_region_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)


def write(tmp_path: Path, text: str, name: str = "a.story") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rate(model: str, region: str, tier: str) -> float:
    price = clip_price(builtin()[model], region, tier, 1)
    assert price.rate is not None
    return price.rate


# -- a region with no price row is not free -------------------------------------------------------

def test_wan27_in_virginia_is_refused_not_priced_at_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = write(tmp_path, "model wan2.7-t2v\nregion virginia\nresolution 720P\nclip a 5s\n  One\n")
    code, out, err = run(capsys, "plan", "--budget", "0.01", story)
    assert code == 1
    assert "SB320" in err and "`wan2.7-t2v` is not offered in virginia" in err and "beijing, singapore" in err
    assert out == ""


def test_us_model_sent_to_singapore_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = write(tmp_path, "model wan2.6-t2v-us\nsize 1280*720\nclip a 5s\n  One\n")
    code, _, err = run(capsys, "plan", "--budget", "0.01", "--region", "singapore", story)
    assert code == 1 and "SB320" in err and "offered in virginia" in err
    code, out, _ = run(capsys, "plan", "--budget", "100", "--region", "virginia", story)
    assert code == 0 and "CNY" in out


def test_an_unknown_price_refuses_the_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A model offered in a region whose price row is missing: shown as unknown, budget refuses."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "wan9.yaml").write_text(
        "id: wan9-t2v\ntitle: test model\nextends: wan2.6-t2v\nregions: [beijing, singapore]\n"
        "pricing:\n  beijing: {currency: CNY, unit: second, tiers: {720P: 0.5, 1080P: 0.9}, source: test, "
        "checked: '2026-11-23'}\n", encoding="utf-8")
    story = write(tmp_path, "model wan9-t2v\nsize 1280*720\nclip a 5s\n  One\n")
    code, out, err = run(capsys, "plan", "--profiles", str(profiles), "--budget", "1000", story)
    assert code == 1
    assert "CNY unknown" in out and "no price for `wan9-t2v` 720P in singapore" in out
    assert "unknown is not zero" in err
    code, out, _ = run(capsys, "plan", "--profiles", str(profiles), "--budget", "1000", "--json", story)
    assert json.loads(out)["totals"][0]["amount"] is None
    code, out, _ = run(capsys, "plan", "--profiles", str(profiles), "--budget", "2.5", "--region", "beijing", story)
    assert code == 0 and "CNY 2.50" in out


# -- one region for the budget, the curl host and the model id --------------------------------------

def test_budget_and_curl_use_the_same_region(capsys: pytest.CaptureFixture[str]) -> None:
    singapore = rate("wan2.7-t2v-2026-04-25", "singapore", "720P") * 10
    code, _, err = run(capsys, "plan", "--budget", "7", FUTURE_GARDEN)
    assert code == 1 and f"CNY {singapore:.2f} in singapore > CNY 7.00" in err
    code, out, _ = run(capsys, "plan", "--json", FUTURE_GARDEN)
    [entry] = json.loads(out)["storyboards"]
    assert entry["region"] == "singapore" and entry["total"]["amount"] == pytest.approx(singapore)
    code, script, _ = run(capsys, "compile", "--curl", FUTURE_GARDEN)
    assert code == 0 and "https://dashscope-intl.aliyuncs.com" in script and "dashscope.aliyuncs.com}" not in script
    code, _, _ = run(capsys, "plan", "--budget", "7", "--region", "beijing", FUTURE_GARDEN)
    assert code == 0
    code, out, err = run(capsys, "plan", "--json", "--budget", "7.339", FUTURE_GARDEN)
    assert code == 1 and f"over budget: CNY {round(singapore, 6)} in singapore > CNY 7.339" in err
    assert json.loads(out)["budget"] == {"amount": 7.339, "within": False, "problem": err.strip()}


def test_region_order_setting_then_option_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = write(tmp_path, "model wan2.6-t2v\nsize 1280*720\nclip a 10s\n  One\n", "plain.story")
    pinned = write(tmp_path, "model wan2.6-t2v\nregion frankfurt\nsize 1280*720\nclip a 10s\n  One\n", "pinned.story")

    def regions(*argv: str) -> list[str]:
        code, out, _ = run(capsys, "plan", "--json", *argv, plain, pinned)
        assert code == 0
        return [entry["region"] for entry in json.loads(out)["storyboards"]]

    assert regions() == ["singapore", "frankfurt"]
    monkeypatch.setenv("DASHSCOPE_REGION", "virginia")
    assert regions() == ["virginia", "frankfurt"]
    assert regions("--region", "beijing") == ["beijing", "frankfurt"]


def test_unknown_region_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "--budget", "0", "--region", "nowhere", FUTURE_GARDEN)
    assert code == 2 and out == "" and "unknown region `nowhere` (--region)" in err
    monkeypatch.setenv("DASHSCOPE_REGION", "mars")
    code, _, err = run(capsys, "plan", "--budget", "0", FUTURE_GARDEN)
    assert code == 2 and "$DASHSCOPE_REGION" in err
    code, _, err = run(capsys, "check", FUTURE_GARDEN)
    assert code == 2 and "unknown region `mars`" in err and "internal error" not in err


def test_wanx_id_is_mapped_per_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = write(tmp_path, "model wanx2.1-t2v-plus\nsize 1280*720\nclip a 5s\n  One\n")
    code, out, _ = run(capsys, "check", story)
    assert code == 0 and "SB321" in out and "`wanx2.1-t2v-plus` is called `wan2.1-t2v-plus` in singapore" in out
    code, out, _ = run(capsys, "compile", "--json", story)
    assert [body["model"] for body in json.loads(out)] == ["wan2.1-t2v-plus"]
    code, out, _ = run(capsys, "compile", "--json", "--region", "beijing", story)
    assert [body["model"] for body in json.loads(out)] == ["wanx2.1-t2v-plus"]
    code, out, _ = run(capsys, "plan", story)
    assert "note: `wanx2.1-t2v-plus` is sent as `wan2.1-t2v-plus`, its id in singapore" in out


def test_check_refuses_models_a_region_does_not_offer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    default_model = write(tmp_path, "resolution 720P\nclip a 5s\n  One\n")
    assert run(capsys, "check", default_model)[0] == 0
    monkeypatch.setenv("DASHSCOPE_REGION", "virginia")
    code, out, _ = run(capsys, "check", default_model)
    assert code == 1 and "error[SB320]: `wan2.7-t2v` is not offered in virginia" in out


# -- what plan prints --------------------------------------------------------------------------------

def test_every_amount_names_currency_and_region_and_there_is_a_grand_total(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", FUTURE_GARDEN, NEW_YORK)
    assert code == 0
    garden = rate("wan2.7-t2v-2026-04-25", "singapore", "720P") * 10
    detective = rate("wan2.6-t2v", "singapore", "720P") * 15
    assert "(region singapore, prices in CNY)" in out and "price in singapore" in out
    amounts = [line.split()[-2:] for line in out.splitlines() if line.startswith(("garden", "total  ", "shot"))]
    assert amounts and all(currency == "CNY" for currency, _ in amounts)
    assert out.rstrip().endswith(f"total for 2 storyboards: CNY {garden + detective:.2f} in singapore")
    code, _, err = run(capsys, "plan", "--budget", "10", FUTURE_GARDEN, NEW_YORK)
    assert code == 1 and f"over budget: CNY {garden + detective:.2f} in singapore > CNY 10.00" in err


def test_json_numbers_are_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--json", NEW_YORK)
    document = json.loads(out)
    [clip] = document["storyboards"][0]["clips"]
    per_second = rate("wan2.6-t2v", "singapore", "720P")
    assert clip["duration"] == 15 and isinstance(clip["duration"], int)
    assert clip["price"] == {"amount": pytest.approx(per_second * 15), "currency": "CNY", "region": "singapore",
                             "tier": "720P", "seconds": 15, "per_second": per_second,
                             "source": clip["price"]["source"]}
    assert "S7" in clip["price"]["source"] and "checked 2026-" in clip["price"]["source"]
    assert document["totals"] == [{"amount": clip["price"]["amount"], "currency": "CNY", "regions": ["singapore"],
                                   "storyboards": 1}]


def test_models_shows_prices_for_the_resolved_region(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "models", "--wide")
    assert code == 0 and "price per second in singapore" in out
    [line] = [line for line in out.splitlines() if line.startswith("wan2.7-t2v ")]
    assert "CNY 0.733924 (720P), 1.100886 (1080P)" in line
    monkeypatch.setenv("DASHSCOPE_REGION", "beijing")
    code, out, _ = run(capsys, "models", "--wide")
    [line] = [line for line in out.splitlines() if line.startswith("wan2.7-t2v ")]
    assert "price per second in beijing" in out and "CNY 0.6 (720P), 1.0 (1080P)" in line
    code, out, _ = run(capsys, "models", "--wide", "--region", "virginia")
    [line] = [line for line in out.splitlines() if line.startswith("wan2.7-t2v ")]
    assert line.rstrip().endswith("not offered")


def test_unset_resolution_gets_a_note_with_the_default_tier_and_its_price(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = write(tmp_path, "model wan2.7-t2v\nclip a 5s\n  One\n")
    code, out, _ = run(capsys, "plan", story)
    assert code == 0
    assert ("note: `resolution` is not set: `wan2.7-t2v` defaults to 1080P, CNY 1.100886 per second in singapore; "
            "`resolution 720P` costs CNY 0.733924 per second") in out
    pinned = write(tmp_path, "model wan2.7-t2v\nresolution 1080P\nclip a 5s\n  One\n", "b.story")
    assert "note:" not in run(capsys, "plan", pinned)[1]


def test_plan_exits_1_whenever_check_would(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = ROOT / "tests" / "cases" / "render" / "SB313-prompt-too-long.story"
    copy = tmp_path / case.name
    shutil.copy(case, copy)
    assert run(capsys, "check", str(copy))[0] == 1
    code, out, err = run(capsys, "plan", str(copy))
    assert code == 1 and "SB313" in err and out == ""
    code, _, _ = run(capsys, "plan", "--budget", "1000", str(copy))
    assert code == 1


def test_plan_carries_the_resolved_region() -> None:
    planned = plan(load(FUTURE_GARDEN))
    assert planned is not None and planned.region == "singapore"
    planned = plan(load(FUTURE_GARDEN), region="beijing")
    assert planned is not None and planned.region == "beijing"


def test_one_list_of_regions() -> None:
    """The `region` setting, the profile schema, the endpoints table and the profiles name the same regions."""
    import json as json_module

    from storyc.language.settings import spec
    from storyc.models.profile import SCHEMA
    from storyc.models.regions import known_regions

    with open(SCHEMA, encoding="utf-8") as handle:
        schema = json_module.load(handle)
    assert set(spec()["region"]["values"]) == set(known_regions()) == set(schema["$defs"]["region"]["enum"])
    for profile in builtin().values():
        assert set(profile.regions) <= set(known_regions())
        assert set(profile.data["pricing"]) <= set(profile.regions), profile.id


# -- a setting another setting overrides is a diagnostic (issue 20) ---------------------------------

def test_resolution_beside_a_size_of_another_tier_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """wan2.6 is sent the size: `resolution 1080P` beside `size 720*1280` was dropped without a word."""
    story = write(tmp_path, "model wan2.6-t2v\nresolution 1080P\nsize 720*1280\nclip a 5s\n  One\n")
    code, err, _ = run(capsys, "check", story)  # diagnostics are the output of `story check`
    assert code == 1 and "error[SB330]: `resolution 1080P` is overridden by `size 720*1280`, which is 720P" in err
    assert "a.story:2:12" in err and "write `size 1080*1920` for 1080P at 9:16" in err
    code, out, _ = run(capsys, "explain", "SB330")
    assert code == 0 and "resolution-overridden-by-size" in out
    code, out, _ = run(capsys, "check", "--format", "json", story)
    [found] = json.loads(out)
    assert found["fix"]["replacement"] == "1080*1920" and found["fix"]["applicability"] == "maybe-incorrect"
    written = Path(story).read_text(encoding="utf-8")
    write(tmp_path, written.replace("resolution 1080P\n", ""))
    code, out, _ = run(capsys, "compile", "--json", story)
    assert code == 0 and json.loads(out)[0]["parameters"]["size"] == "720*1280"


def test_shot_mode_single_on_several_shots_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = write(tmp_path, "model wan2.6-t2v\nsize 1280*720\nshot-mode single\nclip a 4s\n"
                  "  shot 2s wide: one\n  shot 2s wide: two\n")
    code, err, _ = run(capsys, "check", story)
    assert code == 0 and "warning[SB331]" in err and "a.story:3:11" in err
    code, out, _ = run(capsys, "compile", "--json", story)
    assert code == 0 and json.loads(out)[0]["parameters"]["shot_type"] == "multi"  # what SB331 says is sent


# -- tables line up by display width, and fit a terminal (issue 20) ---------------------------------

def display_column(line: str, text: str) -> int:
    """The terminal column where `text` starts in `line` (Wide and Fullwidth characters take two)."""
    import unicodedata

    before = line[: line.index(text)]
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in before)


CJK_CLIPS = "model wan2.6-t2v\nsize 1280*720\nclip 追逐戲 5s\n  One\nclip a 5s\n  Two\nclip ｆｕｌｌ 5s\n  Three\n"


def test_plan_columns_line_up_with_cjk_clip_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = write(tmp_path, CJK_CLIPS)
    code, out, err = run(capsys, "plan", story)
    assert code == 0, err
    rows = [line for line in out.splitlines() if "wan2.6-t2v" in line]
    assert len(rows) == 3
    assert len({display_column(row, "wan2.6-t2v") for row in rows}) == 1
    assert len({display_column(row, "CNY") for row in rows}) == 1


def test_render_plan_columns_line_up_with_cjk_clip_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    story = write(tmp_path, CJK_CLIPS)
    code, out, err = run(capsys, "render", "--offline", story)
    assert code == 0, err
    rows = [line for line in out.splitlines() if "to submit" in line and line.startswith("  ")]
    assert len(rows) == 3
    assert len({display_column(row, "to submit") for row in rows}) == 1
    assert len({display_column(row, "CNY") for row in rows}) == 1


def test_models_fits_a_100_column_terminal_and_wide_shows_every_column(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    code, out, _ = run(capsys, "models")
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 100
    for model in builtin():
        assert model in out
    assert "CNY 1.100886 (1080P)" in out and "--wide" in out
    monkeypatch.setenv("COLUMNS", "80")
    code, narrow, _ = run(capsys, "models")
    assert code == 0 and max(len(line) for line in narrow.splitlines()) <= 80
    code, wide, _ = run(capsys, "models", "--wide")
    header = wide.splitlines()[0]
    assert code == 0 and all(name in header for name in ("protocol", "multi-shot", "submit/s", "concurrent", "regions"))
    assert "beijing, singapore, virginia, frankfurt" in wide


# -- compile --json says that local files are uploaded, without changing the bodies (issue 20) ------

def test_compile_json_says_local_files_become_oss_urls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_render_e2e import tone

    (tmp_path / "audio").mkdir()
    tone(tmp_path / "audio" / "theme.mp3", 4)
    story = write(tmp_path, "model wan2.6-t2v\nsize 1280*720\nclip a 5s\n  soundtrack: audio/theme.mp3\n  One\n")
    code, out, err = run(capsys, "compile", "--json", story)
    assert code == 0
    [body] = json.loads(out)
    assert body["input"]["audio_url"] == "file://audio/theme.mp3"  # the body as compiled, unchanged
    assert "note: `file://audio/theme.mp3` names a local file, not sent as written" in err
    assert "sends its `oss://` URL in its place" in err
    code, _, _ = run(capsys, "compile", story, "-o", str(tmp_path / "out"))
    assert json.loads((tmp_path / "out" / "a.json").read_text(encoding="utf-8")) == body
    plain = write(tmp_path, "model wan2.6-t2v\nsize 1280*720\nclip a 5s\n  One\n", "plain.story")
    code, _, err = run(capsys, "compile", "--json", plain)
    assert code == 0 and "oss://" not in err
    assert main(["compile", "--help"]) == 0
    assert "`story render` uploads it and sends an `oss://` URL" in " ".join(capsys.readouterr().out.split())


def test_plan_against_columns_line_up_with_cjk_clip_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_submit_plan import git

    story = write(tmp_path, CJK_CLIPS)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "a.story")
    git(tmp_path, "commit", "-q", "-m", "first")
    write(tmp_path, CJK_CLIPS.replace("One", "Uno").replace("Two", "Dos").replace("Three", "Tres"))
    code, out, err = run(capsys, "plan", "--against", "HEAD", story)
    assert code == 0, err
    rows = [line for line in out.splitlines() if "changed" in line and line.startswith("  ")]
    assert len(rows) == 3
    assert len({display_column(row, "changed") for row in rows}) == 1
    assert len({display_column(row, "CNY") for row in rows}) == 1
