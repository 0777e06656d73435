"""One output layout, said one way: `out/<path without .story>/` (`compile/outputs.py`) in every
`--help`, in the docs, and in the `--curl` script, which writes its videos where `story compile`
writes the bodies, so `ep1/main.story` and `ep2/main.story` never share a folder there either."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_curl import KEY, run_script
from test_outputs import EPISODE

from storyc.cli import COMMANDS, main
from storyc.emulator.app import create_app
from storyc.emulator.testing import FAST, serve

ROOT = Path(__file__).resolve().parents[1]
LAYOUT = "out/<path without .story>"
PLACEHOLDER = re.compile(r"out/<[^>]*>")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DASHSCOPE_REGION", "DASHSCOPE_BASE_URL", "DASHSCOPE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def help_of(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    try:
        code = main([command, "--help"])
    except SystemExit as done:
        code = done.code
    assert code == 0, command
    return capsys.readouterr().out


def test_every_help_names_the_one_output_layout(capsys: pytest.CaptureFixture[str]) -> None:
    named = {}
    for command in COMMANDS:
        text = " ".join(help_of(command, capsys).split())  # argparse wraps lines anywhere
        found = PLACEHOLDER.findall(text)
        assert all(place == LAYOUT for place in found), (command, found)
        if found:
            named[command] = text
    assert {"compile", "preview", "animatic", "cut", "export"} <= set(named)
    assert "DIR/<path without .story>" in named["compile"]


def test_the_docs_name_the_one_output_layout() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        found = PLACEHOLDER.findall(page.read_text(encoding="utf-8"))
        assert all(place == LAYOUT for place in found), (page.name, found)


def test_the_curl_script_downloads_where_compile_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    stories = []
    for number in (1, 2):
        story = Path(f"ep{number}") / "main.story"
        story.parent.mkdir()
        story.write_text(EPISODE.format(number=number), encoding="utf-8")
        assert main(["compile", str(story)]) == 0
        stories.append(str(story))
    assert main(["compile", "--curl", *stories]) == 0
    script = tmp_path / "render.sh"
    script.write_text(capsys.readouterr().out, encoding="utf-8")
    assert "Videos go to ${STORYC_OUT:-out}/<path without .story>/<clip>.mp4." in script.read_text(encoding="utf-8")
    app = create_app(FAST)
    with serve(FAST, app=app) as base_url:
        result = run_script(script, base_url)
        created = len(app.state.emulator.tasks.tasks)
    assert result.returncode == 0, result.stderr
    assert created == 2  # one clip each: neither episode's video was taken for the other's
    for number in (1, 2):
        folder = tmp_path / "out" / f"ep{number}" / "main"
        assert sorted(path.name for path in folder.iterdir()) == [
            "opening.json", "opening.mp4", "opening.prompt.txt", "opening.task"]
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["ep1", "ep2"]
    assert KEY not in result.stdout + result.stderr
