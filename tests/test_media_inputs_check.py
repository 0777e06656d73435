"""Media inputs are checked before any spend: what the case files in tests/cases/media cannot show."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from storyc.base.codes import CODES
from storyc.cli import main
from storyc.compile.diagnose import diagnose
from storyc.language.load import load

REFS = Path(__file__).parent / "cases" / "media" / "refs"


def codes_at(path: Path) -> list[tuple[str, int]]:
    program = load(str(path))
    return sorted((d.code, program.sources[d.path].position(d.span.start).line) for d in diagnose(program))


def project(tmp_path: Path, text: str, *refs: str) -> Path:
    (tmp_path / "refs").mkdir(exist_ok=True)
    for name in refs:
        shutil.copy(REFS / name, tmp_path / "refs" / name)
    story = tmp_path / "s.story"
    story.write_text(text, "utf-8")
    return story


def test_a_picture_over_the_size_limit(tmp_path: Path) -> None:
    story = project(tmp_path, "model wan2.7-i2v\nclip a 5s\n  first-frame: refs/big.png\n  rain\n")
    # a real PNG header followed by 21 MB: the limit is 20 MB (§3.3), checked before the header is read
    with open(tmp_path / "refs" / "big.png", "wb") as handle:
        handle.write((REFS / "mei.png").read_bytes())
        handle.truncate(21 * 1024 * 1024)
    assert codes_at(story) == [("SB610", 3)]
    (tmp_path / "refs" / "big.png").write_bytes((REFS / "mei.png").read_bytes())
    assert codes_at(story) == []


def test_a_file_used_by_many_clips_is_reported_once(tmp_path: Path) -> None:
    clips = "".join(f"clip c{i} 5s\n  @mei waves\n" for i in range(4))
    story = project(tmp_path, "model wan2.7-r2v\nresolution 720P\ncast mei: a girl\n  image: refs/tiny.png\n" + clips,
                    "tiny.png")
    assert codes_at(story) == [("SB611", 4)]


def test_hostile_paths_are_diagnostics_not_tracebacks(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(REFS / "mei.png", outside / "mei.png")
    root = tmp_path / "project"
    (root / "refs" / "folder.png").mkdir(parents=True)
    (root / "story.toml").write_text("", "utf-8")
    os.symlink(outside / "mei.png", root / "refs" / "link.png")
    story = root / "s.story"
    story.write_text("model wan2.7-i2v\n"
                     "clip a 5s\n  first-frame: refs/folder.png\n  rain\n"
                     "clip b 5s\n  first-frame: refs/link.png\n  rain\n"
                     "clip c 5s\n  first-frame: refs/%00.png\n  rain\n", "utf-8")
    assert codes_at(story) == [("SB607", 3), ("SB607", 9), ("SB608", 6)]
    program = load(str(story))
    [leak] = [d for d in diagnose(program) if d.code == "SB608"]
    assert "leads outside the project" in leak.message


def test_every_media_code_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    media_codes = [code for code in CODES if "SB600" <= code <= "SB649"]  # SB65x: continue and takes
    assert len(media_codes) == 21
    for code in media_codes:
        assert main(["explain", code]) == 0
        out = capsys.readouterr().out
        assert CODES[code].explanation.split(".")[0][:40] in " ".join(out.split())


def test_story_check_reports_media_with_position_and_exit_code(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    story = project(tmp_path, "model wan3.0-video\nregion beijing\ncast mei: a girl\n  image: refs/mei.png\n"
                    "clip a 5s\n  first-frame: refs/mei.png\n  @mei waves\n", "mei.png")
    assert main(["check", str(story)]) == 1
    err = capsys.readouterr()
    shown = err.out + err.err
    assert "SB605" in shown and "s.story:7:3" in shown


def test_check_without_media_loads_neither_pillow_nor_pyav(tmp_path: Path) -> None:
    story = tmp_path / "plain.story"
    story.write_text("cast mei: a girl\nclip a 5s\n  @mei waves\n", "utf-8")
    probe = ("import sys; from storyc.cli import main; code = main(['check', sys.argv[1]]); "
             "print(code, sorted(m for m in ('PIL', 'av') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", probe, str(story)], capture_output=True, text=True, check=True,
                         env={**os.environ})
    assert run.stdout.strip().splitlines()[-1] == "0 []"
