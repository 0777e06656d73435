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
from typing import TYPE_CHECKING, NamedTuple, Union

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


def draw_card(card: Card, total: int, heading: str, width: int, height: int, path: str) -> None:
    from PIL import Image, ImageDraw

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
    """Write the MP4 for one task to `path` (atomically: a partial file never has the final name)."""
    shots = cards(prompt, float(duration))
    with tempfile.TemporaryDirectory(prefix="storyc-video-") as folder:
        command = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y"]
        for index, card in enumerate(shots):
            image = os.path.join(folder, f"card{index}.png")
            draw_card(card, len(shots), heading, width, height, image)
            command += ["-loop", "1", "-framerate", str(FPS), "-t", f"{card.end - card.start:.3f}", "-i", image]
        inputs = len(shots)
        filters = "".join(f"[{i}:v]" for i in range(inputs)) + f"concat=n={inputs}:v=1:a=0,fps={FPS}[v]"
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
            "-r", str(FPS), "-t", str(duration), "-movflags", "+faststart", partial,
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=600)
        os.replace(partial, path)


def probe_audio_seconds(path: str) -> Union[float, None]:
    """The length of an audio file, read with mutagen; None when it is not readable audio."""
    from ..audio import measure_seconds

    return measure_seconds(path)
