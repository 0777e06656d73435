"""Real result videos: one card per shot (clip, shot number, time range, the shot's text), encoded
as H.264 at 30 fps with the pixel size and duration the request asked for, by the ffmpeg that
imageio-ffmpeg ships. A supplied audio file is cut or padded to the video's length, as the service
does; models that make sound get a silent track in its place.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import unicodedata
from typing import TYPE_CHECKING, NamedTuple, Sequence, Union

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

FPS = 30
# Shot labels as storyc (and the vendor guide) write them, in each prompt language.
_LABELS = re.compile(
    r"(?:第(?P<zh>\d+)[個个]鏡頭|第(?P<hans>\d+)个镜头|Shot (?P<en>\d+) )"
    r"\[(?P<start>[0-9.]+)-(?P<end>[0-9.]+)(?:秒|s)\]\s*"
)
_TRADITIONAL_CHINESE = 3  # face index of Noto Sans CJK TC in the collection


class Card(NamedTuple):
    number: int
    start: float
    end: float
    text: str


def cards(prompt: str, duration: float) -> list[Card]:
    """Split a prompt into its timed shots; a prompt without shot labels is one card."""
    matches = list(_LABELS.finditer(prompt))
    if not matches:
        return [Card(1, 0.0, duration, prompt)]
    found = []
    for index, match in enumerate(matches):
        text_end = matches[index + 1].start() if index + 1 < len(matches) else len(prompt)
        number = int(match.group("zh") or match.group("hans") or match.group("en"))
        start = min(float(match.group("start")), duration)
        end = min(float(match.group("end")), duration)
        found.append(Card(number, start, end, prompt[match.end() : text_end].strip()))
    # Cover the whole video: the first card from 0, each up to the next, the last to the end.
    covered = []
    for index, card in enumerate(found):
        start = 0.0 if index == 0 else card.start
        end = found[index + 1].start if index + 1 < len(found) else duration
        if end > start:
            covered.append(card._replace(start=start, end=end))
    return covered or [Card(1, 0.0, duration, prompt)]


def _font(size: int) -> FreeTypeFont:
    import noto_cjk_sans_otc  # type: ignore[import-untyped]
    from PIL import ImageFont

    return ImageFont.truetype(str(noto_cjk_sans_otc.FONT_PATH), size, index=_TRADITIONAL_CHINESE)


def _wrap(text: str, font: FreeTypeFont, width: int) -> list[str]:
    """Break text into lines that fit `width` pixels; CJK text may break between any characters."""
    lines: list[str] = []
    current = ""
    for token in re.findall(r"[A-Za-z0-9'’\-]+\s*|\s+|.", text):
        trial = current + token
        if current and font.getlength(trial) > width:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current = trial
    if current.strip():
        lines.append(current.rstrip())
    return lines


def drawable(text: str) -> str:
    """`text` as one line the shaper can lay out. raqm fails on a paragraph separator inside a
    line (newline, U+0085, U+2029, ...: the Unicode bidi class B) and controls draw as boxes at best,
    so both become spaces, as does U+2028; noncharacters become U+FFFD."""
    if text.isprintable():
        return text
    return "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") or unicodedata.bidirectional(char) == "B"
        else "\ufffd" if unicodedata.category(char) == "Cs" or (ord(char) & 0xFFFE) == 0xFFFE
        or 0xFDD0 <= ord(char) <= 0xFDEF else char
        for char in text
    )


def draw_card(card: Card, total: int, heading: str, width: int, height: int, path: str) -> None:
    from PIL import Image, ImageDraw

    card, heading = card._replace(text=drawable(card.text)), drawable(heading)
    image = Image.new("RGB", (width, height), (18, 20, 28))
    draw = ImageDraw.Draw(image)
    unit = max(12, min(width, height) // 24)
    margin = unit
    small, large = _font(unit), _font(int(unit * 1.6))
    draw.text((margin, margin), heading, font=small, fill=(150, 160, 180))
    title = f"Shot {card.number}/{total}   [{card.start:g}-{card.end:g}s]"
    draw.text((margin, margin + unit * 2), title, font=large, fill=(240, 200, 90))
    y = margin + unit * 5
    for line in _wrap(card.text, small, width - 2 * margin):
        if y > height - margin - unit:
            draw.text((margin, y), "…", font=small, fill=(230, 230, 230))
            break
        draw.text((margin, y), line, font=small, fill=(230, 230, 230))
        y += int(unit * 1.4)
    image.save(path)


def ffmpeg() -> str:
    import imageio_ffmpeg  # type: ignore[import-untyped]

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def render_video(
    path: str, prompt: str, width: int, height: int, duration: int, heading: str,
    audio: Union[str, None] = None, silent_track: bool = False,
) -> None:
    """Write the MP4 for one task to `path`: the prompt's shots as cards (see `render_cards`)."""
    render_cards(path, cards(prompt, float(duration)), width, height, float(duration), heading,
                 audio=audio, silent_track=silent_track)


def frame_counts(shots: Sequence[Card], duration: float, fps: int = FPS) -> list[int]:
    """Frames per card: each card ends on the frame nearest its end time, the last at `duration`,
    so fractional shot lengths add up to exactly `round(duration * fps)` frames."""
    total = round(duration * fps)
    bounds = [min(total, max(0, round(card.end * fps))) for card in shots]
    if bounds:
        bounds[-1] = total
    counts, previous = [], 0
    for bound in bounds:
        counts.append(max(0, bound - previous))
        previous = max(previous, bound)
    return counts


def render_cards(
    path: str, shots: Sequence[Card], width: int, height: int, duration: float, heading: str,
    audio: Union[str, None] = None, silent_track: bool = False, fps: int = FPS,
) -> None:
    """Write an H.264 MP4 of `shots` (one card each, `Card.start`/`end` in seconds) to `path`.

    `duration` seconds long at `fps`, `width` x `height` pixels; `audio` (a file) is padded with
    silence or cut to that length, else `silent_track` adds a silent stereo track. Each card is
    one PNG frame that ffmpeg repeats (the `loop` filter), not a picture decoded 30 times a
    second. Written atomically: a partial file never has the final name. Raises
    `subprocess.CalledProcessError` or `subprocess.TimeoutExpired` when ffmpeg fails.
    """
    counts = frame_counts(shots, duration, fps)
    kept = [(card, count) for card, count in zip(shots, counts, strict=True) if count > 0]
    if not kept:
        raise ValueError("render_cards needs at least one card and a duration of one frame or more")
    with tempfile.TemporaryDirectory(prefix="storyc-video-") as folder:
        stills = []
        for index, (card, count) in enumerate(kept):
            image = os.path.join(folder, f"card{index}.png")
            draw_card(card, len(kept), heading, width, height, image)
            stills.append((image, count))
        encode_stills(path, stills, width, height, duration, audio, silent_track, fps)


def encode_stills(
    path: str, stills: Sequence[tuple[str, int]], width: int, height: int, duration: float,
    audio: Union[str, None] = None, silent_track: bool = False, fps: int = FPS,
) -> None:
    """Write an H.264 MP4 of still pictures, each (PNG, frames) shown for its count of frames, in order."""
    if not stills:
        raise ValueError("encode_stills needs at least one picture")
    command = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y"]
    chains = []
    for index, (image, count) in enumerate(stills):
        command += ["-i", image]
        chains.append(f"[{index}:v]scale={width}:{height},setsar=1,loop=loop={count - 1}:size=1:start=0,"
                      f"setpts=N/({fps}*TB)[c{index}]")
    inputs = len(stills)
    filters = ";".join(chains) + ";" + "".join(f"[c{i}]" for i in range(inputs))
    filters += f"concat=n={inputs}:v=1:a=0,settb=1/{fps},setpts=N[v]"
    if audio:
        command += ["-i", audio]
        filters += f";[{inputs}:a]apad[a]"
    elif silent_track:
        command += ["-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=44100"]
        filters += f";[{inputs}:a]anull[a]"
    command += ["-filter_complex", filters, "-map", "[v]"]
    if audio or silent_track:
        command += ["-map", "[a]", "-c:a", "aac", "-b:a", "96k"]
    partial = path + ".partial.mp4"
    command += [
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage", "-pix_fmt", "yuv420p",
        "-r", str(fps), "-t", f"{duration:.6f}", "-movflags", "+faststart", partial,
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    os.replace(partial, path)


def probe_audio_seconds(path: str) -> Union[float, None]:
    """The length of an audio file, read with mutagen; None when it is not readable audio."""
    from ..check.audio import measure_seconds

    return measure_seconds(path)
