"""Draws this storyboard's reference pictures and sounds; nothing here is downloaded.

    python storyboards/rain-walk/refs/draw.py

Pictures are drawn with Pillow at 16:9 (480x270) or square (320x320); sounds are sine tones written with
the standard `wave` module. Run it again to recreate the committed files byte for byte.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent


def street(name: str, sky: tuple[int, int, int], lamp: tuple[int, int, int]) -> None:
    image = Image.new("RGB", (480, 270), sky)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 190, 480, 270), fill=(40, 40, 48))  # the wet road
    draw.rectangle((60, 60, 72, 190), fill=(20, 20, 20))  # a lamp post
    draw.ellipse((46, 40, 86, 80), fill=lamp)
    for x in range(100, 480, 40):  # rain
        draw.line((x, 0, x - 20, 190), fill=(150, 170, 200), width=2)
    image.save(HERE / name, optimize=False)


def door(name: str) -> None:
    image = Image.new("RGB", (480, 270), (70, 50, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((190, 40, 290, 270), fill=(150, 20, 30))
    draw.ellipse((265, 150, 279, 164), fill=(230, 200, 60))
    image.save(HERE / name, optimize=False)


def person(name: str, coat: tuple[int, int, int], extra: str) -> None:
    image = Image.new("RGB", (320, 320), (210, 220, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse((120, 40, 200, 120), fill=(240, 200, 170))  # face
    draw.polygon([(100, 300), (160, 120), (220, 300)], fill=coat)  # coat
    if extra == "umbrella":
        draw.pieslice((40, 0, 280, 160), 180, 360, fill=(200, 30, 40))
    image.save(HERE / name, optimize=False)


def tone(name: str, seconds: float, frequency: float, rate: int = 8000) -> None:
    with wave.open(str(HERE / name), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * frequency * i / rate)))
                                 for i in range(int(seconds * rate))))


def main() -> None:
    street("street.png", (40, 60, 110), (250, 220, 120))
    street("dusk.png", (120, 70, 90), (255, 160, 80))
    door("door.png")
    person("mei.png", (240, 200, 30), "")
    person("lin.png", (40, 60, 90), "umbrella")
    tone("mei-voice.wav", 3, 440)
    tone("drums.wav", 6, 110)


if __name__ == "__main__":
    main()
