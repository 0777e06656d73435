"""Draws this storyboard's first picture; nothing here is downloaded.

    python storyboards/bus-stop/refs/draw.py

A night bus stop at 16:9 (480x270), drawn with Pillow. Run it again to recreate the committed file byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent


def bus_stop(name: str) -> None:
    image = Image.new("RGB", (480, 270), (20, 24, 60))  # the night sky
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 200, 480, 270), fill=(45, 45, 50))  # the road
    draw.rectangle((300, 90, 420, 200), outline=(200, 200, 210), width=3)  # the shelter
    draw.rectangle((310, 160, 410, 170), fill=(120, 80, 40))  # its bench
    draw.rectangle((90, 70, 98, 200), fill=(30, 30, 30))  # the sign's pole
    draw.ellipse((74, 40, 114, 80), fill=(240, 200, 60))  # the sign
    image.save(HERE / name, optimize=False)


def main() -> None:
    bus_stop("bus-stop.png")


if __name__ == "__main__":
    main()
