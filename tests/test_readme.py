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


# The test modules that walk storyboards/ (each had picked up `storyboards/.story/`, the journal
# folder the README's first run leaves there).
WALKERS = ("test_meta.py", "test_body_schema.py", "test_emit.py", "test_prompt_bound.py", "test_curl.py",
           "test_render_e2e.py")


def test_the_tests_pass_after_the_first_run(tmp_path: Path) -> None:
    """Following the README literally leaves `.story/`, `renders/` and a lock file beside the
    examples; the tests that walk storyboards/ must not mind. On a copy of the repository: the first
    run, then those modules collected (no parameter names a file the first run left) and the
    storyboard tests of test_meta run."""
    copy = tmp_path / "repository"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "out", "renders", ".story", "*.lock", "__pycache__", ".*_cache", "editors"))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DASHSCOPE_")}
    for command in first_run():
        done = subprocess.run([sys.executable, "-m", "storyc", *command[1:]], cwd=copy, env=environment,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (copy / "storyboards" / ".story").is_dir() and (copy / "storyboards" / "cheetah-chase.lock").is_file()
    pytest_run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n0"]
    collected = subprocess.run([*pytest_run, "--collect-only", *(f"tests/{name}" for name in WALKERS)], cwd=copy,
                               env=environment, capture_output=True, text=True, timeout=300)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    ids = [line for line in collected.stdout.splitlines() if "::" in line]
    parameters = [match.group(1) for match in map(re.compile(r"\[(.*)\]$").search, ids) if match]
    assert parameters and not [name for name in parameters if re.search(r"(^|/)\.story$|\.lock$|renders/", name)]
    ran = subprocess.run([*pytest_run, "tests/test_meta.py", "-k", "storyboard"], cwd=copy, env=environment,
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]


def test_ci_does_the_first_run_before_the_tests() -> None:
    """`.ci/run` types the README's first run, with no key, before it runs the tests."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    tests_at = next(index for index, line in enumerate(script) if "python -m pytest" in line)
    for command in first_run():
        typed = [index for index, line in enumerate(script)
                 if "env -u DASHSCOPE_API_KEY " + " ".join(command) in line.split("#", 1)[0]]
        assert typed and typed[0] < tests_at, " ".join(command)


def test_what_the_first_run_leaves_is_ignored_by_git() -> None:
    left = ["storyboards/.story/journal.sqlite", "storyboards/renders/cheetah-chase/chase.mp4",
            "storyboards/cheetah-chase.lock", "storyboards/lantern-thief/.story/journal.sqlite"]
    done = subprocess.run(["git", "check-ignore", "--no-index", *left], cwd=ROOT, capture_output=True, text=True,
                          timeout=30)
    assert done.stdout.split() == left, done.stderr
