"""Draws the small media files the media case files use; run it to recreate them (nothing is downloaded).

    python tests/cases/media/refs/make_refs.py

Pictures are drawn with Pillow, audio written with the standard `wave` module, clips encoded with PyAV.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import av
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent


def picture(name: str, size: tuple[int, int], colour: str, mode: str = "RGB") -> None:
    image = Image.new(mode, size, colour)
    ImageDraw.Draw(image).ellipse((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill="white")
    image.save(HERE / name)


def tone(name: str, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(HERE / name), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                          for i in range(int(seconds * rate)))
        out.writeframes(frames)


def clip(name: str, seconds: int, fps: int, size: int = 240) -> None:
    with av.open(str(HERE / name), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(seconds * fps):
            image = Image.new("RGB", (size, size), (index * 40 % 256, 80, 160))
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def main() -> None:
    picture("mei.png", (320, 480), "gold")
    picture("lin.png", (320, 480), "teal")
    picture("street.jpg", (480, 320), "navy")
    picture("door.png", (480, 320), "maroon")
    picture("fox.png", (400, 400), "orange")
    picture("owl.png", (400, 400), "brown")
    picture("tiny.png", (100, 100), "gray")
    picture("sliver.png", (2000, 240), "olive")
    picture("ghost.png", (300, 300), (0, 0, 0, 0), "RGBA")
    (HERE / "broken.png").write_text("not a picture\n", "utf-8")
    tone("voice.wav", 3)
    tone("blip.wav", 0.5)
    tone("song.wav", 6)
    clip("walk.mp4", 3, 16)
    clip("long.mp4", 12, 2)
    clip("slow.mp4", 3, 8)
    clip("run.mp4", 2, 16)


if __name__ == "__main__":
    main()
