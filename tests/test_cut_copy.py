"""`story cut` decodes only what differs: clips from one model are joined by copying their streams.

The renders here share codec, size and frame rate, as one model's do. Copying is checked on the
packets themselves (the film's are the clips' own bytes, in order); the film is timed and in step
as `tests/test_media.py` requires of every cut.
"""

from __future__ import annotations

from pathlib import Path

import av
from test_media import STORYBOARD, assert_in_sync, make_project

from storyc.cli import main
from storyc.media.probe import probe

ALIKE = {name: (320, 180, True, 30) for name in ("opening", "chase-1", "chase-2", "ending")}


def packets(path: str, kind: str) -> list[bytes]:
    with av.open(path) as container:
        stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
        return [bytes(packet) for packet in container.demux(stream) if packet.size]


def nal_units(packet: bytes) -> list[bytes]:
    """An MP4 H.264 packet's NAL units (each after its 4-byte length)."""
    units, at = [], 0
    while at < len(packet):
        size = int.from_bytes(packet[at:at + 4], "big")
        units.append(packet[at + 4:at + 4 + size])
        at += 4 + size
    return units


def assert_copied(film: list[bytes], clips: list[bytes]) -> None:
    """The film's pictures are the clips' own coded pictures: the same NAL units, packet by packet,
    with at most the parameter sets (SPS 7, PPS 8) repeated in a clip's first keyframe by the muxer."""
    assert len(film) == len(clips)
    for index, (ours, theirs) in enumerate(zip(film, clips, strict=True)):
        extra = [unit for unit in nal_units(ours) if unit not in nal_units(theirs)]
        kept = [unit for unit in nal_units(ours) if unit in nal_units(theirs)]
        assert kept == nal_units(theirs), index
        assert all(unit[0] & 0x1F in (7, 8) for unit in extra), index


def cut(project_folder: Path, storyboard: str, tmp_path: Path) -> tuple[list[str], str]:
    project = make_project(project_folder, storyboard, ALIKE)
    output = tmp_path / "film.mp4"
    assert main(["cut", str(project.story), "-o", str(output)]) == 0
    film = probe(str(output))
    assert_in_sync(film)
    assert film.frames == sum(info.frames for info in project.renders.values())
    return [info.path for info in project.renders.values()], str(output)


def test_clips_alike_in_picture_and_sound_are_copied(tmp_path: Path) -> None:
    silent_ending = STORYBOARD.replace("  soundtrack: audio/tone.wav\n", "")
    clips, film = cut(tmp_path / "project", silent_ending, tmp_path)
    assert_copied(packets(film, "video"), [packet for clip in clips for packet in packets(clip, "video")])
    assert packets(film, "audio") == [packet for clip in clips for packet in packets(clip, "audio")]


def test_only_the_sound_is_normalised_when_only_the_sound_differs(tmp_path: Path) -> None:
    """The ending's soundtrack is 22.05 kHz mono beside 44.1 kHz stereo: the pictures are still copied,
    and the sound is brought to 48 kHz stereo, clip by clip as long as its picture."""
    clips, film = cut(tmp_path / "project", STORYBOARD, tmp_path)
    assert_copied(packets(film, "video"), [packet for clip in clips for packet in packets(clip, "video")])
    info = probe(film)
    assert info.sample_rate == 48_000
    assert info.audio_seconds is not None and abs(info.audio_seconds - info.video_seconds) < 0.05
