"""Timelines and subtitles as independent readers see them: FCPXML against Apple's DTD (xmllint),
EDLs through pycmx (a CMX 3600 parser storyc does not use), SRT and VTT through ffmpeg.

The project: a scene with long name that the compiler splits in two (so both parts' file names
cut to the same 8 characters), rendered at two picture sizes and two frame rates, and a clip with a
Chinese name; dialogue with markup characters; an ambience and an sfx cue.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pycmx  # type: ignore[import-untyped]
import pytest
from test_media import Project, make_project

from storyc.cli import main
from storyc.emulator.video import ffmpeg

DTD = Path(__file__).parent / "fixtures" / "fcpxml"
STORYBOARD = """\
storyboard "Timelines"
model wan2.7-t2v
resolution 720P
ratio 16:9
language en
seed 7

cast fox: a red fox

scene nightmare
  shot 5s wide
    A dark hall.
  shot 5s wide
    A door.
  shot 5s medium
    A hand.
  shot 3s close-up
    say fox: A & B <c> "d" <b>not bold</b> 1 < 2
    ambience: distant sirens

clip 追逐 3s
  shot 3s tracking
    @fox runs.
    sfx: footsteps
"""
RENDERS = {
    "nightmare-1": (320, 180, True, 30),
    "nightmare-2": (416, 240, True, 25),
    "追逐": (320, 180, True, 30),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("timelines") / "project", STORYBOARD, RENDERS)


def export(project: Project, kind: str, folder: Path) -> Path:
    output = folder / f"film.{kind}"
    assert main(["export", str(project.story), "--to", kind, "-o", str(output)]) == 0
    return output


def test_edl_reels_are_unique_per_source_file(project: Project, tmp_path: Path) -> None:
    with open(export(project, "edl", tmp_path), encoding="utf-8") as handle:
        edl = pycmx.parse_cmx3600(handle)
    edits = [edit for event in edl.events for edit in event.edits]
    assert [edit.clip_name for edit in edits] == list(RENDERS)
    reels = [edit.source for edit in edits]
    # The scene's parts cut to `NIGHTMAR` alike; each keeps its own number instead.
    assert reels == ["NIGHTMA1", "NIGHTMA2", "CLIP"]
    assert all(len(reel) <= 8 and reel.isalnum() for reel in reels)
    # Each event's source range is that file's own, from its start.
    assert [edit.source_in for edit in edits] == ["00:00:00:00"] * 3
    assert [edit.record_in for edit in edits][:2] == ["00:00:00:00", "00:00:15:00"]
    assert all(edits[i].record_out == edits[i + 1].record_in for i in range(len(edits) - 1))


def test_reel_names_stay_unique_when_numbers_collide() -> None:
    from storyc.media.export import reel_names

    names = reel_names(["a/nightmare-1.mp4", "b/nightmare-1.mp4", "nightma2.mp4", "a/nightmare-1.mp4", "x.y.mp4",
                        "追.mp4", "逐.mp4", "CLIP2.mov", "1234567890.mp4"])
    assert names == {"a/nightmare-1.mp4": "NIGHTMA1", "b/nightmare-1.mp4": "NIGHTMA2", "nightma2.mp4": "NIGHTMA3",
                     "x.y.mp4": "XY", "追.mp4": "CLIP", "逐.mp4": "CLIP2", "CLIP2.mov": "CLIP22",
                     "1234567890.mp4": "34567890"}


def xmllint_valid(path: Path, version: str) -> None:
    xmllint = shutil.which("xmllint")
    if xmllint is None:
        pytest.skip("xmllint is not installed (Debian: libxml2-utils)")
    dtd = DTD / f"FCPXMLv{version.replace('.', '_')}.dtd"
    assert dtd.is_file(), f"no vendored DTD for FCPXML {version}"
    result = subprocess.run([xmllint, "--noout", "--dtdvalid", str(dtd), str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


def test_fcpxml_declares_a_format_per_size_and_rate_and_validates(project: Project, tmp_path: Path) -> None:
    output = export(project, "fcpxml", tmp_path)
    root = ElementTree.parse(output).getroot()
    xmllint_valid(output, str(root.get("version")))
    formats = {element.get("id"): element for element in root.iter("format")}
    by_name = {asset.get("name"): formats[asset.get("format")] for asset in root.iter("asset")}
    for name, (width, height, _, rate) in RENDERS.items():
        declared = by_name[name]
        assert (declared.get("width"), declared.get("height")) == (str(width), str(height)), name
        assert declared.get("frameDuration") == f"1/{rate}s", name
    # One per distinct size and rate, each asset-clip naming its asset's.
    assert len(formats) == len({(w, h, r) for w, h, _, r in RENDERS.values()}) == 2
    assets = {asset.get("id"): asset.get("format") for asset in root.iter("asset")}
    for clip in root.iter("asset-clip"):
        assert clip.get("format") == assets[clip.get("ref")]


def test_fcpxml_cues_are_plain_markers_and_no_empty_uid(project: Project, tmp_path: Path) -> None:
    root = ElementTree.parse(export(project, "fcpxml", tmp_path)).getroot()
    markers = {marker.get("value"): marker.attrib for marker in root.iter("marker")}
    assert set(markers) == {"ambience: distant sirens", "sfx: footsteps"}
    assert all("completed" not in attributes for attributes in markers.values())
    assert all(element.get("uid") != "" for element in root.iter())


def test_fcp7_names_files_as_written(project: Project, tmp_path: Path) -> None:
    root = ElementTree.parse(export(project, "fcp7", tmp_path)).getroot()
    names = [file.findtext("name") for file in root.iter("file") if file.find("pathurl") is not None]
    assert "追逐.mp4" in names
    assert not any("%" in str(name) for name in names)


def read_subtitles(path: Path) -> list[str]:
    """The cue texts as ffmpeg reads them: converted to ASS, whose override blocks (`{\\b1}`, what
    markup became) a player does not show."""
    result = subprocess.run([ffmpeg(), "-loglevel", "error", "-i", str(path), "-f", "ass", "-"],
                            capture_output=True, text=True, timeout=60, check=True)
    lines = [line.split(",", 9)[9] for line in result.stdout.splitlines() if line.startswith("Dialogue:")]
    return [re.sub(r"\{[^}]*\}", "", line) for line in lines]


@pytest.mark.parametrize("kind", ["srt", "vtt"])
def test_subtitles_keep_markup_characters_as_text(project: Project, tmp_path: Path, kind: str) -> None:
    texts = read_subtitles(export(project, kind, tmp_path))
    assert len(texts) == 1
    # The word joiner that neutralises `<` in SRT is invisible; nothing else may differ.
    assert texts[0].replace("\u2060", "").endswith('A & B <c> "d" <b>not bold</b> 1 < 2')


@pytest.mark.parametrize("kind", ["srt", "vtt"])
def test_no_dialogue_says_so_and_writes_nothing(tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    story = tmp_path / "quiet.story"
    story.write_text("clip a 3s\n  shot 3s wide\n    A quiet street.\n", encoding="utf-8")
    output = tmp_path / f"quiet.{kind}"
    assert main(["export", str(story), "--to", kind, "-o", str(output)]) == 0
    assert not output.exists()
    assert "no dialogue" in capsys.readouterr().err


def test_text_xml_cannot_hold_is_refused_at_check_not_an_internal_error(
        project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "project"
    shutil.copytree(project.story.parent, folder)
    story = folder / project.story.name
    story.write_text(STORYBOARD.replace("A door.", "A door\uffff\ufffe."), encoding="utf-8")
    for kind in ("fcpxml", "fcp7"):
        assert main(["export", str(story), "--to", kind, "-o", str(tmp_path / f"x.{kind}")]) == 1
        err = capsys.readouterr().err
        assert "SB420" in err and "film.story:14:12" in err
        assert "internal error" not in err and "Traceback" not in err


def test_timelines_replace_what_xml_cannot_hold() -> None:
    from storyc.media.export import xml_safe

    assert xml_safe("a\uffffb\ufffe\x01c\td\n") == "a\ufffdb\ufffd\ufffdc\td\n"
    ElementTree.fromstring(f"<a>{xml_safe(''.join(map(chr, range(0x20))) + chr(0xFFFE) + chr(0xFFFF))}</a>")


def test_written_names_are_what_the_docs_say() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "media.md").read_text(encoding="utf-8")
    assert "NIGHTMA2" in docs and "reel" in docs
    assert os.path.isfile(DTD / "README.md")


def test_an_edl_value_with_a_line_break_stays_a_comment(project: Project) -> None:
    """A task id read from a hand-edited lock file cannot add an event to the EDL."""
    from storyc.media.cut import pieces
    from storyc.media.export import timeline_text

    clip = project.board.clips[0]
    assert clip.render is not None
    hostile = "task-1\n002  EVIL     V     C        00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00\r\n"
    render = clip.render._replace(locked=clip.render.locked._replace(task_id=hostile))
    board = project.board._replace(clips=(clip._replace(render=render), *project.board.clips[1:]))
    text = timeline_text(board, pieces(board), "edl")
    edl = pycmx.parse_cmx3600(io.StringIO(text))
    assert [edit.source for event in edl.events for edit in event.edits] == ["NIGHTMA1", "NIGHTMA2", "CLIP"]
    assert "* STORYC TASK_ID: task-1 002 EVIL" in text
