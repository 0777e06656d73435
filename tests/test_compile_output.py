"""`story compile -o DIR` writes only what changed, and never through a planted symlink."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storyc.base.paths import write_if_changed
from storyc.cli import main

STORY = """model wan2.7-t2v
cast fox: a red fox
clip a 5s
  shot 5s wide
    @fox runs
clip b 5s
  shot 5s wide
    @fox sleeps
"""


def test_compiling_again_leaves_unchanged_files_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "film.story").write_text(STORY, encoding="utf-8")
    assert main(["compile", "film.story", "-o", "out"]) == 0
    files = sorted((tmp_path / "out").iterdir())
    assert [f.name for f in files] == ["a.json", "a.prompt.txt", "b.json", "b.prompt.txt"]
    for file in files:
        os.utime(file, (1_000_000, 1_000_000))
    (tmp_path / "film.story").write_text(STORY.replace("@fox sleeps", "@fox yawns"), encoding="utf-8")
    assert main(["compile", "film.story", "-o", "out"]) == 0
    touched = {f.name for f in files if f.stat().st_mtime != 1_000_000}
    assert touched == {"b.json", "b.prompt.txt"}
    assert "yawns" in (tmp_path / "out" / "b.prompt.txt").read_text(encoding="utf-8")


def test_a_planted_symlink_is_replaced_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep", encoding="utf-8")
    target = tmp_path / "out.json"
    target.symlink_to(outside)
    assert write_if_changed(str(target), "keep")  # same text as the link's target: still replaced
    assert not target.is_symlink() and target.read_text(encoding="utf-8") == "keep"
    assert outside.read_text(encoding="utf-8") == "keep"
    dangling = tmp_path / "new.json"
    dangling.symlink_to(tmp_path / "elsewhere.json")
    assert write_if_changed(str(dangling), "fresh")
    assert not dangling.is_symlink() and not (tmp_path / "elsewhere.json").exists()


def test_new_files_respect_the_umask(tmp_path: Path) -> None:
    mask = os.umask(0o027)
    try:
        assert write_if_changed(str(tmp_path / "new.txt"), "x")
    finally:
        os.umask(mask)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o640
    assert not write_if_changed(str(tmp_path / "new.txt"), "x")
