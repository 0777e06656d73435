"""`story emulator`: serve the local emulator of the Wan text-to-video API."""

from __future__ import annotations

import argparse
import math
import os
from typing import Any, Callable

from .common import EXIT_OK, Command, UsageError, catalog, profiles_option

FAULTS = (
    ("throttle", "429 Throttling.RateQuota on submissions"),
    ("error-500", "500 InternalError on API calls"),
    ("error-503", "503 ModelUnavailable on submissions"),
    ("drop", "responses cut off after their headers"),
    ("slow", "responses delayed by --slow-seconds"),
    ("fail-task", "tasks that end FAILED with InternalError.Algo"),
    ("truncate-download", "result downloads that stop half way"),
    ("data-inspection", "400 DataInspectionFailed on submissions"),
    ("data-inspection-task", "tasks that end FAILED with DataInspectionFailed"),
    ("arrearage", "400 Arrearage on submissions"),
    ("allocation-quota", "429 Throttling.AllocationQuota on submissions"),
    ("burst-rate", "429 Throttling.BurstRate on submissions"),
    ("timeout-task", "tasks that end FAILED with InternalError.Timeout"),
    ("stuck", "tasks stuck RUNNING for --stuck-seconds, then InternalError.Timeout"),
    ("expire-url", "result URLs that stop working --expire-url-seconds after success"),
)


def _number(low: float, high: float = math.inf, low_open: bool = False, what: str = "") -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] ((low, high] when `low_open`)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
            bound = f"above {low:g}" if low_open else f"at least {low:g}"
            if math.isfinite(high):
                bound += f" and at most {high:g}"
            raise argparse.ArgumentTypeError(f"{text!r} is not a {what or 'number'} {bound}")
        return value

    return parse


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is not between 0 and 65535 (0 picks a free one)")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _account(text: str) -> tuple[str, frozenset[str]]:
    name, equals, keys = text.partition("=")
    found = frozenset(key.strip() for key in keys.split(",") if key.strip())
    if not equals or not name.strip() or not found:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=KEY[,KEY...]")
    return name.strip(), found


def _storage(text: str) -> str:
    if not text:
        raise argparse.ArgumentTypeError("the storage folder is empty")
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is not a folder")
    try:
        os.makedirs(text, exist_ok=True)
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot create {text}: {error.strerror or error}") from None
    if not os.access(text, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text} is not writable")
    return text


def define(emulator: argparse.ArgumentParser) -> None:
    from ..emulator.config import REGIONS

    add = emulator.add_argument
    add("--host", default="127.0.0.1", help="the address to bind (default 127.0.0.1: this machine only)")
    add("--port", type=_port, default=8000, help="the port (default 8000; 0 picks a free one)")
    add("--speed", type=_number(0, low_open=True, what="speed"), default=1.0,
        help="run the task lifecycle this many times faster (default 1)")
    add("--pending", type=_number(0, what="time"), default=1.0, metavar="SECONDS",
        help="time a task stays PENDING (default 1)")
    add("--running", type=_number(0, what="time"), default=4.0, metavar="SECONDS",
        help="time a task stays RUNNING (default 4)")
    add("--region", choices=REGIONS, default="singapore",
        help="serve this region's model list (default singapore)")
    add("--account", action="append", type=_account, metavar="NAME=KEY[,KEY...]",
        help="an account and its keys, which share its limits and see its tasks (repeatable); "
        "with any --account or --key, other keys get 401 (default: every sk-… key is its own account)")
    add("--key", action="append", metavar="KEY", help="an API key to accept as its own account (repeatable)")
    add("--reject", choices=("async", "sync"), default="async",
        help="when a value the model does not take (size, duration…) is refused: async ends the task FAILED, "
        "sync answers 400 at submission (default async)")
    add("--no-limits", action="store_true", help="lift every rate and concurrency limit (load tests)")
    add("--fetch-remote-audio", action="store_true",
        help="download audio URLs on other hosts (default: stand them in by silence; nothing leaves loopback)")
    add("--storage", type=_storage, metavar="DIR",
        help="where uploads and videos are kept (default: a temporary folder, removed on exit)")
    add("--no-video", action="store_true", help="skip rendering result videos")
    add("--quiet", action="store_true", help="no log line per request")
    for name, text in FAULTS:
        add(f"--fault-{name}", type=_number(0, 1, what="rate"), default=0.0, metavar="RATE",
            help=f"rate (0-1) of {text} (default 0)")
    add("--slow-seconds", type=_number(0, what="time"), default=2.0, metavar="SECONDS",
        help="delay of --fault-slow (default 2)")
    add("--stuck-seconds", type=_number(0, what="time"), default=3 * 3600.0, metavar="SECONDS",
        help="how long --fault-stuck tasks stay RUNNING, in service seconds (default 10800)")
    add("--expire-url-seconds", type=_number(0, what="time"), default=60.0, metavar="SECONDS",
        help="life of a --fault-expire-url result URL, in service seconds (default 60)")
    add("--admin", action="store_true",
        help="serve GET /_emulator/tasks, the emulator's record of admitted tasks (for tests; not a service path)")
    add("--no-speed-hint", action="store_true",
        help="do not announce the task length in X-Storyc-Emulator-Task-Seconds (story render on loopback then "
        "polls as against the real service)")
    profiles_option(emulator)
    add("--seed", type=_seed, help="seed for fault injection, to repeat a chaos run (default: random)")
    emulator.set_defaults(run=run)


COMMANDS = {"emulator": Command(
    "run a local emulator of the Wan text-to-video API",
    "Serve the DashScope text-to-video API locally: the same paths, headers, bodies, errors, limits and "
    "task lifecycle, with real MP4 results (one card per shot). Point a client at http://HOST:PORT "
    "(the DashScope SDK: dashscope.base_http_api_url = 'http://HOST:PORT/api/v1'). Docs: docs/emulator.md",
    define,
)}


def run(options: argparse.Namespace) -> int:
    import logging
    import sys

    from ..emulator import EmulatorConfig, Faults, create_app
    from ..emulator.server import bind, make_server

    rates = {name.replace("-", "_"): getattr(options, f"fault_{name.replace('-', '_')}") for name, _ in FAULTS}
    accounts: dict[str, frozenset[str]] = {}
    for name, keys in options.account or ():
        accounts[name] = accounts.get(name, frozenset()) | keys
    config = EmulatorConfig(
        pending_seconds=options.pending, running_seconds=options.running, speed=options.speed,
        api_keys=frozenset(options.key) if options.key else None, storage=options.storage or "",
        render_videos=not options.no_video, accounts=accounts or None, region=options.region,
        reject=options.reject, limits=not options.no_limits, fetch_remote_audio=options.fetch_remote_audio,
        admin=options.admin, speed_hint=not options.no_speed_hint,
        faults=Faults(**rates, slow_seconds=options.slow_seconds, seed=options.seed,
                      stuck_seconds=options.stuck_seconds, expire_url_seconds=options.expire_url_seconds),
    )
    profiles = catalog(options)  # a bad --profiles folder is a usage error before anything is bound
    log = logging.getLogger("storyc.emulator")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.WARNING if options.quiet else logging.INFO)
    log.propagate = False
    try:
        sock = bind(options.host, options.port)
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise UsageError(f"cannot serve on {options.host}:{options.port}: {reason}") from None
    host, port = sock.getsockname()[:2]
    base = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
    print(f"storyc emulator on {base}, region {options.region}  (DashScope SDK: dashscope.base_http_api_url = "
          f"'{base}/api/v1')", flush=True)
    server: Any = make_server(create_app(config, profiles=profiles), config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return EXIT_OK
