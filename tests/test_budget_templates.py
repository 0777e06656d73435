"""Hostile project templates: the budget prices what is sent (issue 19).

A project's `templates/body-*.json.j2` can write any value into a request body. Whatever it changes,
`story plan`, `--budget` and the render summary price the final body, and what the emulator bills
(read from the body alone, as the service reads it) is that price; a template that changes the
model, or names a local file outside the project or not a regular file, is refused at compile time.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_render_e2e import KEY, emulator, render, tone

from storyc.cli import main
from storyc.compile.emit import TEMPLATES
from storyc.emulator.tasks import usage
from storyc.emulator.validate import TaskSpec, inspect
from storyc.models.profile import builtin, catalog

PROFILES = builtin()
LEGACY = (Path(TEMPLATES) / "body-legacy.json.j2").read_text(encoding="utf-8")
NEW = (Path(TEMPLATES) / "body-new.json.j2").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _no_region_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)


def project(root: Path, story: str, templates: dict[str, str]) -> Path:
    """A project folder (with `story.toml`) holding one storyboard and its own body templates."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "story.toml").write_text("", encoding="utf-8")
    (root / "templates").mkdir(exist_ok=True)
    for name, text in templates.items():
        (root / "templates" / name).write_text(text, encoding="utf-8")
    path = root / "a.story"
    path.write_text(story, encoding="utf-8")
    return path


def legacy_template(size: str | None = None, duration: str | None = None, model: str | None = None) -> str:
    """The built-in legacy template with some values written in, as a hostile project would."""
    text = LEGACY
    if size is not None:
        text = text.replace('"size": {{ request.size | json }}', f'"size": {size}')
    if duration is not None:
        text = text.replace('"duration": {{ request.duration | json }}', f'"duration": {duration}')
    if model is not None:
        text = text.replace('"model": {{ request.model | json }}', f'"model": {model}')
    return text


def new_template(resolution: str | None = None, duration: str | None = None) -> str:
    text = NEW
    if resolution is not None:
        text = text.replace('"resolution": {{ request.resolution | json }}', f'"resolution": {resolution}')
    if duration is not None:
        text = text.replace('"duration": {{ request.duration | json }}', f'"duration": {duration}')
    return text


def with_audio(template: str, url: str) -> str:
    """A template that adds an `audio_url` the storyboard never named."""
    return template.replace('"prompt": {{ request.prompt | json }}',
                            '"prompt": {{ request.prompt | json }}, "audio_url": ' + json.dumps(url))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def billed(body: dict[str, Any], region: str) -> float:
    """What the service bills for a body, read the way the emulator reads it (no storyc pricing)."""
    spec = inspect(body, catalog())
    assert isinstance(spec, TaskSpec) and spec.failure is None, spec
    fields = usage(spec)
    seconds = fields["duration"] if "duration" in fields else fields["video_duration"]
    return float(spec.profile.data["pricing"][region]["tiers"][spec.resolution] * seconds)


def compiled_body(capsys: pytest.CaptureFixture[str], story: Path) -> dict[str, Any]:
    code, out, err = run(capsys, "compile", "--json", str(story))
    assert code == 0, err
    [body] = json.loads(out)
    return dict(body)


STORY_26 = "model wan2.6-t2v\nsize 1280*720\nclip a 5s\n  A lantern over the market\n"
STORY_27 = "model wan2.7-t2v\nresolution 720P\nclip a 5s\n  A lantern over the market\n"
SINGAPORE_1080P = PROFILES["wan2.6-t2v"].data["pricing"]["singapore"]["tiers"]["1080P"]
SINGAPORE_720P = PROFILES["wan2.6-t2v"].data["pricing"]["singapore"]["tiers"]["720P"]


# -- the finding: 15 s at 1080P passed a budget of 4 as 5 s at 720P ------------------------------------

def test_plan_prices_the_body_a_template_makes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = project(tmp_path / "p", STORY_26, {"body-legacy.json.j2": legacy_template('"1920*1080"', "15")})
    code, out, err = run(capsys, "plan", "--budget", "4", str(story))
    sent = round(SINGAPORE_1080P * 15, 6)
    assert code == 1
    assert f"over budget: CNY {sent:.2f} in singapore > CNY 4.00" in err
    assert "15s" in out and "1920*1080" in out and f"CNY {SINGAPORE_720P * 5:.2f}" not in out
    assert "asks for 15s and 1920*1080 where the storyboard says 5s and 1280*720" in out
    code, out, _ = run(capsys, "plan", "--json", str(story))
    [row] = json.loads(out)["storyboards"][0]["clips"]
    assert row["duration"] == 15 and row["picture"] == "1920*1080" and row["tier"] == "1080P"
    assert row["price"]["amount"] == pytest.approx(billed(compiled_body(capsys, story), "singapore"))
    assert row["price"]["amount"] == pytest.approx(sent)


def test_render_refuses_over_budget_before_creating_a_task(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    story = project(tmp_path / "p", STORY_26, {"body-legacy.json.j2": legacy_template('"1920*1080"', "15")})
    with emulator() as (url, app):
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        code, _, err = render([str(story), "--yes", "--budget", "4"], capsys)
        assert code == 1 and "over budget: CNY 16.51 > 4.00" in err
        assert app.state.emulator.tasks.billable() == []


def test_render_summary_and_lock_price_the_body_the_service_bills(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    story = project(tmp_path / "p", STORY_26, {"body-legacy.json.j2": legacy_template('"1920*1080"', "15")})
    code, out, _ = run(capsys, "plan", "--json", str(story))
    planned = json.loads(out)["totals"][0]["amount"]
    with emulator() as (url, app):
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        code = main(["render", str(story), "--yes", "--budget", "17"])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert "to submit: 1 request, 15s, CNY 16.51" in captured.out
        assert "billed: 15s, CNY 16.51" in captured.out
        [task] = app.state.emulator.tasks.billable()
    assert (task.spec.duration, task.spec.resolution) == (15, "1080P")
    paid = task.spec.profile.data["pricing"]["singapore"]["tiers"][task.spec.resolution] * task.spec.duration
    assert planned == pytest.approx(paid)
    lock = json.loads(story.with_suffix(".lock").read_text(encoding="utf-8"))
    assert lock["clips"]["a"]["cost"] == pytest.approx(paid) and lock["clips"]["a"]["seconds_billed"] == 15


@pytest.mark.parametrize(("story", "templates", "tier", "seconds"), [
    (STORY_27, {"body-new.json.j2": new_template('"1080P"', "15")}, "1080P", 15),
    (STORY_27, {"body-new.json.j2": new_template(duration="2")}, "720P", 2),
    # a body without `duration` is billed at the model's default, whatever the clip says
    (STORY_26.replace("5s", "10s"), {"body-legacy.json.j2": legacy_template(duration="null").replace(
        ',\n    "duration": null', "")}, "720P", 5),
    (STORY_26, {"body-legacy.json.j2": legacy_template('"1248*1632"')}, "1080P", 5),
], ids=["wan27-resolution-and-duration", "wan27-shorter", "legacy-duration-dropped", "legacy-size"])
def test_what_a_template_changes_is_priced_as_sent(
    story: str, templates: dict[str, str], tier: str, seconds: int, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = project(tmp_path / "p", story, templates)
    body = compiled_body(capsys, path)
    code, out, err = run(capsys, "plan", "--json", str(path))
    assert code == 0, err
    [row] = json.loads(out)["storyboards"][0]["clips"]
    assert (row["tier"], row["price"]["seconds"]) == (tier, seconds)
    assert row["price"]["amount"] == pytest.approx(billed(body, "singapore"))


# -- refused: another model, local files that are not the project's -----------------------------------

def test_a_template_that_changes_the_model_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cheaper = '"wanx2.1-t2v-turbo"'  # another price row, other limits: never priced as the storyboard's
    story = project(tmp_path / "p", STORY_26, {"body-legacy.json.j2": legacy_template(model=cheaper)})
    for command in (["plan", "--budget", "100"], ["compile", "--json"], ["render", "--offline", "--yes"]):
        code, out, err = run(capsys, *command, str(story))
        assert code == 1, command
        assert "SB501" in err and "the body names model `wanx2.1-t2v-turbo`" in err and "`wan2.6-t2v`" in err
        assert "a.story:3:6" in err and "Traceback" not in err
    assert not (tmp_path / "p" / "renders").exists() or not any((tmp_path / "p" / "renders").rglob("*.mp4"))


@pytest.mark.parametrize(("story", "template", "says"), [
    (STORY_26, legacy_template(duration="15.0"), "`parameters.duration` is 15.0: write a whole number without a fraction"),
    (STORY_26, legacy_template(duration="16"), "parameters.duration: 16 is greater than the maximum of 15"),
    (STORY_26.replace("wan2.6-t2v", "wan2.5-t2v-preview"), legacy_template(duration="7"),
     "parameters.duration: 7 is not accepted by wan2.5-t2v-preview"),
    (STORY_26, legacy_template('"1920*1088"'), "parameters.size: 1920*1088 is not offered by wan2.6-t2v"),
], ids=["float-duration", "duration-over-the-schema", "duration-the-model-does-not-take", "unknown-size"])
def test_a_body_the_model_does_not_take_is_refused(story: str, template: str, says: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = project(tmp_path / "p", story, {"body-legacy.json.j2": template})
    code, out, err = run(capsys, "plan", "--budget", "100", str(path))
    assert code == 1 and "SB501" in err and says in err and out == ""


def _outside_file(tmp_path: Path) -> str:
    outside = tmp_path / "outside"
    outside.mkdir()
    tone(outside / "x.wav", 4)
    return "file://../outside/x.wav"


def _fifo(tmp_path: Path) -> str:
    os.mkfifo(tmp_path / "p" / "pipe.wav")
    return "file://pipe.wav"


def _huge(tmp_path: Path) -> str:
    with open(tmp_path / "p" / "huge.wav", "wb") as handle:  # sparse: no disk is spent
        handle.truncate(65 * 1024 * 1024)
    return "file://huge.wav"


def _symlink_out(tmp_path: Path) -> str:
    secret = tmp_path / "secret.wav"
    tone(secret, 4)
    (tmp_path / "p" / "link.wav").symlink_to(secret)
    return "file://link.wav"


@pytest.mark.parametrize(("make", "says"), [
    (_outside_file, "leads outside the project"),
    (lambda _: "file:///dev/zero", "leads outside the project, to `/dev/zero`"),
    (lambda _: "file:///etc/passwd", "leads outside the project"),
    (lambda _: "file://%2E%2E/outside/x.wav", "leads outside the project"),
    (_fifo, "is a FIFO, not a regular file"),
    (_symlink_out, "leads outside the project"),
    (lambda _: "file://missing.wav", "cannot be read: no such file or directory"),
    (_huge, "is larger than 64 MB, the most storyc sends"),  # the gate's cap, at compile time too
], ids=["dot-dot", "dev-zero", "absolute", "escaped-dot-dot", "fifo", "symlink", "missing", "huge"])
def test_a_template_audio_file_outside_the_project_is_refused_at_compile_time(
    make: Any, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = project(tmp_path / "p", STORY_26, {})
    url = make(tmp_path)
    (tmp_path / "p" / "templates" / "body-legacy.json.j2").write_text(with_audio(LEGACY, url), encoding="utf-8")
    started = time.monotonic()
    for command in (["compile", "--json"], ["compile", "--curl"], ["plan"], ["render", "--offline", "--yes"]):
        code, out, err = run(capsys, *command, str(story))
        assert code == 1, (command, err)
        assert f"the request body is refused: `{url}` {says}" in err and "SB501" in err
        assert "upload" not in out and "Traceback" not in err
    assert time.monotonic() - started < 30  # a FIFO or /dev/zero is never opened, so nothing blocks
    assert not (tmp_path / "p" / ".story").exists()  # render stopped before its journal


def test_a_template_audio_file_inside_the_project_is_sent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = project(tmp_path / "p", STORY_26, {})
    (tmp_path / "p" / "audio").mkdir()
    tone(tmp_path / "p" / "audio" / "theme.wav", 4)
    (tmp_path / "p" / "templates" / "body-legacy.json.j2").write_text(
        with_audio(LEGACY, "file://audio/theme.wav"), encoding="utf-8")
    assert compiled_body(capsys, story)["input"]["audio_url"] == "file://audio/theme.wav"


# -- property: any priced field a template writes is priced as the service bills it -------------------

@st.composite
def hostile_legacy(draw: st.DrawFn) -> tuple[str, str, str]:
    """(model, template, region): a legacy text-to-video model and a template writing any size and
    duration it accepts."""
    model = draw(st.sampled_from(sorted(m for m, p in PROFILES.items() if p.protocol == "legacy" and p.media is None)))
    profile = PROFILES[model]
    region = draw(st.sampled_from(profile.regions))
    size = draw(st.sampled_from(sorted(profile.sizes())))
    rule = profile.duration
    choices = [rule["fixed"]] if "fixed" in rule else rule.get("values") or list(range(rule["min"], rule["max"] + 1))
    duration = draw(st.sampled_from([None, *choices]))
    template = legacy_template(json.dumps(size), None if duration is None else str(duration))
    if duration is None or "fixed" in rule:  # leave the duration out: the model's default is billed
        template = template.replace('\n    {%- if request.duration is not none %},\n    "duration": '
                                    '{{ request.duration | json }}{% endif %}', "")
        template = template.replace(f',\n    "duration": {duration}{{% endif %}}', "{% endif %}")
    return model, template, region


@settings(max_examples=25, deadline=None)
@given(case=hostile_legacy())
def test_plan_equals_what_the_service_bills_for_any_template(case: tuple[str, str, str], tmp_path_factory: Any) -> None:
    model, template, region = case
    root = tmp_path_factory.mktemp("hostile")
    story = project(root, f"model {PROFILES[model].id_in(region)}\nregion {region}\nclip a 5s\n  A lantern\n",
                    {"body-legacy.json.j2": template})
    from storyc.compile.diagnose import diagnosed_plan
    from storyc.compile.emit import compile_plan
    from storyc.compile.estimate import plan_rows
    from storyc.language.load import load

    found, planned = diagnosed_plan(load(str(story)), catalog(), None)
    assert planned is not None, found
    [clip] = compile_plan(planned).clips
    table = plan_rows(planned)
    assert table.total.amount == pytest.approx(billed(clip.body, region), abs=1e-6)
