"""The README's sample and the output it shows are what `story check` really prints."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from storyc.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_check_output_is_exact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = re.findall(r"```\n(.*?)```", README, re.DOTALL)
    sample, shown = blocks[0], blocks[1]
    (tmp_path / "chase.story").write_text(sample, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "chase.story"]) == 1
    assert capsys.readouterr().out == shown
    assert os.path.exists("chase.story")
