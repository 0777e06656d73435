"""What a real media file holds, read with PyAV: picture size, frame rate, and each stream's length.

Durations come from the streams' own headers (frame count over frame rate for video), never from
the storyboard's declared timing: the cut and the exports are timed from these numbers.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from typing import NamedTuple, Union


class MediaInfo(NamedTuple):
    path: str
    width: int
    height: int
    rate: Fraction  # frames per second
    frames: int
    video_seconds: float
    audio_seconds: Union[float, None]  # None: no audio stream
    sample_rate: Union[int, None]
    # What a decoder needs to know of each stream (codec, layout, and a digest of the codec's own
    # setup bytes): two files whose signatures match can be joined without decoding that stream.
    video_signature: str = ""
    audio_signature: Union[str, None] = None

    @property
    def has_audio(self) -> bool:
        return self.audio_seconds is not None


class ProbeError(Exception):
    """The file is missing, not a media file, or has no video stream."""


def probe(path: str) -> MediaInfo:
    import av

    try:
        container = av.open(path)
    except (OSError, av.error.FFmpegError) as error:
        raise ProbeError(f"cannot read `{path}` as video: {error}") from None
    with container:
        if not container.streams.video:
            raise ProbeError(f"`{path}` has no video stream")
        video = container.streams.video[0]
        rate = Fraction(video.average_rate or video.guessed_rate or 30)
        frames = int(video.frames or 0)
        if frames > 0:
            video_seconds = float(frames / rate)
        elif video.duration is not None and video.time_base is not None:
            video_seconds = float(video.duration * video.time_base)
            frames = round(video_seconds * rate)
        else:
            video_seconds = float((container.duration or 0) / 1_000_000)
            frames = round(video_seconds * rate)
        audio_seconds: Union[float, None] = None
        sample_rate = None
        audio_signature = None
        if container.streams.audio:
            audio = container.streams.audio[0]
            sample_rate = int(audio.sample_rate or 0) or None
            audio_signature = _signature(audio.codec_context.name, sample_rate, audio.codec_context.channels,
                                         audio.codec_context.extradata)
            if audio.duration is not None and audio.time_base is not None:
                audio_seconds = float(audio.duration * audio.time_base)
            else:
                audio_seconds = float((container.duration or 0) / 1_000_000)
        width, height = int(video.codec_context.width), int(video.codec_context.height)
        video_signature = _signature(video.codec_context.name, video.codec_context.pix_fmt, width, height, rate,
                                     video.codec_context.extradata)
        return MediaInfo(path, width, height, rate, frames, video_seconds, audio_seconds, sample_rate,
                         video_signature, audio_signature)


def _signature(*parts: object) -> str:
    """The stream's described parts, then a digest of its codec setup bytes (the last part)."""
    *named, setup = parts
    digest = hashlib.sha256(setup if isinstance(setup, bytes) else b"").hexdigest()[:16]
    return " ".join(str(part) for part in named) + f" {digest}"
