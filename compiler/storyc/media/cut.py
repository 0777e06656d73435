"""`story cut`: the rendered clips joined in storyboard order into one film.

Every clip is brought to the first clip's picture size (letterboxed, never stretched) and frame
rate, and its audio to 48 kHz stereo cut or padded to exactly its picture's length (a clip without
sound gets silence), so picture and sound stay in step over any number of clips. A scene's parts
are joined end to end; `--crossfade` dissolves only between different clips and scenes. Lengths
come from the files themselves (`probe`), not from the storyboard.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple, Union

from .board import Board, ClipView
from .ffmpeg import AUDIO_FORMAT, SAMPLE_RATE, MediaError, encode
from .probe import MediaInfo, probe


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
    for clip in board.clips:
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
    for clip in board.clips:
        if clip.video:
            info = probe(clip.video)
            rate = rate or info.rate
            lengths[clip.name] = Fraction(round(info.video_seconds * rate) * 1000) / rate
    return lengths, rate


def cut(board: Board, output: str, crossfade: float = 0.0) -> Film:
    return join(pieces(board), output, crossfade)


def join(found: list[Piece], output: str, crossfade: float = 0.0) -> Film:
    """Encode the pieces, in order, as one film at `output`."""
    first = found[0].info
    width, height, rate = first.width - first.width % 2, first.height - first.height % 2, first.rate
    grouped = segments(found)
    fade = crossfade_frames(crossfade, rate)
    if fade and len(grouped) > 1:
        lengths = [sum(piece.frames for piece in group) for group in grouped]
        shortest = min(range(len(grouped)), key=lambda index: lengths[index])
        if fade >= lengths[shortest]:
            raise MediaError(f"a {crossfade:g}s crossfade is longer than `{grouped[shortest][0].clip.name}` "
                             f"({float(lengths[shortest] / rate):g}s)")
    film = Film(output, width, height, rate, tuple(found), fade, len(grouped) - 1 if fade else 0)
    arguments: list[str] = []
    for piece in found:
        arguments += ["-i", str(piece.info.path)]
    graph = _graph(film, grouped)
    arguments += ["-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]", "-r", str(rate)]
    encode(arguments, output)
    return film


def _graph(film: Film, grouped: list[list[Piece]]) -> list[str]:
    width, height, rate = film.width, film.height, film.rate
    graph: list[str] = []
    index = 0
    for number, group in enumerate(grouped):
        labels = []
        for piece in group:
            samples = piece.frames * SAMPLE_RATE // rate
            graph.append(
                f"[{index}:v]scale={width}:{height}:force_original_aspect_ratio=decrease,"
                f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={rate},format=yuv420p,"
                f"trim=end_frame={piece.frames},setpts=PTS-STARTPTS[v{index}]"
            )
            sound = f"[{index}:a]{AUDIO_FORMAT}," if piece.info.has_audio else \
                f"anullsrc=r={SAMPLE_RATE}:cl=stereo,aformat=sample_fmts=fltp,"
            graph.append(f"{sound}apad,atrim=end_sample={samples},asetpts=N/SR/TB[a{index}]")
            labels.append(f"[v{index}][a{index}]")
            index += 1
        graph.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=1[sv{number}][sa{number}]")
    if film.crossfade_frames == 0 or len(grouped) == 1:
        inputs = "".join(f"[sv{n}][sa{n}]" for n in range(len(grouped)))
        graph.append(f"{inputs}concat=n={len(grouped)}:v=1:a=1[v][a]")
        return graph
    fade = film.crossfade_frames
    seconds = f"{float(fade / rate):.6f}"
    length = sum(piece.frames for piece in grouped[0])
    video, audio = "[sv0]", "[sa0]"
    for number in range(1, len(grouped)):
        offset = f"{float((length - fade) / rate):.6f}"
        last = number == len(grouped) - 1
        out_v, out_a = ("[v]", "[a]") if last else (f"[xv{number}]", f"[xa{number}]")
        graph.append(f"{video}[sv{number}]xfade=transition=fade:duration={seconds}:offset={offset}{out_v}")
        graph.append(f"{audio}[sa{number}]acrossfade=ns={fade * SAMPLE_RATE // rate}:c1=tri:c2=tri{out_a}")
        video, audio = out_v, out_a
        length += sum(piece.frames for piece in grouped[number]) - fade
    return graph
