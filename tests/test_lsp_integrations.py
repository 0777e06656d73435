"""The CI and repository integrations next to the language server: `story check --format github`,
the pre-commit hooks, and the GitHub Actions snippet in docs/editors.md."""

from __future__ import annotations

import contextlib
import glob
import io
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from storyc.cli import main

ROOT = Path(__file__).parent.parent

BROKEN = """\
model wan2.7-t2v
cast fox: a fox, red: 100% sure
cast owl: an owl

clip a 5s
  @foxx runs, fast: 50%
  @owl watches
"""


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def unescape(text: str) -> str:
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}[m.group(1)], text)


def parse_annotation(line: str) -> dict[str, Any]:
    match = re.fullmatch(r"::(error|warning|notice) ([^:]*)::(.*)", line)
    assert match, line
    properties = dict(part.split("=", 1) for part in match.group(2).split(","))
    return {"severity": match.group(1), **{key: unescape(value) for key, value in properties.items()},
            "message": unescape(match.group(3))}


def test_github_format_carries_what_json_does(tmp_path: Path) -> None:
    path = tmp_path / "broken: a, b.story"  # a path with the characters annotations must escape
    path.write_text(BROKEN, "utf-8")
    code, out = cli("check", "--format", "github", str(path))
    assert code == 1
    annotations = [parse_annotation(line) for line in out.splitlines() if line.startswith("::")]
    _, records = cli("check", "--format", "json", str(path))
    expected = json.loads(records)
    assert len(annotations) == len(expected) >= 2
    for annotation, record in zip(annotations, expected, strict=True):
        assert annotation["file"] == record["file"] == str(path)
        assert annotation["severity"] == record["severity"]
        assert (int(annotation["line"]), int(annotation["col"]), int(annotation["endLine"]), int(annotation["endColumn"])) \
            == (record["line"], record["column"], record["end_line"], record["end_column"])
        assert annotation["title"].startswith(record["code"] + " ")
        assert annotation["message"].split("\nhelp: ")[0] == record["message"]
        if record["help"]:
            assert annotation["message"].endswith("\nhelp: " + record["help"])
    assert "checked" in out.splitlines()[-1]


def hooks() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    return found


@pytest.mark.parametrize("hook", hooks(), ids=lambda hook: hook["id"])
def test_pre_commit_hooks_pass_good_files_and_fail_bad_ones(hook: dict[str, Any], tmp_path: Path) -> None:
    assert {"id", "name", "entry", "language", "files"} <= set(hook)
    assert hook["language"] == "python"  # pre-commit installs this repository's package
    assert re.search(hook["files"], "storyboards/fox.story") and not re.search(hook["files"], "notes.md")
    command, *arguments = shlex.split(hook["entry"])
    assert command == "story"
    good = tmp_path / "good.story"
    good.write_text((ROOT / "storyboards" / "fox-detective.story").read_text("utf-8"), "utf-8")
    bad = tmp_path / "bad.story"
    bad.write_text(BROKEN.replace("clip a 5s", "clip   a   5s"), "utf-8")
    assert cli(*arguments, str(good))[0] == 0
    assert cli(*arguments, str(good), str(bad))[0] == 1


def test_the_documented_github_workflow_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "docs" / "editors.md").read_text("utf-8")
    block = re.search(r"```yaml\n(# \.github/workflows/.*?)```", text, re.S)
    assert block, "docs/editors.md has no workflow block"
    workflow = yaml.safe_load(block.group(1))
    steps = workflow["jobs"]["check"]["steps"]
    commands = [step["run"] for step in steps if "run" in step and step["run"].startswith("story ")]
    assert any("--format github" in command for command in commands)
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DASHSCOPE_REGION", "")
    for command in commands:
        words = shlex.split(command)[1:]
        expanded = [match for word in words for match in (sorted(glob.glob(word)) if "*" in word else [word])]
        code, out = cli(*expanded)
        assert code == 0, (command, out)
