"""story cut, story animatic and story export, on clips rendered by the emulator's own video renderer.

The fixture project has a 3 s clip, a 18 s scene the compiler splits into two parts, and a 2 s clip
with a supplied soundtrack. Its renders differ on purpose, as real ones can: one is 640x360, one
has no audio track, one is re-encoded at 25 fps. Films are probed with PyAV; timelines are read
back with OpenTimelineIO; subtitles are parsed.
"""

from __future__ import annotations

import array
import hashlib
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import wave
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import av
import pytest

from storyc.cli import main
from storyc.emulator.video import ffmpeg, render_video
from storyc.media.board import Board, load_board
from storyc.media.probe import MediaInfo, probe
from storyc.models.profile import catalog
from storyc.submit.journal import request_hash
from storyc.submit.lock import LockedClip, LockFile, lock_path, read_lock, write_lock
from storyc.submit.upload import file_hashes, local_files

STORYBOARD = """\
storyboard "Test film"
model wan2.7-t2v
resolution 720P
ratio 16:9
language en
seed 7

cast fox: a red fox in a trench coat

clip opening 3s
  music: a soft theme
  shot 1s wide
    camera: slow push in
    @fox walks into the office.
  shot 2s close-up
    say fox: The case was cold.
    sfx: rain on glass

scene chase
  shot 5s tracking
    @fox runs.
  shot 5s wide
    The street.
  shot 5s medium
    The corner.
  shot 3s close-up
    voiceover fox: Nobody runs forever.
    ambience: distant sirens

clip ending 2s
  soundtrack: audio/tone.wav
  shot 2s wide
    The end.
    say fox: Case closed.
    say fox: For now.
"""
# What each render looks like: (width, height, audio track, frame rate)
RENDERS = {
    "opening": (320, 180, True, 30),
    "chase-1": (640, 360, True, 30),
    "chase-2": (320, 180, False, 30),
    "ending": (320, 180, True, 25),
}


class Project(NamedTuple):
    story: Path
    board: Board
    renders: dict[str, MediaInfo]  # clip name -> the file as probed


def write_tone(path: Path, seconds: float, frequency: float = 440.0, rate: int = 22_050) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (int(12_000 * math.sin(2 * math.pi * frequency * n / rate)) for n in range(int(seconds * rate)))
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))


def make_project(folder: Path, storyboard: str = STORYBOARD,
                 renders: dict[str, tuple[int, int, bool, int]] = RENDERS) -> Project:
    """A storyboard, its renders (by the emulator's renderer) and the lock file `story render` writes."""
    folder.mkdir(parents=True, exist_ok=True)
    story = folder / "film.story"
    story.write_text(storyboard, encoding="utf-8")
    write_tone(folder / "audio" / "tone.wav", 2.0)
    board = load_board(str(story), catalog())
    assert [clip.name for clip in board.clips] == list(renders)
    locked = {}
    for index, clip in enumerate(board.clips):
        width, height, sound, rate = renders[clip.name]
        relative = f"renders/film/{clip.name}.mp4"
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        render_video(str(path), clip.prompt, width, height, clip.millis // 1000, f"{clip.name} · test render",
                     audio=clip.soundtrack_file if sound else None, silent_track=sound and not clip.soundtrack_file)
        if rate != 30:
            subprocess.run([ffmpeg(), "-loglevel", "error", "-y", "-i", str(path), "-r", str(rate),
                            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", f"{path}.tmp.mp4"], check=True)
            os.replace(f"{path}.tmp.mp4", path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        request = request_hash(str(clip.body["model"]), board.region, clip.body,
                               file_hashes(local_files(clip.body, str(story))))
        locked[clip.name] = LockedClip(
            request, board.model, board.region, 7 + index, f"task-{clip.name}-{index}", relative,
            digest, clip.millis / 1000, clip.price.amount, clip.price.currency,
        )
    write_lock(lock_path(str(story)), LockFile(story.name, locked))
    board = load_board(str(story), catalog())
    return Project(story, board, {clip.name: probe(str(clip.video)) for clip in board.clips if clip.video})


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("media") / "project")


def film_frames(project: Project) -> list[int]:
    """Each render's length in frames at the first render's rate, as the cut must keep them."""
    rate = project.renders["opening"].rate
    return [round(project.renders[name].video_seconds * rate) for name in RENDERS]


def assert_in_sync(info: MediaInfo) -> None:
    assert info.has_audio, "the film has no audio stream"
    assert info.audio_seconds is not None
    assert abs(info.audio_seconds - info.video_seconds) <= 1 / float(info.rate), (info.audio_seconds, info.video_seconds)


def thumbnail(path: str, at: float) -> bytes:
    """The frame shown at `at` seconds, small and grey, to tell cards apart."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is not None and frame.time + 1e-6 >= at:
                return bytes(frame.to_image().convert("L").resize((64, 36)).tobytes())
    raise AssertionError(f"{path} has no frame at {at}s")


def difference(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def loudness(path: str, start: float, end: float) -> float:
    """Root mean square of the samples between two times (the film's audio is float planar)."""
    total, count = 0.0, 0
    with av.open(path) as container:
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            if frame.time is None or frame.time + frame.samples / frame.sample_rate < start or frame.time > end:
                continue
            samples = array.array("f", bytes(frame.planes[0]))[: frame.samples]
            total += sum(value * value for value in samples)
            count += len(samples)
    return math.sqrt(total / max(count, 1))


def test_cut_joins_the_renders_in_order_with_picture_and_sound_in_step(project: Project, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "cut.mp4"
    assert main(["cut", str(project.story), "-o", str(output)]) == 0
    assert str(output) in capsys.readouterr().out
    film = probe(str(output))
    first = project.renders["opening"]
    assert (film.width, film.height, film.rate) == (first.width, first.height, first.rate)
    frames = film_frames(project)
    assert abs(film.frames - sum(frames)) <= 1, (film.frames, frames)
    assert abs(film.video_seconds - sum(info.video_seconds for info in project.renders.values())) <= 1 / 30
    assert_in_sync(film)
    # The order: the frame in the middle of each clip is that clip's own card, not another's.
    start = 0
    for name, count in zip(RENDERS, frames, strict=True):
        middle = (start + count / 2) / float(film.rate)
        shown = thumbnail(str(output), middle)
        own = thumbnail(project.renders[name].path, count / 2 / float(film.rate))
        others = [thumbnail(info.path, min(count / 2, 30) / float(film.rate))
                  for other, info in project.renders.items() if other != name]
        assert difference(shown, own) < min(difference(shown, other) for other in others), name
        start += count


def test_cut_crossfades_between_clips_but_never_inside_a_scene(project: Project, tmp_path: Path) -> None:
    output = tmp_path / "crossfade.mp4"
    assert main(["cut", str(project.story), "-o", str(output), "--crossfade", "0.5"]) == 0
    film = probe(str(output))
    # Three segments (opening, the two chase parts, ending): two dissolves of 15 frames each.
    expected = sum(film_frames(project)) - 2 * 15
    assert abs(film.frames - expected) <= 1, (film.frames, expected)
    assert_in_sync(film)


def test_cut_refuses_naming_the_clips_not_rendered(project: Project, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "partial"
    shutil.copytree(project.story.parent, folder)
    story = folder / project.story.name
    lock = read_lock(lock_path(str(story)))
    assert lock is not None
    kept = {name: clip for name, clip in lock.clips.items() if name not in ("chase-2", "ending")}
    write_lock(lock_path(str(story)), lock._replace(clips=kept))
    output = folder / "cut.mp4"
    assert main(["cut", str(story), "-o", str(output)]) == 1
    error = capsys.readouterr().err
    assert "not rendered yet: chase-2, ending" in error
    assert "Traceback" not in error and not output.exists()
    # A video replaced after rendering is used, with a warning naming it.
    write_lock(lock_path(str(story)), lock)
    shutil.copy(folder / "renders" / "film" / "ending.mp4", folder / "renders" / "film" / "opening.mp4")
    assert main(["export", str(story), "--to", "otio", "-o", str(folder / "x.otio")]) == 0
    assert "changed since rendered): opening" in capsys.readouterr().err
    # A lock entry whose video is gone counts as not rendered.
    (folder / "renders" / "film" / "opening.mp4").unlink()
    assert main(["export", str(story), "--to", "otio", "-o", str(folder / "x.otio")]) == 1
    assert "not rendered yet: opening\n" in capsys.readouterr().err


def test_a_storyboard_with_errors_is_reported_not_cut(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = tmp_path / "bad.story"
    story.write_text("model wan2.7-t2v\nclip long 40s\n  shot 40s wide\n    Too long.\n", encoding="utf-8")
    assert main(["cut", str(story)]) == 1
    error = capsys.readouterr().err
    assert "bad.story:2:" in error and "Traceback" not in error


def test_animatic_is_a_card_film_of_the_declared_timing_with_soundtracks_at_their_clips(
        project: Project, tmp_path: Path) -> None:
    output = tmp_path / "animatic.mp4"
    assert main(["animatic", str(project.story), "-o", str(output), "--height", "180"]) == 0
    film = probe(str(output))
    declared = sum(clip.millis for clip in project.board.clips) / 1000
    assert (film.width, film.height) == (320, 180)
    assert abs(film.video_seconds - declared) <= 1 / 30, (film.video_seconds, declared)
    assert_in_sync(film)
    # The tone is laid in under `ending` (the last 2 s) and nowhere else.
    ending = declared - 2
    assert loudness(str(output), ending + 0.2, declared - 0.2) > 0.05
    assert loudness(str(output), 0.2, ending - 0.2) < 0.001
    # A card per shot: the picture changes at each shot boundary and holds within a shot.
    boundary = 1.0  # opening's first shot ends at 1s
    before, after, later = (thumbnail(str(output), at) for at in (boundary - 0.2, boundary + 0.1, boundary + 0.9))
    assert difference(before, after) > 1 and difference(after, later) < 0.5


class Subtitle(NamedTuple):
    start: int  # milliseconds
    end: int
    text: str


def parse_subtitles(text: str, kind: str) -> list[Subtitle]:
    """A strict reader of the two formats: numbered blocks, `-->` timings, text lines."""
    separator = "," if kind == "srt" else "."
    if kind == "vtt":
        assert text.startswith("WEBVTT\n")
        text = text[len("WEBVTT\n"):]
    stamp = rf"(\d\d):(\d\d):(\d\d){re.escape(separator)}(\d\d\d)"
    found = []
    for number, block in enumerate((b for b in text.strip().split("\n\n") if b.strip()), start=1):
        lines = block.strip().split("\n")
        assert lines[0] == str(number), block
        match = re.fullmatch(rf"{stamp} --> {stamp}", lines[1])
        assert match, lines[1]
        h1, m1, s1, f1, h2, m2, s2, f2 = (int(g) for g in match.groups())
        found.append(Subtitle(((h1 * 60 + m1) * 60 + s1) * 1000 + f1, ((h2 * 60 + m2) * 60 + s2) * 1000 + f2,
                              "\n".join(lines[2:])))
    return found


@pytest.mark.parametrize(("kind", "crossfade"), [("srt", 0.0), ("vtt", 0.0), ("srt", 0.5)])
def test_subtitles_put_each_line_over_its_shot(project: Project, tmp_path: Path, kind: str, crossfade: float) -> None:
    output = tmp_path / f"film.{kind}"
    assert main(["export", str(project.story), "--to", kind, "-o", str(output), "--crossfade", str(crossfade)]) == 0
    subtitles = parse_subtitles(output.read_text(encoding="utf-8"), kind)
    # Where each clip starts in the film: the real renders' lengths in whole frames; a dissolve
    # (between clips, not between a scene's parts) takes the crossfade off everything after it.
    rate = project.renders["opening"].rate
    starts, at = {}, Fraction(0)
    dissolves = {"opening": 0, "chase-1": 1, "chase-2": 1, "ending": 2}
    for name, info in project.renders.items():
        starts[name] = round(at - dissolves[name] * Fraction(crossfade).limit_denominator() * 1000)
        at += Fraction(round(info.video_seconds * rate) * 1000) / rate
    expected = [
        (starts["opening"] + 1000, starts["opening"] + 3000, "Fox", "The case was cold."),
        (starts["chase-2"] + 0, starts["chase-2"] + 3000, "Fox", "Nobody runs forever."),
        (starts["ending"] + 0, starts["ending"] + 1000, "Fox", "Case closed."),  # two lines share the shot
        (starts["ending"] + 1000, starts["ending"] + 2000, "Fox", "For now."),
    ]
    assert [(s.start, s.end) for s in subtitles] == [(start, end) for start, end, _, _ in expected]
    for subtitle, (_, _, speaker, line) in zip(subtitles, expected, strict=True):
        assert line in subtitle.text and speaker in subtitle.text
    if kind == "vtt":
        assert subtitles[0].text == "<v Fox>The case was cold."
    else:
        assert subtitles[1].text == "Fox (V.O.): Nobody runs forever."


def test_a_timeline_takes_no_crossfade(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(project.story), "--to", "edl", "--crossfade", "1"]) == 2
    assert "--crossfade applies to subtitles" in capsys.readouterr().err


def lock_fields(project: Project, name: str) -> dict[str, str]:
    lock = read_lock(lock_path(str(project.story)))
    assert lock is not None
    entry = lock.clips[name]
    prompt = next(clip.prompt for clip in project.board.clips if clip.name == name)
    values: dict[str, Any] = {"clip": name, "prompt": prompt, "seed": entry.seed, "model": entry.model,
                              "region": entry.region, "task_id": entry.task_id, "cost": entry.cost,
                              "currency": entry.currency}
    return {key: "" if value is None else str(value) for key, value in values.items()}


@pytest.mark.parametrize("kind", ["otio", "fcpxml", "fcp7", "edl"])
def test_timeline_exports_read_back_as_the_storyboard(project: Project, tmp_path: Path, kind: str) -> None:
    from storyc.media.export import EXTENSIONS, metadata_of, read_timeline

    output = tmp_path / f"film{EXTENSIONS[kind]}"
    assert main(["export", str(project.story), "--to", kind, "-o", str(output)]) == 0
    rate = float(project.renders["opening"].rate)
    timeline = read_timeline(str(output), kind, rate)
    if kind == "fcpxml":
        first = project.renders["opening"]
        assert re.search(rf'<format width="{first.width}" height="{first.height}" [^>]*frameDuration="',
                         output.read_text(encoding="utf-8"))
    (video,) = timeline.video_tracks()
    clips = list(video.find_clips())
    assert [clip.name for clip in clips] == list(RENDERS)
    frames = film_frames(project)
    if kind != "edl":  # the clips' own sound, in step, on an audio track (an EDL lists picture only)
        (sound,) = timeline.audio_tracks()
        placed = [(item.name if hasattr(item, "media_reference") else None, item.range_in_parent())
                  for item in sound]
        assert [name for name, _ in placed] == [name if RENDERS[name][2] else None for name in RENDERS]
        assert [(r.start_time.value, r.duration.value) for _, r in placed] == \
            [(sum(frames[:index]), count) for index, count in enumerate(frames)]
    at = 0
    for clip, count in zip(clips, frames, strict=True):
        placed = clip.range_in_parent()
        assert placed.duration.rate == rate
        assert (placed.start_time.value, placed.duration.value) == (at, count), clip.name
        at += count
        fields = metadata_of(clip, kind)
        expected = lock_fields(project, clip.name)
        if kind == "edl":  # an EDL comment is one line
            expected["prompt"] = " ".join(expected["prompt"].split())
        assert fields == expected
        assert clip.media_reference.target_url == Path(project.renders[clip.name].path).resolve().as_uri()
    # Audio cues (and the soundtrack) are markers at their shots.
    markers = {(clip.name, marker.name.lower(), round(marker.marked_range.start_time.value))
               for clip in clips for marker in clip.markers}
    assert markers == {
        ("opening", "music: a soft theme", 0),
        ("opening", "sfx: rain on glass", round(1 * rate)),
        ("chase-2", "ambience: distant sirens", 0),
        ("ending", "soundtrack: audio/tone.wav", 0),
    }


def test_otio_metadata_keeps_types(project: Project, tmp_path: Path) -> None:
    import opentimelineio as otio

    output = tmp_path / "film.otio"
    assert main(["export", str(project.story), "--to", "otio", "-o", str(output)]) == 0
    timeline = otio.adapters.read_from_file(str(output))
    first = next(iter(timeline.video_tracks()[0].find_clips()))
    assert first.metadata["storyc"]["seed"] == 7
    assert first.metadata["storyc"]["cost"] == pytest.approx(project.board.clips[0].price.amount)
    assert timeline.duration().value == sum(film_frames(project))
    assert Fraction(timeline.duration().rate) == project.renders["opening"].rate


def test_a_lock_file_cannot_point_outside_its_folder(project: Project, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "hostile"
    shutil.copytree(project.story.parent, folder)
    story = folder / project.story.name
    lock = read_lock(lock_path(str(story)))
    assert lock is not None
    clips = dict(lock.clips)
    clips["opening"] = clips["opening"]._replace(video="../../../../../../etc/hostname")
    write_lock(lock_path(str(story)), lock._replace(clips=clips))
    assert main(["cut", str(story), "-o", str(folder / "cut.mp4")]) == 2
    rows = (folder / "film.lock").read_text(encoding="utf-8").split("\n")
    line = [row.strip() for row in rows].index('"video": "../../../../../../etc/hostname"') + 1
    assert f"film.lock:{line}: clip `opening`: `video` must be a path relative to the lock file" in \
        capsys.readouterr().err
    (folder / "renders").mkdir(exist_ok=True)
    (folder / "renders" / "away").symlink_to("/etc")
    clips["opening"] = clips["opening"]._replace(video="renders/away/hostname")
    write_lock(lock_path(str(story)), lock._replace(clips=clips))
    assert main(["cut", str(story), "-o", str(folder / "cut.mp4")]) == 2
    assert "clip `opening`: `video` `renders/away/hostname` leads outside the lock file's folder" in \
        capsys.readouterr().err
    (folder / "film.lock").write_text("{not json", encoding="utf-8")
    assert main(["preview", str(story), "-o", str(folder / "p.html")]) == 2
    assert "film.lock:1:2: the lock file is not valid JSON" in capsys.readouterr().err


def test_render_offline_then_cut_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """End to end: `story render --offline` (the built-in emulator) writes the lock file the media
    commands read."""
    from storyc.media.export import metadata_of, read_timeline

    story = tmp_path / "short.story"
    story.write_text(
        'storyboard "Short"\nmodel wan2.7-t2v\nresolution 720P\nlanguage en\nseed 11\n\ncast guard: an old guard\n\n'
        "clip first 2s\n  shot 2s wide\n    A door opens.\n    say guard: Who goes there?\n\n"
        "clip second 3s\n  shot 1s close-up\n    A lantern.\n  shot 2s wide\n    sfx: wind\n    The street.\n",
        encoding="utf-8",
    )
    assert main(["export", str(story), "--to", "otio", "-o", str(tmp_path / "early.otio")]) == 1
    assert "not rendered yet: first, second" in capsys.readouterr().err
    # In its own process, as a user runs it (the run holds its journal's lock until it exits).
    rendered = subprocess.run([sys.executable, "-m", "storyc", "render", "--offline", "--yes", str(story)],
                              capture_output=True, text=True, timeout=120,
                              env={key: value for key, value in os.environ.items() if key != "DASHSCOPE_API_KEY"})
    assert rendered.returncode == 0, rendered.stderr
    board = load_board(str(story), catalog())
    renders = [probe(str(clip.video)) for clip in board.clips]
    rate = renders[0].rate
    frames = [round(info.video_seconds * rate) for info in renders]

    film = tmp_path / "film.mp4"
    assert main(["cut", str(story), "-o", str(film), "--crossfade", "0.5"]) == 0
    cut = probe(str(film))
    assert abs(cut.frames - (sum(frames) - round(0.5 * rate))) <= 1
    assert_in_sync(cut)

    assert main(["export", str(story), "--to", "fcp7", "-o", str(tmp_path / "film.xml")]) == 0
    timeline = read_timeline(str(tmp_path / "film.xml"), "fcp7")
    lock = read_lock(lock_path(str(story)))
    assert lock is not None
    clips = list(timeline.video_tracks()[0].find_clips())
    assert [clip.name for clip in clips] == ["first", "second"]
    assert [clip.duration().value for clip in clips] == frames
    for clip, view in zip(clips, board.clips, strict=True):
        entry = lock.clips[clip.name]
        assert metadata_of(clip, "fcp7") == {
            "clip": clip.name, "prompt": view.prompt, "seed": str(entry.seed), "model": entry.model,
            "region": entry.region, "task_id": entry.task_id, "cost": str(entry.cost), "currency": entry.currency,
        }
    assert entry.seed == 11 and entry.task_id
    assert main(["export", str(story), "--to", "srt", "-o", str(tmp_path / "film.srt")]) == 0
    subtitles = parse_subtitles((tmp_path / "film.srt").read_text(encoding="utf-8"), "srt")
    assert subtitles == [Subtitle(0, 2000, "Guard: Who goes there?")]
    assert "earlier version" not in capsys.readouterr().err
    assert main(["preview", str(story), "-o", str(tmp_path / "sheet.html")]) == 0
    sheet = (tmp_path / "sheet.html").read_text(encoding="utf-8")
    assert sheet.count("rendered by the emulator (nothing paid)") == 2
    assert sheet.count('<video controls preload="metadata" src="renders/short/') == 2
    # An edit after rendering: the clip it touches is named as out of date.
    story.write_text(story.read_text(encoding="utf-8").replace("A lantern.", "A red lantern."), encoding="utf-8")
    assert main(["cut", str(story), "-o", str(film)]) == 0
    assert "rendered from an earlier version of the storyboard: second;" in capsys.readouterr().err


def test_a_crossfade_longer_than_a_clip_is_refused(project: Project, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "long.mp4"
    assert main(["cut", str(project.story), "-o", str(output), "--crossfade", "2.5"]) == 1
    error = capsys.readouterr().err
    assert "a 2.5s crossfade needs `ending` to be longer than 2.5s" in error and not output.exists()
    assert main(["cut", str(project.story), "-o", str(output), "--crossfade", "-1"]) == 2
    assert "cannot be negative" in capsys.readouterr().err


@pytest.mark.parametrize("rate", ["16", "30000/1001"], ids=["16fps", "ntsc"])
def test_films_and_timelines_at_other_frame_rates(project: Project, tmp_path: Path, rate: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Wan 2.1 renders 16 fps; editors meet 29.97. The film and the timelines follow the first clip."""
    from storyc.media.export import read_timeline

    folder = tmp_path / "rates"
    shutil.copytree(project.story.parent, folder)
    story = folder / project.story.name
    lock = read_lock(lock_path(str(story)))
    assert lock is not None
    clips = {}
    for name, entry in lock.clips.items():
        path = folder / entry.video
        subprocess.run([ffmpeg(), "-loglevel", "error", "-y", "-i", str(path), "-r", rate, "-c:v", "libx264",
                        "-preset", "ultrafast", "-c:a", "copy", f"{path}.tmp.mp4"], check=True)
        os.replace(f"{path}.tmp.mp4", path)
        clips[name] = entry._replace(sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    write_lock(lock_path(str(story)), lock._replace(clips=clips))
    expected_rate = Fraction(rate)
    renders = [probe(str(folder / lock.clips[name].video)) for name in RENDERS]
    frames = [round(info.video_seconds * expected_rate) for info in renders]
    assert main(["cut", str(story), "-o", str(folder / "cut.mp4")]) == 0
    film = probe(str(folder / "cut.mp4"))
    assert film.rate == expected_rate and abs(film.frames - sum(frames)) <= 1
    assert_in_sync(film)
    for kind, extension in (("fcp7", "xml"), ("fcpxml", "fcpxml")):
        output = folder / f"film.{extension}"
        if kind == "fcp7" and rate == "16":  # FCP 7 XML and EDLs count in SMPTE timecode: no 16 fps
            assert main(["export", str(story), "--to", kind, "-o", str(output)]) == 1
            assert "cannot write fcp7 for clips at 16 fps" in capsys.readouterr().err
            continue
        assert main(["export", str(story), "--to", kind, "-o", str(output)]) == 0
        if kind == "fcpxml":  # written with the exact frame duration (its reader rounds 29.97 down to 29)
            assert f'frameDuration="{expected_rate.denominator}/{expected_rate.numerator}s"' in output.read_text()
            continue
        timeline = read_timeline(str(output), kind)
        placed = [clip.range_in_parent() for clip in timeline.video_tracks()[0]]
        assert [r.duration.value for r in placed] == frames
        assert placed[0].duration.rate == pytest.approx(float(expected_rate), abs=0.01)
