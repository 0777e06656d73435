"""`story cut`: the rendered clips joined in storyboard order into one film.

Every clip is brought to the first clip's picture size (letterboxed, never stretched) and frame
rate, and its audio to 48 kHz stereo cut or padded to exactly its picture's length (a clip without
sound gets silence), so picture and sound stay in step over any number of clips. A scene's parts
are joined end to end; `--crossfade` dissolves only between different clips and scenes. Lengths
come from the files themselves (`probe`), not from the storyboard. A clip whose video begins with the
clip it continues (`continue NAME clip` on wan2.7-i2v) stands in for both (`Board.film`).

Only what differs is decoded. Without dissolves, clips whose pictures share codec, size, frame rate
and codec setup (as one model's renders do) are joined by copying the picture; their sound is
copied too when it also matches and each clip's sound lasts as long as its picture, else only the
sound is normalised. Clips whose pictures differ are normalised and encoded in one pass.
"""

from __future__ import annotations

import os
import tempfile
from fractions import Fraction
from typing import NamedTuple, Union

from .board import Board, ClipView
from .ffmpeg import AUDIO_CODEC, AUDIO_FORMAT, INTERMEDIATE, SAMPLE_RATE, MediaError, encode, run
from .probe import MediaInfo, probe

# One pass decodes every clip at once; past this many clips the cut goes in passes, one segment at a
# time, so that memory stays flat however long the film.
ONE_PASS_LIMIT = 16
# How far a clip's sound may run past its picture and still be copied: one AAC frame at 8 kHz.
SOUND_SLACK = 1024 / 8000


class Piece(NamedTuple):
    clip: ClipView
    info: MediaInfo
    frames: int  # at the film's frame rate


class Film(NamedTuple):
    path: str
    width: int
    height: int
    rate: Fraction
    pieces: tuple[Piece, ...]
    crossfade_frames: int
    joins: int  # how many crossfades

    @property
    def frames(self) -> int:
        return sum(piece.frames for piece in self.pieces) - self.joins * self.crossfade_frames

    @property
    def seconds(self) -> float:
        return float(self.frames / self.rate)


class NotRendered(Exception):
    """Some clips have no video yet; `names` lists them in film order."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


def pieces(board: Board) -> list[Piece]:
    """Every clip probed, in film order; NotRendered names the clips without a video."""
    if not board.clips:
        raise MediaError(f"{board.path} has no clips")
    missing = board.missing()
    if missing:
        raise NotRendered(missing)
    probed = []
    for clip in board.film:
        assert clip.video is not None
        probed.append((clip, probe(clip.video)))
    rate = probed[0][1].rate
    return [Piece(clip, info, max(1, round(info.video_seconds * rate))) for clip, info in probed]


def continues(previous: ClipView, clip: ClipView) -> bool:
    """Whether `clip` is the next part of the same scene as `previous` (joined without a dissolve)."""
    return (clip.part is not None and previous.part is not None and previous.scene == clip.scene
            and clip.part == previous.part + 1)


def segments(found: list[Piece]) -> list[list[Piece]]:
    """Consecutive parts of one scene form one segment; every other clip is a segment of its own."""
    grouped: list[list[Piece]] = []
    for piece in found:
        if grouped and continues(grouped[-1][-1].clip, piece.clip):
            grouped[-1].append(piece)
        else:
            grouped.append([piece])
    return grouped


def crossfade_frames(crossfade: float, rate: Fraction) -> int:
    """A crossfade in whole frames at the film's rate."""
    return round(Fraction(crossfade).limit_denominator(1000) * rate) if crossfade > 0 else 0


def film_lengths(board: Board) -> tuple[dict[str, Fraction], Union[Fraction, None]]:
    """The rendered clips' lengths in milliseconds as the cut keeps them (whole frames at the first
    rendered clip's rate), and that rate; clips not rendered are left out."""
    lengths: dict[str, Fraction] = {}
    rate: Union[Fraction, None] = None
    for clip in board.film:
        if clip.video:
            info = probe(clip.video)
            rate = rate or info.rate
            lengths[clip.name] = Fraction(round(info.video_seconds * rate) * 1000) / rate
    return lengths, rate


def cut(board: Board, output: str, crossfade: float = 0.0) -> Film:
    return join(pieces(board), output, crossfade)


def join(found: list[Piece], output: str, crossfade: float = 0.0) -> Film:
    """Encode the pieces, in order, as one film at `output`.

    In passes, so that memory stays flat however many clips there are: each segment (a clip, or a
    scene's parts) is normalised into a lossless intermediate file, cut into head, body and tail
    when there are dissolves; each tail is dissolved into the next head; then the bodies and
    dissolves are encoded once, read one after another by ffmpeg's concat demuxer.
    """
    first = found[0].info
    width, height, rate = first.width - first.width % 2, first.height - first.height % 2, first.rate
    grouped = segments(found)
    fade = crossfade_frames(crossfade, rate)
    if fade and len(grouped) > 1:
        for number, group in enumerate(grouped):
            frames = sum(piece.frames for piece in group)
            needed = fade * (2 if 0 < number < len(grouped) - 1 else 1)
            if frames <= needed:
                raise MediaError(f"a {crossfade:g}s crossfade needs `{group[0].clip.name}` to be longer than "
                                 f"{float(needed / rate):g}s; it lasts {float(frames / rate):g}s")
    film = Film(output, width, height, rate, tuple(found), fade, len(grouped) - 1 if fade else 0)
    if fade and len(grouped) == 1:
        film = film._replace(crossfade_frames=0)
    if not film.crossfade_frames and (_pictures_match(found) or len(found) <= ONE_PASS_LIMIT):
        with tempfile.TemporaryDirectory(prefix="storyc-cut-") as folder:
            if _pictures_match(found):
                _join_copying_pictures(film, found, output, folder)
            else:
                _join_in_one_pass(film, found, output)
        return film
    with tempfile.TemporaryDirectory(prefix="storyc-cut-") as folder:
        order: list[tuple[str, int]] = []  # (file, frames)
        fade = film.crossfade_frames
        for number, group in enumerate(grouped):
            parts = _segment(film, group, number, len(grouped), folder)
            if number > 0 and fade:
                order.append((_dissolve(film, os.path.join(folder, f"t{number - 1}.nut"), parts["h"],
                                        os.path.join(folder, f"x{number}.nut")), fade))
            frames = sum(piece.frames for piece in group)
            order.append((parts["b"], frames - fade * ((number > 0) + (number < len(grouped) - 1))))
        listing = os.path.join(folder, "film.ffconcat")
        with open(listing, "w", encoding="utf-8") as handle:
            handle.write("ffconcat version 1.0\n")
            # The exact length of each file, so that the demuxer starts the next one where it ends.
            handle.writelines(f"file '{os.path.basename(path)}'\nduration {float(frames / rate):.6f}\n"
                              for path, frames in order)
        encode(["-f", "concat", "-safe", "0", "-i", listing, "-map", "0:v", "-map", "0:a", "-r", str(rate)], output)
    return film


def _pictures_match(found: list[Piece]) -> bool:
    """Whether every clip's picture can be copied as it is into the film."""
    first = found[0].info
    return first.width % 2 == 0 and first.height % 2 == 0 and bool(first.video_signature) and all(
        piece.info.video_signature == first.video_signature for piece in found)


def _sounds_match(found: list[Piece]) -> bool:
    """Whether every clip's sound can be copied: the same format, and as long as its picture."""
    first = found[0].info.audio_signature
    return first is not None and all(
        piece.info.audio_signature == first and piece.info.audio_seconds is not None
        and abs(piece.info.audio_seconds - piece.info.video_seconds) <= SOUND_SLACK for piece in found)


def _join_copying_pictures(film: Film, found: list[Piece], output: str, folder: str) -> None:
    """The pictures copied, one after another; the sound copied too, or normalised alone."""
    listing = os.path.join(folder, "film.ffconcat")
    with open(listing, "w", encoding="utf-8") as handle:
        handle.write("ffconcat version 1.0\n")
        for index, piece in enumerate(found):
            # Each clip under a plain name beside the listing: no quoting of the user's paths.
            name = f"clip{index}{os.path.splitext(piece.info.path)[1]}"
            os.symlink(os.path.abspath(piece.info.path), os.path.join(folder, name))
            handle.write(f"file '{name}'\nduration {float(piece.frames / film.rate):.6f}\n")
    pictures = ["-f", "concat", "-safe", "0", "-i", listing]
    if _sounds_match(found):
        encode([*pictures, "-map", "0:v", "-map", "0:a"], output, ["-c", "copy"])
        return
    arguments = [*pictures, *(item for piece in found for item in ("-i", str(piece.info.path)))]
    graph = [_sound(piece, index, index + 1, film.rate) for index, piece in enumerate(found)]
    graph.append(f"{''.join(f'[a{index}]' for index in range(len(found)))}concat=n={len(found)}:v=0:a=1[sa]")
    encode([*arguments, "-filter_complex", ";".join(graph), "-map", "0:v", "-map", "[sa]"], output,
           ["-c:v", "copy", *AUDIO_CODEC])


def _join_in_one_pass(film: Film, found: list[Piece], output: str) -> None:
    """Every clip normalised and the film encoded in one ffmpeg run (pictures that differ)."""
    arguments = [item for piece in found for item in ("-i", str(piece.info.path))]
    graph = [chain for index, piece in enumerate(found)
             for chain in (_picture(film, piece, index), _sound(piece, index, index, film.rate))]
    graph.append(f"{''.join(f'[v{index}][a{index}]' for index in range(len(found)))}"
                 f"concat=n={len(found)}:v=1:a=1[sv][sa]")
    encode([*arguments, "-filter_complex", ";".join(graph), "-map", "[sv]", "-map", "[sa]", "-r", str(film.rate)],
           output)


def _picture(film: Film, piece: Piece, index: int) -> str:
    """Input `index`'s picture letterboxed to the film's size and rate, cut to its whole frames, as [v<index>]."""
    width, height = film.width, film.height
    return (f"[{index}:v]scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={film.rate},format=yuv420p,"
            f"trim=end_frame={piece.frames},setpts=PTS-STARTPTS[v{index}]")


def _sound(piece: Piece, index: int, source: int, rate: Fraction) -> str:
    """Input `source`'s sound (or silence) at 48 kHz stereo, exactly as long as its picture, as [a<index>]."""
    samples = piece.frames * SAMPLE_RATE // rate
    sound = f"[{source}:a]{AUDIO_FORMAT}," if piece.info.has_audio else \
        f"anullsrc=r={SAMPLE_RATE}:cl=stereo,aformat=sample_fmts=fltp,"
    return f"{sound}apad,atrim=end_sample={samples},asetpts=N/SR/TB[a{index}]"


def _segment(film: Film, group: list[Piece], number: int, count: int, folder: str) -> dict[str, str]:
    """Normalise one segment into intermediate files: its body, and its head and tail when they dissolve."""
    rate, fade = film.rate, film.crossfade_frames
    arguments: list[str] = []
    graph: list[str] = []
    labels = []
    for index, piece in enumerate(group):
        arguments += ["-i", str(piece.info.path)]
        graph += [_picture(film, piece, index), _sound(piece, index, index, rate)]
        labels.append(f"[v{index}][a{index}]")
    graph.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=1[sv][sa]")
    frames = sum(piece.frames for piece in group)
    samples = sum(piece.frames * SAMPLE_RATE // rate for piece in group)
    fade_samples = fade * SAMPLE_RATE // rate
    head = fade and number > 0
    tail = fade and number < count - 1
    ranges = {"b": ((fade if head else 0, frames - fade if tail else frames),
                    (fade_samples if head else 0, samples - fade_samples if tail else samples))}
    if head:
        ranges["h"] = ((0, fade), (0, fade_samples))
    if tail:
        ranges["t"] = ((frames - fade, frames), (samples - fade_samples, samples))
    names = {"b": f"b{number}.nut", "h": f"h{number}.nut", "t": f"t{number}.nut"}
    graph.append(f"[sv]split={len(ranges)}" + "".join(f"[{part}vin]" for part in ranges))
    graph.append(f"[sa]asplit={len(ranges)}" + "".join(f"[{part}ain]" for part in ranges))
    outputs: list[str] = []
    for part, ((first, end), (first_sample, end_sample)) in ranges.items():
        graph.append(f"[{part}vin]trim=start_frame={first}:end_frame={end},setpts=PTS-STARTPTS[{part}v]")
        graph.append(f"[{part}ain]atrim=start_sample={first_sample}:end_sample={end_sample},asetpts=N/SR/TB[{part}a]")
        # Each part is written by its own muxer as the frames come: nothing waits in memory.
        outputs += ["-map", f"[{part}v]", "-map", f"[{part}a]", *INTERMEDIATE, os.path.join(folder, names[part])]
    run([*arguments, "-filter_complex", ";".join(graph), *outputs], f"`{group[0].clip.name}` (normalising)")
    return {part: os.path.join(folder, names[part]) for part in ranges}


def _dissolve(film: Film, tail: str, head: str, output: str) -> str:
    fade = film.crossfade_frames
    graph = (f"[0:v][1:v]xfade=transition=fade:duration={float(fade / film.rate):.6f}:offset=0[v];"
             f"[0:a][1:a]acrossfade=ns={fade * SAMPLE_RATE // film.rate}:c1=tri:c2=tri[a]")
    run(["-i", tail, "-i", head, "-filter_complex", graph, "-map", "[v]", "-map", "[a]", *INTERMEDIATE, output],
        "a dissolve")
    return output
