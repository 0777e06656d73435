"""Run the emulator from tests and scripts.

    with serve(EmulatorConfig(speed=20)) as base_url:      # a real server on 127.0.0.1
        dashscope.base_http_api_url = base_url + "/api/v1"

    async with asgi_client(create_app()) as client:         # in-process, no sockets
        await client.post("/api/v1/services/aigc/video-generation/video-synthesis", ...)

    app = create_app(FAST)
    with serve(FAST, app=app) as base_url:                  # served, its state readable
        ...
        app.state.emulator.tasks.billable()                 # every admitted task (the emulator's record)

The pytest fixtures `emulator_app` (use it with `asgi_client`) and `emulator_url` wrap these; enable them
with `pytest_plugins = ["storyc.emulator.testing"]` in a conftest.py.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any, AsyncIterator, Callable, Iterator, Union

from .app import create_app
from .config import EmulatorConfig

FAST = EmulatorConfig(pending_seconds=0.3, running_seconds=0.7)


@contextlib.contextmanager
def serve(config: EmulatorConfig = FAST, host: str = "127.0.0.1", port: int = 0, app: Any = None) -> Iterator[str]:
    """Serve the emulator on a loopback port in a background thread; yield its base URL.

    With `app` given (e.g. `create_app(config)`, kept to read `app.state.emulator`), that app is
    served; `config` still sets the connection timeouts.
    """
    from .server import bind, make_server

    sock = bind(host, port)
    server = make_server(app or create_app(config), config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="storyc-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the emulator did not start")
        time.sleep(0.01)
    bound = sock.getsockname()
    try:
        yield f"http://{bound[0]}:{bound[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextlib.contextmanager
def relay(url: str, hold: float = 0.0, watch: Union[Callable[[bytes], None], None] = None) -> Iterator[str]:
    """A TCP relay on 127.0.0.1 in front of the loopback server at `url`; yields the relay's base URL.

    `hold` delays every chunk of each answer (a kill then lands between a create and its answer);
    `watch` sees every chunk the client sends (to count requests on the wire, whoever sends them).
    """
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def pump(source: socket.socket, sink: socket.socket, delay: float, seen: Union[Callable[[bytes], None], None]) -> None:
        try:
            while data := source.recv(65536):
                if seen is not None:
                    seen(data)
                if delay:
                    time.sleep(delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection((host, int(port)))
            threading.Thread(target=pump, args=(client, upstream, 0.0, watch), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client, hold, None), daemon=True).start()

    thread = threading.Thread(target=accept, name="storyc-relay", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@contextlib.asynccontextmanager
async def asgi_client(app: Any, base_url: str = "http://emulator") -> AsyncIterator[Any]:
    """An httpx.AsyncClient talking to `app` in-process."""
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as client:
        yield client


try:
    import pytest
except ImportError:  # pragma: no cover - the fixtures are for pytest only
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def emulator_app() -> Any:
        """A fresh emulator app with fast timings."""
        return create_app(FAST)

    @pytest.fixture
    def emulator_url() -> Iterator[str]:
        """The base URL of a fresh emulator on a loopback port."""
        with serve(FAST) as url:
            yield url
