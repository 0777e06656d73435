"""Diagnostics about files on disk that case files cannot carry: unreadable and oversized ones."""

from __future__ import annotations

from pathlib import Path

from storyc.check import check
from storyc.load import load


def test_unreadable_entry_file(tmp_path: Path) -> None:
    program = load(str(tmp_path / "missing.story"))
    [diagnostic] = check(program)
    assert diagnostic.code == "SB104"
    assert "cannot read" in diagnostic.message


def test_soundtrack_over_15_megabytes(tmp_path: Path) -> None:
    with open(tmp_path / "huge.wav", "wb") as handle:
        handle.truncate(16 * 1024 * 1024)
    story = tmp_path / "a.story"
    story.write_text("model wan2.7-t2v\nclip a 5s\n  soundtrack: huge.wav\n  One\n", encoding="utf-8")
    program = load(str(story))
    codes = {(d.code, program.sources[d.path].position(d.span.start)) for d in check(program)}
    assert ("SB405", (3, 15)) in codes
