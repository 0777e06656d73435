"""One run's connections: an httpx.AsyncClient, a `Client` per region, the scheduler — or the emulator.

Offline (no key, or `--offline`), the built-in emulator runs in-process behind httpx's ASGITransport,
with fast but realistic timings, so a storyboard renders on a machine with nothing else installed.
"""

from __future__ import annotations

import contextlib
from typing import Any, AsyncIterator, NamedTuple

import httpx

from ..models.regions import service_root
from .client import Client
from .scheduler import Scheduler

OFFLINE_KEY = "sk-storyc-offline"  # the emulator takes any sk- key; never a real one
OFFLINE_ROOT = "http://emulator"


def offline_config(region: str | None = None) -> Any:
    """The emulator's settings for offline runs: a task takes about a second."""
    from ..emulator import EmulatorConfig

    fields: dict[str, Any] = {"pending_seconds": 1.0, "running_seconds": 4.0, "speed": 5.0}
    if region is not None and "region" in EmulatorConfig._fields:
        fields["region"] = region
    return EmulatorConfig(**fields)


def expected_seconds(config: Any) -> float:
    return float(config.pending_seconds + config.running_seconds) / float(config.speed)


class Session(NamedTuple):
    clients: dict[str, Client]
    scheduler: Scheduler
    http: httpx.AsyncClient
    emulator: Any  # the offline emulator's app, or None
    expected: float | None  # the emulator's task duration, offline


@contextlib.asynccontextmanager
async def open_session(regions: set[str], key: str | None, base_url: str | None, offline: bool,
                       emulator_config: Any = None) -> AsyncIterator[Session]:
    scheduler = Scheduler()
    timeout = httpx.Timeout(30.0, connect=10.0)
    app = None
    expected = None
    if offline:
        from ..emulator import create_app

        config = emulator_config or offline_config(next(iter(sorted(regions)), None))
        app = create_app(config)
        expected = expected_seconds(config)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=timeout)
        roots = dict.fromkeys(regions, OFFLINE_ROOT)
        secret = OFFLINE_KEY
    else:
        assert key
        http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=40))
        roots = {region: service_root(region, base_url) for region in regions}
        secret = key
    clients = {region: Client(http, root, secret, query_turn=scheduler.query_turn) for region, root in roots.items()}
    try:
        yield Session(clients, scheduler, http, app, expected)
    finally:
        await http.aclose()
        if app is not None:
            app.state.emulator.tasks.shutdown()
