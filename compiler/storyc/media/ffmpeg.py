"""Running the ffmpeg binary that imageio-ffmpeg ships, so a `pip install` is all a user needs."""

from __future__ import annotations

import contextlib
import os
import subprocess
from typing import Sequence

from ..emulator.video import ffmpeg

SAMPLE_RATE = 48_000
AUDIO_FORMAT = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"


class MediaError(Exception):
    """ffmpeg failed, or an input cannot be used; the message says which file and why."""


# Intermediate files between passes: lossless H.264 and PCM in NUT, whose time bases are exact.
INTERMEDIATE = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-c:a", "pcm_s16le", "-f", "nut"]


def run(arguments: Sequence[str], what: str) -> None:
    """Run ffmpeg; MediaError with its last lines when it fails."""
    command = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *arguments]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise MediaError(f"ffmpeg did not run: {error}") from None
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise MediaError(f"ffmpeg failed writing {what}:\n{tail}")


# The film's codecs when a stream is encoded: H.264 for the picture, AAC at 48 kHz for the sound.
VIDEO_CODEC = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
AUDIO_CODEC = ["-c:a", "aac", "-b:a", "160k", "-ar", str(SAMPLE_RATE)]


def encode(arguments: Sequence[str], output: str,
           codecs: Sequence[str] = (*VIDEO_CODEC, *AUDIO_CODEC)) -> None:
    """Run ffmpeg writing `output` through a partial file, so a failed run leaves no half film behind.
    `codecs` says how each stream is written (`-c:v copy` keeps a stream as it is)."""
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise MediaError(f"cannot write `{output}`: no such folder")
    partial = output + ".partial.mp4"
    try:
        run([*arguments, *codecs, "-movflags", "+faststart", partial], f"`{output}`")
    except MediaError:
        _remove(partial)
        raise
    os.replace(partial, output)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
