"""The README says what storyc really does: its sample's output, and its first run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import av
import pytest

from storyc.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_check_output_is_exact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = re.findall(r"```\n(.*?)```", README, re.DOTALL)
    sample, shown = blocks[0], blocks[1]
    (tmp_path / "chase.story").write_text(sample, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "chase.story"]) == 1
    assert capsys.readouterr().out == shown


def first_run() -> list[list[str]]:
    """The `story …` commands of the README's first-run block, without their comments."""
    section = README.split("## First run", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    commands = [line.split("#", 1)[0].split() for line in block.group(1).splitlines()]
    return [command for command in commands if command and command[0] == "story"]


def test_the_first_run_renders_a_video_offline(tmp_path: Path) -> None:
    """On a copy of the repository's storyboards, with no key: check passes, render makes the MP4 it names."""
    shutil.copytree(ROOT / "storyboards", tmp_path / "storyboards")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DASHSCOPE_")}
    commands = first_run()
    assert [command[:2] for command in commands] == [["story", "check"], ["story", "render"]]
    for command in commands:
        extra = ["--yes"] if command[1] == "render" else []  # the test has no terminal to answer on
        done = subprocess.run([sys.executable, "-m", "storyc", *command[1:], *extra], cwd=tmp_path, env=environment,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "offline" in done.stderr
    video = tmp_path / "storyboards" / "renders" / "cheetah-chase" / "chase.mp4"
    assert f"`{video.relative_to(tmp_path).as_posix()}`" in README
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert container.duration is not None and abs(container.duration / 1e6 - 15) < 0.1
        assert (stream.width, stream.height) == (1280, 720)  # `resolution 720P`, `ratio 16:9`
    assert (tmp_path / "storyboards" / "cheetah-chase.lock").is_file()
