"""`story emulator`: serve the local emulator of the Wan text-to-video API."""

from __future__ import annotations

import argparse
from typing import Any

from .common import EXIT_OK, Command, UsageError


def define(emulator: argparse.ArgumentParser) -> None:
    emulator.add_argument("--host", default="127.0.0.1", help="the address to bind (default 127.0.0.1: this machine only)")
    emulator.add_argument("--port", type=int, default=8000, help="the port (default 8000; 0 picks a free one)")
    emulator.add_argument("--speed", type=float, default=1.0, help="run the task lifecycle this many times faster")
    emulator.add_argument("--pending", type=float, default=1.0, metavar="SECONDS", help="time a task stays PENDING")
    emulator.add_argument("--running", type=float, default=4.0, metavar="SECONDS", help="time a task stays RUNNING")
    emulator.add_argument("--key", action="append", metavar="KEY",
                          help="an API key to accept (repeatable; default: any key starting with sk-)")
    emulator.add_argument("--storage", metavar="DIR", help="where uploads and videos are kept (default: a temporary folder)")
    emulator.add_argument("--no-video", action="store_true", help="skip rendering result videos")
    for name, text in (("throttle", "429 Throttling.RateQuota on submissions"), ("error-500", "500 InternalError"),
                       ("error-503", "503 ModelUnavailable on submissions"), ("drop", "responses cut off"),
                       ("slow", "responses delayed by --slow-seconds"), ("fail-task", "tasks that end FAILED"),
                       ("truncate-download", "downloads that stop half way")):
        emulator.add_argument(f"--fault-{name}", type=float, default=0.0, metavar="RATE", help=f"rate (0-1) of {text}")
    emulator.add_argument("--slow-seconds", type=float, default=2.0, metavar="SECONDS")
    emulator.add_argument("--seed", type=int, help="seed for fault injection, to repeat a chaos run")
    emulator.set_defaults(run=run)


COMMANDS = {"emulator": Command(
    "run a local emulator of the Wan text-to-video API",
    "Serve the DashScope text-to-video API locally: the same paths, headers, bodies, errors and task "
    "lifecycle, with real MP4 results (one card per shot). Point a client at http://HOST:PORT "
    "(the DashScope SDK: dashscope.base_http_api_url = 'http://HOST:PORT/api/v1').",
    define,
)}


def run(options: argparse.Namespace) -> int:
    import uvicorn

    from ..emulator import EmulatorConfig, Faults, create_app

    rates = {name: getattr(options, f"fault_{name}") for name in
             ("throttle", "error_500", "error_503", "drop", "slow", "fail_task", "truncate_download")}
    if any(not 0 <= rate <= 1 for rate in rates.values()) or options.speed <= 0:
        raise UsageError("fault rates are between 0 and 1, and --speed is above 0")
    config = EmulatorConfig(
        pending_seconds=options.pending, running_seconds=options.running, speed=options.speed,
        api_keys=frozenset(options.key) if options.key else None, storage=options.storage or "",
        render_videos=not options.no_video,
        faults=Faults(**rates, slow_seconds=options.slow_seconds, seed=options.seed),
    )

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.servers:  # say where, once bound: --port 0 picks the port
                host, port = self.servers[0].sockets[0].getsockname()[:2]
                base = f"http://{host}:{port}"
                print(f"storyc emulator on {base}  (DashScope SDK: dashscope.base_http_api_url = "
                      f"'{base}/api/v1')", flush=True)

    server = Server(uvicorn.Config(create_app(config), host=options.host, port=options.port, log_level="warning"))
    try:
        server.run()
    except OSError as error:
        raise UsageError(f"cannot serve on {options.host}:{options.port}: {error.strerror or error}") from None
    except SystemExit:  # uvicorn exits after logging why it could not bind
        raise UsageError(f"cannot serve on {options.host}:{options.port}") from None
    return EXIT_OK
