"""One output layout for every command: `out/<the storyboard's path without .story>/`, as
`story compile` writes it, so `ep1/main.story` and `ep2/main.story` never share a folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyc.cli import main

EPISODE = """\
storyboard "Episode {number}"
model wan2.7-t2v
language en

cast fox: a red fox

clip opening 2s
  shot 2s wide
    @fox looks at episode {number}.
    say fox: Episode {number}.
"""


@pytest.fixture
def episodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    monkeypatch.chdir(tmp_path)
    found = []
    for number in (1, 2):
        story = tmp_path / f"ep{number}" / "main.story"
        story.parent.mkdir()
        story.write_text(EPISODE.format(number=number), encoding="utf-8")
        found.append(story.relative_to(tmp_path))
    return found


def test_every_command_writes_where_compile_does(episodes: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    for story in episodes:
        assert main(["compile", str(story)]) == 0
        assert main(["preview", str(story)]) == 0
        assert main(["export", str(story), "--to", "srt"]) == 0
        assert main(["animatic", str(story), "--height", "64"]) == 0
    printed = capsys.readouterr().out
    for number in (1, 2):
        folder = Path("out") / f"ep{number}" / "main"
        assert sorted(path.name for path in folder.iterdir()) == [
            "animatic.mp4", "main.srt", "opening.json", "opening.prompt.txt", "preview.html"]
        # Each episode's own outputs, not the other's.
        assert f"episode {number}" in (folder / "preview.html").read_text(encoding="utf-8")
        assert f"Episode {number}." in (folder / "main.srt").read_text(encoding="utf-8")
        for name in ("preview.html", "main.srt", "animatic.mp4"):
            assert f"-> {folder / name}" in printed
    assert sorted(path.name for path in Path("out").iterdir()) == ["ep1", "ep2"]


def test_a_storyboard_outside_the_working_folder_keeps_its_folder_name(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    story = tmp_path / "show" / "ep1" / "main.story"
    story.parent.mkdir(parents=True)
    story.write_text(EPISODE.format(number=1), encoding="utf-8")
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["preview", str(story)]) == 0
    assert (here / "out" / "ep1" / "main" / "preview.html").is_file()


def test_render_into_one_folder_keeps_two_storyboards_of_one_name_apart(
        episodes: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("DASHSCOPE_API_KEY", "DASHSCOPE_BASE_URL", "DASHSCOPE_REGION"):
        monkeypatch.delenv(name, raising=False)
    assert main(["render", *map(str, episodes), "-o", "videos"]) == 0, capsys.readouterr().err
    made = sorted(str(path.relative_to(tmp_path / "videos")) for path in (tmp_path / "videos").rglob("*.mp4"))
    assert made == ["ep1/main/opening.mp4", "ep2/main/opening.mp4"]
    assert (tmp_path / "videos" / "ep1" / "main" / "opening.mp4").read_bytes() != \
        (tmp_path / "videos" / "ep2" / "main" / "opening.mp4").read_bytes()
