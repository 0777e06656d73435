"""Diagnostics about files on disk that case files cannot carry: unreadable and oversized ones,
symlinks out of the project, and how storyc reads and writes files (`storyc.base.paths`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from storyc.check.rules import check
from storyc.language.load import load


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


# Inside the project: one notion, after symlinks are followed (storyc.base.paths).


def codes_at(program: object) -> set[str]:
    from storyc.compile.diagnose import diagnose

    return {d.code for d in diagnose(program)}  # type: ignore[arg-type]


def test_include_through_a_symlink_out_of_the_root_is_sb203(tmp_path: Path) -> None:
    (tmp_path / "outside.story").write_text("cast spy: a spy\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "story.toml").write_text("", encoding="utf-8")
    (project / "cast.story").symlink_to(tmp_path / "outside.story")
    (project / "main.story").write_text('include "cast.story"\nclip a 5s\n  @spy runs\n', encoding="utf-8")
    program = load(str(project / "main.story"))
    [outside] = [d for d in program.diagnostics if d.code == "SB203"]
    assert "`cast.story` leads outside" in outside.message and str(tmp_path / "outside.story") in outside.message
    assert program.includes == ()  # never read


def test_a_file_reached_through_two_paths_is_loaded_once(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "cast.story").write_text("cast fox: a fox\n", encoding="utf-8")
    (tmp_path / "alias").symlink_to(tmp_path / "shared")
    (tmp_path / "main.story").write_text(
        'include "shared/cast.story"\ninclude "alias/cast.story"\nclip a 5s\n  @fox runs\n', encoding="utf-8")
    program = load(str(tmp_path / "main.story"))
    assert len(program.includes) == 1
    assert "SB207" not in codes_at(program)  # not declared twice


def test_a_storyboard_that_is_a_symlink_out_of_its_folder_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "real.story").write_text("clip a 5s\n  SECRET-LINE\n", encoding="utf-8")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "link.story").symlink_to(tmp_path / "elsewhere" / "real.story")
    program = load(str(tmp_path / "project" / "link.story"))
    [diagnostic] = program.diagnostics
    assert diagnostic.code == "SB104" and "leads outside its project folder" in diagnostic.message
    assert "SECRET-LINE" not in program.entry.source.text


@pytest.mark.parametrize("written", ["absolute", "symlink"])
def test_soundtrack_outside_the_project_is_sb413(written: str, tmp_path: Path) -> None:
    audio = Path(__file__).parent / "cases" / "audio" / "tone-5s.wav"
    project = tmp_path / "project"
    project.mkdir()
    if written == "absolute":
        value = str(audio)
    else:
        (project / "tone.wav").symlink_to(audio)
        value = "tone.wav"
    (project / "a.story").write_text(f"clip a 5s\n  soundtrack: {value}\n  One\n", encoding="utf-8")
    program = load(str(project / "a.story"))
    [diagnostic] = [d for d in check(program) if d.code.startswith("SB4")]
    assert diagnostic.code == "SB413"
    if written == "symlink":
        assert f"leads outside the project, to `{audio.resolve()}`" in diagnostic.message


def test_read_bytes_is_bounded(tmp_path: Path) -> None:
    from storyc.base.paths import FileProblem, read_bytes

    path = tmp_path / "big.story"
    path.write_bytes(b"x" * 1001)
    assert read_bytes(str(path), limit=1001) == b"x" * 1001
    with pytest.raises(FileProblem, match="larger than"):
        read_bytes(str(path), limit=1000)
    with pytest.raises(FileProblem, match="a device, not a regular file"):
        read_bytes("/dev/zero")


def test_write_atomically_replaces_the_link_not_its_target(tmp_path: Path) -> None:
    from storyc.base.paths import write_atomically

    target = tmp_path / "target.txt"
    target.write_text("keep\n", encoding="utf-8")
    link = tmp_path / "a.story"
    link.symlink_to(target)
    write_atomically(str(link), "new\n")
    assert target.read_text(encoding="utf-8") == "keep\n"
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.story", "target.txt"]


def test_write_atomically_keeps_permissions_and_honours_the_umask(tmp_path: Path) -> None:
    import stat

    from storyc.base.paths import write_atomically

    kept = tmp_path / "kept.story"
    kept.write_text("old\n", encoding="utf-8")
    kept.chmod(0o604)
    write_atomically(str(kept), "new\n")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604
    mask = os.umask(0o027)
    try:
        write_atomically(str(tmp_path / "fresh.story"), "new\n")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "fresh.story").stat().st_mode) == 0o640


def test_walk_follows_a_symlinked_folder_inside_the_tree_once_and_never_loops(tmp_path: Path) -> None:
    from storyc.cli.common import storyboard_files

    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.story").write_text("", encoding="utf-8")
    (tmp_path / "real" / "loop").symlink_to(tmp_path)
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    found = storyboard_files([str(tmp_path)])
    assert [os.path.relpath(p, tmp_path) for p in found] == ["real/a.story"]


def test_control_characters_keep_the_carets_aligned(tmp_path: Path) -> None:
    from storyc.base.diagnostics import report
    from storyc.base.source import visible

    assert visible("a\x1b[2Jb\x07\x9b\u202e\x7f") == "a␛[2Jb␇\ufffd\ufffd␡"
    path = tmp_path / "a.story"
    path.write_bytes(b"clip a 5s\n  \x1b[2J @ghost\n")
    program = load(str(path))
    found = [d for d in check(program) if d.code == "SB205"]
    text = report(found, program.sources, "full")
    excerpt, carets = (line for line in text.splitlines() if line.startswith(("2 |", "  |")) and line.strip() != "|")
    assert "\x1b" not in text and excerpt.index("@ghost") == carets.index("^")


def test_standard_input_is_bounded() -> None:
    import subprocess
    import sys

    import storyc

    compiler = str(Path(storyc.__file__).resolve().parent.parent)
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run([sys.executable, "-m", "storyc", "check", "-"], stdin=zero, capture_output=True,
                              timeout=20, env={**os.environ, "PYTHONPATH": compiler})
    assert done.returncode == 2 and b"larger than 64 MB" in done.stderr, done.stderr


@pytest.mark.parametrize("format", ["full", "concise", "github"])
def test_no_format_for_a_terminal_or_log_passes_control_characters(format: str, tmp_path: Path) -> None:
    from storyc.base.diagnostics import report

    path = tmp_path / "a\x1b[2J.story"
    path.write_bytes(b"clip a 5s\n  \x1b]0;PWNED\x07 @ghost\x9b\n")
    program = load(str(path))
    text = report(check(program), program.sources, format)
    assert "SB205" in text and "SB103" in text
    assert not any(ord(char) < 32 and char != "\n" or 0x7F <= ord(char) < 0xA0 for char in text), repr(text)


def test_a_profile_error_naming_the_file_shows_control_characters_visibly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from storyc.cli import main

    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "x\x1b]0;PWNED\x07.yaml").write_bytes(b"- not a mapping\n")
    (tmp_path / "a.story").write_text("clip a 5s\n  A fox\n", encoding="utf-8")
    assert main(["check", "--profiles", str(tmp_path / "profiles"), str(tmp_path / "a.story")]) == 2
    err = capsys.readouterr().err
    assert "x␛]0;PWNED␇.yaml" in err and "\x1b" not in err and "\x07" not in err
