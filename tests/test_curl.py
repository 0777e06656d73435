"""`story compile --curl`: the script runs end to end against the emulator on loopback.

The emulator is a real server on 127.0.0.1; the script is run by bash with curl and jq, exactly as a
user would run it, and the videos it downloads are probed with PyAV.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import av
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyc.cli import main
from storyc.emulator.app import create_app
from storyc.emulator.config import Faults
from storyc.emulator.testing import FAST, serve

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-curl-script-secret-0123456789"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DASHSCOPE_REGION", "DASHSCOPE_BASE_URL", "DASHSCOPE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def generate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """Copy the lantern-thief project (it has a local soundtrack) and write its script beside it."""
    shutil.copytree(ROOT / "storyboards" / "lantern-thief", tmp_path / "lantern-thief")
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "--curl", "lantern-thief/main.story"]) == 0
    script = tmp_path / "render.sh"
    script.write_text(capsys.readouterr().out, encoding="utf-8")
    return script


def run_script(script: Path, base_url: str, key: str = KEY) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(script.parent), "DASHSCOPE_API_KEY": key,
           "DASHSCOPE_BASE_URL": base_url, "STORYC_POLL_SECONDS": "0.2", "STORYC_RETRY_SECONDS": "0.2"}
    return subprocess.run(["bash", str(script)], cwd=script.parent, env=env, capture_output=True, text=True,
                          timeout=180, check=False)


def probe(path: Path) -> tuple[float, int, int, bool]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert container.duration is not None
        return container.duration / av.time_base, video.width, video.height, bool(container.streams.audio)


def shellcheck(script: Path) -> None:
    result = subprocess.run(["shellcheck", "--shell=bash", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_shellcheck_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    script = generate(tmp_path, monkeypatch, capsys)
    shellcheck(script)
    text = script.read_text(encoding="utf-8")
    assert "set -eu" in text and KEY not in text and "$DASHSCOPE_API_KEY" in text
    assert "https://dashscope-intl.aliyuncs.com" in text  # the resolved region (singapore) is the default host


def test_shellcheck_passes_on_every_storyboard_and_a_workspace_only_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DASHSCOPE_REGION", "beijing")  # not the default region; every storyboard model is offered there
    stories = sorted(path for path in (ROOT / "storyboards").glob("*.story") if path.is_file())  # not `.story/`
    assert main(["compile", "--curl", *map(str, stories)]) == 0
    script = tmp_path / "all.sh"
    script.write_text(capsys.readouterr().out, encoding="utf-8")
    assert "upload()" not in script.read_text(encoding="utf-8")  # no local soundtrack, no upload code
    shellcheck(script)
    frankfurt = tmp_path / "f.story"
    frankfurt.write_text("model wan2.6-t2v\nregion frankfurt\nsize 1280*720\nclip a 5s\n  One\n", encoding="utf-8")
    assert main(["compile", "--curl", str(frankfurt)]) == 0
    script.write_text(capsys.readouterr().out, encoding="utf-8")
    shellcheck(script)
    result = run_script(script, "")
    assert result.returncode == 1 and "frankfurt has only workspace endpoints" in result.stderr


def test_script_creates_polls_uploads_and_downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    script = generate(tmp_path, monkeypatch, capsys)
    app = create_app(FAST)
    with serve(FAST, app=app) as base_url:
        result = run_script(script, base_url + "/api/v1/")  # a trailing /api/v1 is accepted
        assert result.returncode == 0, result.stderr
        tasks = dict(app.state.emulator.tasks.tasks)
        again = run_script(script, base_url)
        assert again.returncode == 0, again.stderr
        assert len(app.state.emulator.tasks.tasks) == len(tasks) == 3  # the rerun paid for nothing
    assert "already there" in again.stdout
    folder = tmp_path / "out" / "lantern-thief" / "main"
    expected = {"opening": 10, "chase-1": 13, "chase-2": 11}
    assert sorted(p.name for p in folder.glob("*.mp4")) == sorted(f"{name}.mp4" for name in expected)
    for name, seconds in expected.items():
        duration, width, height, has_audio = probe(folder / f"{name}.mp4")
        assert abs(duration - seconds) < 0.5, (name, duration)
        assert (width, height) == (1280, 720)
        if name == "opening":
            assert has_audio  # the soundtrack went up through temporary storage and came back muxed in
    [opening] = [task for task in tasks.values() if task.audio_path]
    assert opening.spec.audio_url.startswith("oss://dashscope-instant/")
    for output in (result.stdout, result.stderr, again.stdout, again.stderr):
        assert KEY not in output
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix != ".mp4":
            assert KEY not in path.read_text(encoding="utf-8", errors="replace"), path


def test_script_stops_at_the_first_failure_with_the_service_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = generate(tmp_path, monkeypatch, capsys)
    failing = FAST._replace(faults=Faults(fail_task=1.0, seed=1))
    with serve(failing) as base_url:
        result = run_script(script, base_url)
    assert result.returncode == 1
    assert "error: opening: task" in result.stderr and "FAILED" in result.stderr
    assert not list((tmp_path / "out" / "lantern-thief" / "main").glob("*.mp4"))
    assert KEY not in result.stdout + result.stderr


def test_a_refused_key_stops_before_anything_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = generate(tmp_path, monkeypatch, capsys)
    app = create_app(FAST)
    with serve(FAST, app=app) as base_url:
        result = run_script(script, base_url, key="not-a-key")
        assert not app.state.emulator.tasks.tasks
    assert result.returncode == 1
    assert "HTTP 401" in result.stderr and "InvalidApiKey" in result.stderr
    assert "not-a-key" not in result.stdout + result.stderr


def test_a_missing_key_or_bad_base_url_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = generate(tmp_path, monkeypatch, capsys)
    result = run_script(script, "http://127.0.0.1:9", key="")
    assert result.returncode == 1 and "set DASHSCOPE_API_KEY" in result.stderr
    for wrong in ("ftp://example", "https://example.com/v2", "https://", "http://127.0.0.1:9?x=1"):
        result = run_script(script, wrong)
        assert result.returncode == 1 and "DASHSCOPE_BASE_URL must be a scheme and host" in result.stderr, wrong


def test_curl_refuses_storyboards_in_several_regions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.story").write_text("region beijing\nresolution 720P\nclip a 5s\n  One\n", encoding="utf-8")
    (tmp_path / "b.story").write_text("resolution 720P\nclip b 5s\n  Two\n", encoding="utf-8")
    assert main(["compile", "--curl", "a.story", "b.story"]) == 2
    assert "several" in capsys.readouterr().err
    assert main(["compile", "--curl", "--region", "beijing", "a.story", "b.story"]) == 0
    assert "https://dashscope.aliyuncs.com" in capsys.readouterr().out


@pytest.mark.parametrize(("region", "sent"), [("singapore", "wan2.1-t2v-turbo"), ("beijing", "wanx2.1-t2v-turbo")],
                         ids=["singapore", "beijing"])
def test_the_model_id_sent_is_the_one_the_region_serves(
    region: str, sent: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same storyboard compiled for each region runs against an emulator serving that region, and
    is refused ("Model not exist") by one serving the other."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.story").write_text("model wanx2.1-t2v-turbo\nsize 832*480\nclip a\n  A fox in the snow\n",
                                      encoding="utf-8")
    assert main(["compile", "--curl", "--region", region, "t.story"]) == 0
    script = tmp_path / "t.sh"
    script.write_text(capsys.readouterr().out, encoding="utf-8")
    assert f'"model":"{sent}"' in script.read_text(encoding="utf-8")
    other = "beijing" if region == "singapore" else "singapore"
    with serve(FAST._replace(region=other)) as base_url:
        refused = run_script(script, base_url)
    assert refused.returncode == 1 and "HTTP 400" in refused.stderr and "Model not exist" in refused.stderr
    with serve(FAST._replace(region=region)) as base_url:
        result = run_script(script, base_url)
    assert result.returncode == 0, result.stderr
    duration, width, height, _ = probe(tmp_path / "out" / "t" / "a.mp4")
    assert abs(duration - 5) < 0.5 and (width, height) == (832, 480)


# -- data only as data (issue 19) ---------------------------------------------------------------------
TONE = ROOT / "storyboards" / "lantern-thief" / "audio" / "market-theme.wav"
HOSTILE_STORY = "x\ntouch MARKER #.story"
HOSTILE_SOUNDTRACK = "-dash $(touch PWNED) `touch TICKED`.wav"


def hostile_project(folder: Path, story_name: str, soundtrack: str) -> Path:
    """A project (story.toml) whose storyboard file and soundtrack carry shell syntax in their names."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "story.toml").write_text("", encoding="utf-8")
    shutil.copyfile(TONE, folder / soundtrack)
    story = folder / story_name
    story.write_text(f"model wan2.7-t2v\nresolution 720P\nratio 16:9\nlanguage en\nclip a 10s\n"
                     f"  soundtrack: {soundtrack}\n  A lantern swings in the night market.\n", encoding="utf-8")
    return story


def test_file_names_reach_the_script_as_data_and_a_dash_name_uploads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    story = hostile_project(tmp_path, HOSTILE_STORY, HOSTILE_SOUNDTRACK)
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "--curl", story.name]) == 0
    script = tmp_path / "render.sh"
    script.write_text(capsys.readouterr().out, encoding="utf-8")
    text = script.read_text(encoding="utf-8")
    assert "\ntouch MARKER" not in text and "# ---- x\\ntouch MARKER #.story" in text
    shellcheck(script)
    app = create_app(FAST)
    with serve(FAST, app=app) as base_url:
        result = run_script(script, base_url)
        tasks = list(app.state.emulator.tasks.tasks.values())
    assert result.returncode == 0, result.stderr
    for planted in ("MARKER", "PWNED", "TICKED"):
        assert not list(tmp_path.rglob(planted)), planted
    [task] = tasks
    assert task.audio_path and task.spec.audio_url.startswith("oss://")  # `-dash…` went up as a file name
    [video] = (tmp_path / "out").rglob("a.mp4")
    assert probe(video)[3]  # the soundtrack came back muxed in


LETTERS = "ab -_.$()`'\"\\;!*?#&|<>{}[]~=%^\n\t\r\x7f\u00e9\u2028雪"


@settings(max_examples=int(os.environ.get("STORYC_CURL_EXAMPLES", "25")), deadline=None)
@given(story=st.text(LETTERS, min_size=1, max_size=12), soundtrack=st.text(LETTERS, min_size=1, max_size=12))
def test_shellcheck_passes_on_hostile_names(story: str, soundtrack: str) -> None:
    """Every storyboard that checks clean gets a script shellcheck passes at its default severity; the
    others end in a message, never a traceback."""
    import contextlib
    import io
    import tempfile

    story_name = story.replace("/", "_") + ".story"
    sound_name = soundtrack.replace("/", "_").strip() + ".wav"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        try:
            hostile_project(root, story_name, sound_name)
        except OSError:
            return  # a name the file system refuses
        out, err = io.StringIO(), io.StringIO()
        previous = os.getcwd()
        os.chdir(root)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["compile", "--curl", "--", story_name])
        finally:
            os.chdir(previous)
        assert "internal error" not in err.getvalue() and "Traceback" not in err.getvalue()
        if code != 0:
            assert code in (1, 2) and err.getvalue().strip()
            return
        script = root / "render.sh"
        script.write_text(out.getvalue(), encoding="utf-8")
        result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout
        for line in out.getvalue().split("\n"):
            assert not line.startswith("touch"), line


def test_a_template_cannot_make_the_script_upload_a_file_outside_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copyfile(TONE, outside / "secret.wav")
    project = tmp_path / "project"
    story = hostile_project(project, "film.story", "theme.wav")
    (project / "templates").mkdir()
    template = (ROOT / "compiler" / "storyc" / "compile" / "templates" / "body-new.json.j2").read_text(encoding="utf-8")
    hostile = template.replace("{{ request.audio_url | json }}", '"file://../outside/secret.wav"')
    assert hostile != template
    (project / "templates" / "body-new.json.j2").write_text(hostile, encoding="utf-8")
    monkeypatch.chdir(project)
    # Refused when compiling (SB501), before the script is written: nothing reaches it.
    assert main(["compile", "--curl", story.name]) == 1
    captured = capsys.readouterr()
    assert "upload" not in captured.out and "secret" not in captured.out
    assert "error[SB501]" in captured.err and "`file://../outside/secret.wav` leads outside the project" in captured.err
    # through a symlink inside the project, too
    (project / "templates" / "body-new.json.j2").write_text(
        template.replace("{{ request.audio_url | json }}", '"file://linked.wav"'), encoding="utf-8")
    (project / "linked.wav").symlink_to(outside / "secret.wav")
    assert main(["compile", "--curl", story.name]) == 1
    captured = capsys.readouterr()
    assert "upload" not in captured.out
    assert "error[SB501]" in captured.err and "`file://linked.wav` leads outside the project" in captured.err
