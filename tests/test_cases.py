"""Every diagnostic code has a case file that triggers it, at the line and column it states.

A case file `tests/cases/**/SB*.story` trips the code it is named after; `ok-*.story` sits just inside
a limit. Each lists what it expects in `#! CODE LINE:COL` comments (or `#! CODE FILE:LINE:COL` for a
diagnostic in an included file), and the set of diagnostics must match exactly; an `ok-` file may
expect warnings but never an error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from storyc.base.codes import CODES
from storyc.compile.diagnose import diagnose
from storyc.language.load import load

CASES = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES.rglob("SB*.story"))
INSIDE_FILES = sorted(CASES.rglob("ok-*.story"))
EXPECTATION = re.compile(rb"^#! (SB\d{3}) (?:([\w.-]+):)?(\d+):(\d+)\s*$", re.MULTILINE)


def expectations(path: Path) -> set[tuple[str, str, int, int]]:
    found = set()
    for code, file, line, column in EXPECTATION.findall(path.read_bytes()):
        found.add((code.decode(), (file or path.name.encode()).decode(), int(line), int(column)))
    return found


def actual(path: Path) -> set[tuple[str, str, int, int]]:
    program = load(str(path))
    found = set()
    for diagnostic in diagnose(program):
        position = program.sources[diagnostic.path].position(diagnostic.span.start)
        found.add((diagnostic.code, os.path.basename(diagnostic.path), position.line, position.column))
    return found


@pytest.mark.parametrize("path", CASE_FILES, ids=[str(p.relative_to(CASES)) for p in CASE_FILES])
def test_case_file(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} states no expectations"
    assert actual(path) == expected


@pytest.mark.parametrize("path", INSIDE_FILES, ids=[str(p.relative_to(CASES)) for p in INSIDE_FILES])
def test_inside_the_limit(path: Path) -> None:
    expected = expectations(path)
    assert actual(path) == expected
    assert all(CODES[code].severity == "warning" for code, *_ in expected)


def test_every_limit_case_has_a_passing_twin() -> None:
    tripped = {p.name[:5] for p in CASE_FILES if p.parent.name in ("limits", "audio")}
    inside = {p.name[3:8] for p in INSIDE_FILES}
    assert tripped - inside <= {"SB311", "SB312", "SB315", "SB401", "SB402", "SB404", "SB405", "SB406",
                                "SB408", "SB409", "SB410", "SB411", "SB412"}


def test_every_code_has_a_case_file() -> None:
    covered = {code for path in CASE_FILES for code, *_ in expectations(path)}
    # SB104 (unreadable file) and SB405 (a 15 MB soundtrack) are shown in test_files.py, SB610 (a 21 MB
    # picture) in test_media_inputs_check.py.
    assert covered | {"SB104", "SB405", "SB610"} == set(CODES)


def test_every_case_file_is_named_after_a_code_it_expects() -> None:
    for path in CASE_FILES:
        assert path.name[:5] in {code for code, *_ in expectations(path)}, path.name
