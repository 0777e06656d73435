"""`story animatic`: a free placeholder film of the whole storyboard, to judge timing before paying.

Each clip becomes what the emulator would return for it — one card per shot, drawn and encoded by
the emulator's own renderer (`emulator.video.render_cards`), with the clip's soundtrack laid in
(cut or padded to the clip) or silence — and the clips are joined by `cut.join`. Each card's
heading names its clip, its place among the clips and its time in the film, and the shot count
starts again at every clip, so clip boundaries are plain to see. Lengths are the declared ones.
"""

from __future__ import annotations

import os
import tempfile
from typing import Callable, NamedTuple, Union

from ..emulator.video import Card, render_cards
from .board import Board, ClipView, clock
from .cut import Film, Piece, join
from .ffmpeg import MediaError
from .probe import probe


class Placeholder(NamedTuple):
    clip: ClipView
    soundtrack: Union[str, None]  # the local file laid in, None for silence
    note: Union[str, None]  # why a written soundtrack was left out


def cards(clip: ClipView) -> list[Card]:
    """The clip's cards: a card per shot with its framing, text, camera, dialogue and cues."""
    if not clip.shots:
        lines = [*clip.text, *(f"camera: {text}" for text in clip.camera)]
        lines += [f"{line.kind} {line.speaker}: {line.text}" for line in clip.dialogue]
        lines += [f"{cue.kind}: {cue.text}" for cue in clip.cues]
        return [Card(1, 0.0, clip.millis / 1000, "  ".join(lines) or clip.name)]
    return [
        Card(shot.number, shot.start / 1000, shot.end / 1000,
             " ".join(part for part in (shot.framing and f"[{shot.framing}]", shot.summary()) if part))
        for shot in clip.shots
    ]


def placeholders(board: Board) -> list[Placeholder]:
    found = []
    for clip in board.clips:
        if clip.soundtrack_file and os.path.isfile(clip.soundtrack_file):
            found.append(Placeholder(clip, clip.soundtrack_file, None))
        elif clip.soundtrack:
            found.append(Placeholder(clip, None, f"`{clip.name}`: soundtrack `{clip.soundtrack}` is not a local "
                                     "file; the animatic is silent there"))
        else:
            found.append(Placeholder(clip, None, None))
    return found


def animatic(board: Board, output: str, size: tuple[int, int],
             note: Callable[[str], None] = lambda text: None) -> Film:
    """Render every clip's placeholder, then join them into one film at `output`."""
    if not board.clips:
        raise MediaError(f"{board.path} has no clips")
    width, height = size
    offset = 0
    count = len(board.clips)
    with tempfile.TemporaryDirectory(prefix="storyc-animatic-") as folder:
        found: list[Piece] = []
        for index, item in enumerate(placeholders(board), start=1):
            clip = item.clip
            if item.note:
                note(item.note)
            heading = (f"{clip.name} · clip {index}/{count} · {clock(offset)}-{clock(offset + clip.millis)} · "
                       f"{board.title}")
            path = os.path.join(folder, f"{index:04d}.mp4")
            if clip.first_frame is not None:  # the picture the clip starts on stands for its first shot
                _with_first_frame(path, clip, clip.first_frame, width, height, heading, item.soundtrack)
            else:
                render_cards(path, cards(clip), width, height, clip.millis / 1000, heading,
                             audio=item.soundtrack, silent_track=item.soundtrack is None)
            info = probe(path)
            found.append(Piece(clip, info, info.frames))
            offset += clip.millis
        return join(found, output)


def _with_first_frame(path: str, clip: ClipView, picture: str, width: int, height: int, heading: str,
                      soundtrack: Union[str, None]) -> None:
    """The clip's cards, its first shot shown as its first-frame picture (fitted, with the heading)."""
    from ..emulator.video import draw_card, encode_stills, frame_counts

    shots = cards(clip)
    counts = frame_counts(shots, clip.millis / 1000)
    with tempfile.TemporaryDirectory(prefix="storyc-animatic-frame-") as folder:
        stills = []
        for index, (card, count) in enumerate(zip(shots, counts, strict=True)):
            still = os.path.join(folder, f"{index:04d}.png")
            if index == 0:
                _fitted(picture, width, height, heading, still)
            else:
                draw_card(card, len(shots), heading, width, height, still)
            stills.append((still, count))
        encode_stills(path, [(still, count) for still, count in stills if count > 0], width, height,
                      clip.millis / 1000, audio=soundtrack, silent_track=soundtrack is None)


def _fitted(picture: str, width: int, height: int, heading: str, target: str) -> None:
    """The picture scaled to fit `width` x `height` on black, the clip's heading in a corner."""
    from PIL import Image, ImageDraw

    canvas = Image.new("RGB", (width, height))
    with Image.open(picture) as image:
        scale = min(width / image.width, height / image.height)
        shown = image.convert("RGB").resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    canvas.paste(shown, ((width - shown.width) // 2, (height - shown.height) // 2))
    ImageDraw.Draw(canvas).text((4, 4), heading, fill=(255, 255, 255))
    canvas.save(target)


def default_size(board: Board, height: int = 360) -> tuple[int, int]:
    """The storyboard's picture shape at `height` pixels (even numbers, as H.264 needs)."""
    width, tall = board.size
    scaled = round(width * height / tall)
    return (scaled + scaled % 2, height)
