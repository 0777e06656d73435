"""Emulator settings: timings, accounts, region, limits, storage and fault injection, all in one value."""

from __future__ import annotations

from typing import Mapping, NamedTuple, Union

REGIONS = ("beijing", "singapore", "virginia", "frankfurt")
# Not a header of the real service: the emulator's own task length in real seconds, on create and query
# answers, so that `story render` against an emulator on loopback polls at its pace (docs/emulator.md).
SPEED_HINT = "X-Storyc-Emulator-Task-Seconds"


class Faults(NamedTuple):
    """Rates (0..1) of injected faults; `seed` makes a chaos run repeatable.

    Each family draws from its own seeded stream, so turning one on does not shift the others.
    """

    throttle: float = 0.0  # 429 Throttling.RateQuota on a submission
    error_500: float = 0.0  # 500 InternalError on any API call
    error_503: float = 0.0  # 503 ModelUnavailable on a submission
    drop: float = 0.0  # the response is cut off after its headers
    slow: float = 0.0  # the response waits `slow_seconds` first
    slow_seconds: float = 2.0
    fail_task: float = 0.0  # a valid task ends FAILED with InternalError.Algo
    truncate_download: float = 0.0  # a result download stops half way
    seed: Union[int, None] = None
    # Added for issue 10; every one defaults to off.
    data_inspection: float = 0.0  # 400 DataInspectionFailed on a submission
    data_inspection_task: float = 0.0  # a task ends FAILED with DataInspectionFailed (output moderation)
    arrearage: float = 0.0  # 400 Arrearage on a submission
    allocation_quota: float = 0.0  # 429 Throttling.AllocationQuota on a submission
    burst_rate: float = 0.0  # 429 Throttling.BurstRate on a submission
    timeout_task: float = 0.0  # a task ends FAILED with InternalError.Timeout
    stuck: float = 0.0  # a task stays RUNNING for `stuck_seconds`, then fails with InternalError.Timeout
    stuck_seconds: float = 3 * 3600.0  # service seconds (the service gives up after 3 h)
    expire_url: float = 0.0  # a task's result URL stops working `expire_url_seconds` after it succeeded
    expire_url_seconds: float = 60.0


class EmulatorConfig(NamedTuple):
    """How the emulator behaves. Times are in service seconds; `speed` 10 runs ten times faster."""

    pending_seconds: float = 1.0
    running_seconds: float = 4.0
    speed: float = 1.0
    api_keys: Union[frozenset[str], None] = None  # None: any key of the form sk-…; each key its own account
    storage: str = ""  # where uploads and videos live; a temporary folder when empty
    url_lifetime_seconds: float = 24 * 3600  # signed result URLs
    task_lifetime_seconds: float = 24 * 3600  # then queries answer UNKNOWN and the task is forgotten
    policy_lifetime_seconds: float = 3600  # upload policies
    upload_lifetime_seconds: float = 48 * 3600  # oss:// files
    faults: Faults = Faults()
    render_videos: bool = True
    # Added for issue 10; the defaults keep earlier behaviour where the contract allows.
    accounts: Union[Mapping[str, frozenset[str]], None] = None  # account name -> its keys; others get 401
    region: str = "singapore"  # which region's model list is served (API reference §1)
    reject: str = "async"  # "async": bad parameter values end in a FAILED task; "sync": 400 at submission
    limits: bool = True  # False lifts every rate and concurrency limit (load tests)
    query_per_second: float = 20.0  # query, list and cancel together, per account (§8)
    policy_per_second: float = 100.0  # getPolicy per account and model (§8)
    fetch_remote_audio: bool = False  # True: download non-loopback audio URLs (network egress)
    max_body_bytes: int = 1024 * 1024  # a JSON request body
    body_timeout_seconds: float = 30.0  # a request body must arrive within this (real seconds)
    header_timeout_seconds: float = 10.0  # request headers must arrive within this (served by `serve`)
    fetch_timeout_seconds: float = 10.0  # a loopback audio download must finish within this
    render_workers: int = 2  # threads that render result videos
    admin: bool = False  # serve GET /_emulator/tasks, the emulator's own record of admitted tasks (tests)
    # Added for issue 20.
    speed_hint: bool = True  # send SPEED_HINT; False: a client learns task times as from the real service
