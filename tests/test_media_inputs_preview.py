"""Seen before paying: the preview sheet shows each clip's frames and references and each cast member's
reference pictures (inline: the page loads nothing); the animatic opens a clip on its first frame."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import av
import pytest
from PIL import Image, ImageChops, ImageStat

from storyc.cli import main
from storyc.media.board import load_board
from storyc.media.preview import sheet
from storyc.models.profile import catalog

EXAMPLE = Path(__file__).resolve().parent.parent / "storyboards" / "rain-walk"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    folder = tmp_path / "rain-walk"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("renders", ".story", "*.lock"))
    return folder / "main.story"


def test_the_sheet_shows_frames_and_references(example: Path) -> None:
    board = load_board(str(example), catalog())
    arrival = next(clip for clip in board.clips if clip.name == "arrival")
    assert [(item.role, item.source) for item in arrival.inputs] == [
        ("first_frame", "refs/street.png"), ("last_frame", "refs/door.png")]
    meeting = next(clip for clip in board.clips if clip.name == "meeting")
    assert [(item.role, item.owner) for item in meeting.inputs] == [
        ("reference_image", "mei"), ("reference_voice", "mei"), ("reference_image", "lin")]
    assert {(item.owner, item.role) for item in board.references} == {("mei", "image"), ("mei", "voice"), ("lin", "image")}
    html = sheet(board, str(example.parent / "preview.html"))
    pictures = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="([^"]+)"', html)
    # street and door for arrival, mei and lin for meeting, dusk for dusk; mei and lin among the cast
    assert len(pictures) == 7
    assert "first frame: refs/street.png" in pictures and "last frame: refs/door.png" in pictures
    assert "reference image (Image 1) · mei: refs/mei.png" in html
    assert "src=\"http" not in html and "src=\"file" not in html  # nothing loaded from anywhere


def test_the_animatic_opens_a_clip_on_its_first_frame(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    film = example.parent / "animatic.mp4"
    assert main(["animatic", str(example), "-o", str(film)]) == 0
    capsys.readouterr()
    with av.open(str(film)) as container:
        first = next(iter(container.decode(video=0))).to_image().convert("RGB")
    with Image.open(example.parent / "refs" / "street.png") as picture:
        expected = picture.convert("RGB").resize(first.size)
    assert sum(ImageStat.Stat(ImageChops.difference(first, expected)).mean) / 3 < 12


def test_a_hover_on_a_cast_member_shows_its_picture(example: Path) -> None:
    from storyc.lsp.analysis import Analysis
    from storyc.lsp.assist import hover

    text = example.read_text("utf-8")
    analysis = Analysis(str(example), text, catalog())
    found = hover(analysis, text.index("@mei waits") + 1)
    assert found is not None
    value = found.contents.value  # type: ignore[union-attr]
    assert "a girl in a yellow raincoat" in value
    assert "image: `refs/mei.png`" in value and "voice: `refs/mei-voice.wav`" in value
    assert f"]({(example.parent / 'refs' / 'mei.png').as_uri()})" in value


def test_media_keys_are_hovered_and_clip_inputs_completed(example: Path) -> None:
    from storyc.lsp.analysis import Analysis
    from storyc.lsp.assist import completion, hover

    text = example.read_text("utf-8")
    analysis = Analysis(str(example), text, catalog())
    first = hover(analysis, text.index("first-frame:") + 2)
    assert first is not None and "starts on" in first.contents.value  # type: ignore[union-attr]
    voice = hover(analysis, text.index("  voice:") + 3)
    assert voice is not None and "timbre" in voice.contents.value  # type: ignore[union-attr]
    typed = text.replace("  first-frame: refs/dusk.png", "  first-f")
    analysis = Analysis(str(example), typed, catalog())
    labels = [item.label for item in completion(analysis, typed.index("  first-f") + len("  first-f"))]
    assert "first-frame" in labels
