"""Emulator settings: timings, keys, storage and fault injection, all in one value."""

from __future__ import annotations

from typing import NamedTuple, Union


class Faults(NamedTuple):
    """Rates (0..1) of injected faults; `seed` makes a chaos run repeatable."""

    throttle: float = 0.0  # 429 Throttling.RateQuota on a submission
    error_500: float = 0.0  # 500 InternalError on any API call
    error_503: float = 0.0  # 503 ModelUnavailable on a submission
    drop: float = 0.0  # the response is cut off after its headers
    slow: float = 0.0  # the response waits `slow_seconds` first
    slow_seconds: float = 2.0
    fail_task: float = 0.0  # a valid task ends FAILED with InternalError.Algo
    truncate_download: float = 0.0  # a result download stops half way
    seed: Union[int, None] = None


class EmulatorConfig(NamedTuple):
    """How the emulator behaves. Times are in service seconds; `speed` 10 runs ten times faster."""

    pending_seconds: float = 1.0
    running_seconds: float = 4.0
    speed: float = 1.0
    api_keys: Union[frozenset[str], None] = None  # None: any key of the form sk-…
    storage: str = ""  # where uploads and videos live; a temporary folder when empty
    url_lifetime_seconds: float = 24 * 3600  # signed result URLs
    task_lifetime_seconds: float = 24 * 3600  # then queries answer UNKNOWN
    policy_lifetime_seconds: float = 3600  # upload policies
    upload_lifetime_seconds: float = 48 * 3600  # oss:// files
    faults: Faults = Faults()
    render_videos: bool = True
