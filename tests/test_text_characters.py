"""Characters that other programs cannot take (issue 19): line and paragraph separators pasted into
prose reach the card renderer of the animatic and of the offline render (raqm refuses a paragraph
separator inside a line); noncharacters reach XML. Both are reported by `story check` (SB420,
SB421) and neither ends in an internal error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storyc.cli import main
from storyc.emulator.video import Card, draw_card
from storyc.media.probe import probe
from storyc.submit.lock import lock_path, read_lock

SEPARATORS = "\x85\u2028\u2029"
STORYBOARD = (
    'storyboard "Line\u2029breaks"\nmodel wan2.7-t2v\nresolution 720P\nlanguage en\nseed 3\n\n'
    "clip pasted 2s\n  shot 2s wide\n    A door\x85 opens.\u2029 The hall\u2028 is dark.\n    sfx: wind\u2029 rising\n"
)


def test_every_paragraph_separator_draws_on_a_card(tmp_path: Path) -> None:
    # Bidi class B (newline, U+001C-U+001E, U+0085, U+2029) and U+2028, controls, noncharacters.
    hostile = "".join(map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, 0xFFFE, 0xFFFF, 0x1FFFE]))
    draw_card(Card(1, 0.0, 1.0, f"a{hostile}b 追逐"), 1, f"head{hostile}", 320, 180, str(tmp_path / "card.png"))
    assert (tmp_path / "card.png").stat().st_size > 0


def test_separators_are_warned_about_and_fixed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = tmp_path / "pasted.story"
    story.write_text(STORYBOARD, encoding="utf-8")
    assert main(["check", str(story)]) == 0
    out = capsys.readouterr().out
    assert out.count("warning[SB421]") == 5
    assert "pasted.story:9:11" in out  # the U+0085 after `A door`
    assert main(["check", "--fix", str(story)]) == 0
    text = story.read_text(encoding="utf-8")
    assert not any(separator in text for separator in SEPARATORS)
    assert "A door  opens.  The hall  is dark." in text


def test_animatic_draws_separators_as_spaces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = tmp_path / "pasted.story"
    story.write_text(STORYBOARD, encoding="utf-8")
    output = tmp_path / "animatic.mp4"
    assert main(["animatic", str(story), "-o", str(output), "--height", "120"]) == 0
    assert "raqm" not in capsys.readouterr().err
    assert abs(probe(str(output)).video_seconds - 2) <= 1 / 30


def test_offline_render_draws_separators_as_spaces(tmp_path: Path) -> None:
    """The emulator's card renderer draws the prompt the storyboard compiles to; its task succeeds."""
    story = tmp_path / "pasted.story"
    story.write_text(STORYBOARD, encoding="utf-8")
    rendered = subprocess.run([sys.executable, "-m", "storyc", "render", "--offline", "--yes", str(story)],
                              capture_output=True, text=True, timeout=180, cwd=tmp_path,
                              env={key: value for key, value in os.environ.items() if key != "DASHSCOPE_API_KEY"})
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    lock = read_lock(lock_path(str(story)))
    assert lock is not None and set(lock.clips) == {"pasted"}
    assert abs(probe(str(tmp_path / lock.clips["pasted"].video)).video_seconds - 2) <= 1 / 30


def test_noncharacters_are_refused_with_a_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = tmp_path / "noise.story"
    story.write_text('storyboard "Noise"\n\nclip a 2s\n  A door\uffff opens\ufffe.\n', encoding="utf-8")
    assert main(["check", str(story)]) == 1
    out = capsys.readouterr().out
    assert "error[SB420]: character U+FFFF is not text" in out and "noise.story:4:9" in out
    assert main(["check", "--fix", str(story)]) == 0
    assert story.read_text(encoding="utf-8") == 'storyboard "Noise"\n\nclip a 2s\n  A door opens.\n'
