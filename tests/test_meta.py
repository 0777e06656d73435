"""The project keeps itself honest: generated files are current, storyboards are clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storyc.check.rules import check
from storyc.cli import main
from storyc.cli.common import storyboard_files
from storyc.language.fmt import format_text
from storyc.language.load import load

ROOT = Path(__file__).resolve().parent.parent
# As `story check storyboards/` finds them: not `.story/`, the journal folder a render leaves there.
STORYBOARDS = [Path(path) for path in storyboard_files([str(ROOT / "storyboards")])]


def test_parser_tables_match_the_grammar() -> None:
    pytest.importorskip("lark")
    result = subprocess.run(
        [sys.executable, str(ROOT / "grammar" / "build_tables.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_packaged_grammar_is_the_grammar() -> None:
    packaged = ROOT / "compiler" / "storyc" / "language" / "story.lark"
    assert packaged.read_bytes() == (ROOT / "grammar" / "story.lark").read_bytes()


def test_diagnostics_doc_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    main(["explain", "--all", "--markdown"])
    expected = capsys.readouterr().out
    assert (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8") == expected, (
        "docs/diagnostics.md is stale: story explain --all --markdown > docs/diagnostics.md"
    )


@pytest.mark.parametrize("path", STORYBOARDS, ids=[str(p.relative_to(ROOT)) for p in STORYBOARDS])
def test_storyboard_is_clean_and_formatted(path: Path) -> None:
    program = load(str(path))
    diagnostics = check(program)
    assert not diagnostics, diagnostics
    assert format_text(program.entry) == path.read_text(encoding="utf-8")


def test_there_are_storyboards() -> None:
    assert len(STORYBOARDS) >= 6
