"""Where each shot falls in its clip, from the durations and ranges written in the file."""

from __future__ import annotations

from typing import NamedTuple, Union

from .nodes import Clip, Duration, Shot, TimeRange


class Timed(NamedTuple):
    """A shot with its place in the clip, in milliseconds."""

    shot: Shot
    start: int
    end: int


def timed_shots(shots: tuple[Shot, ...] | list[Shot]) -> list[Timed]:
    """Lay shots end to end; an explicit range places its shot where it says."""
    timed: list[Timed] = []
    cursor = 0
    new = tuple.__new__  # several rules lay out every shot of every clip: skip Timed's Python __new__
    for shot in shots:
        timing = shot.timing
        if type(timing) is Duration:
            start, end = cursor, cursor + timing.millis
        else:
            start, end = timing.start_millis, timing.end_millis  # type: ignore[union-attr]
        timed.append(new(Timed, (shot, start, end)))
        cursor = end
    return timed


def total_millis(clip: Clip) -> Union[int, None]:
    """The clip's length: the shots' sum, else its stated duration, else None (the model default)."""
    shots = clip.shots
    if shots:
        return sum(t.end - t.start for t in timed_shots(shots))
    if clip.duration is not None:
        return clip.duration.millis
    return None


def seconds(millis: int) -> str:
    """`3000` -> `3`, `2500` -> `2.5`."""
    whole, rest = divmod(millis, 1000)
    return str(whole) if not rest else f"{whole}.{rest:03d}".rstrip("0")


def timing(value: Union[Duration, TimeRange]) -> str:
    if isinstance(value, Duration):
        return f"{seconds(value.millis)}s"
    return f"[{seconds(value.start_millis)}-{seconds(value.end_millis)}s]"
