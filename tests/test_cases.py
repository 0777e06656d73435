"""Every diagnostic code has a case file that triggers it, at the line and column it states.

A case file `tests/cases/**/SB*.story` lists what it expects in `#! CODE LINE:COL` comments (or
`#! CODE FILE:LINE:COL` for a diagnostic in an included file); the set of diagnostics must match.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from storyc.check import check
from storyc.codes import CODES
from storyc.load import load

CASES = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES.rglob("SB*.story"))
EXPECTATION = re.compile(rb"^#! (SB\d{3}) (?:([\w.-]+):)?(\d+):(\d+)\s*$", re.MULTILINE)


def expectations(path: Path) -> set[tuple[str, str, int, int]]:
    found = set()
    for code, file, line, column in EXPECTATION.findall(path.read_bytes()):
        found.add((code.decode(), (file or path.name.encode()).decode(), int(line), int(column)))
    return found


def actual(path: Path) -> set[tuple[str, str, int, int]]:
    program = load(str(path))
    found = set()
    for diagnostic in check(program):
        position = program.sources[diagnostic.path].position(diagnostic.span.start)
        found.add((diagnostic.code, os.path.basename(diagnostic.path), position.line, position.column))
    return found


@pytest.mark.parametrize("path", CASE_FILES, ids=[str(p.relative_to(CASES)) for p in CASE_FILES])
def test_case_file(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} states no expectations"
    assert actual(path) == expected


def test_every_code_has_a_case_file() -> None:
    covered = {code for path in CASE_FILES for code, *_ in expectations(path)}
    assert covered | {"SB104"} == set(CODES)  # SB104 (unreadable file) is shown in test_load.py


def test_every_case_file_is_named_after_a_code_it_expects() -> None:
    for path in CASE_FILES:
        assert path.name[:5] in {code for code, *_ in expectations(path)}, path.name
