"""Run the emulator from tests and scripts.

    with serve(EmulatorConfig(speed=20)) as base_url:      # a real server on 127.0.0.1
        dashscope.base_http_api_url = base_url + "/api/v1"

    async with asgi_client(create_app()) as client:         # in-process, no sockets
        await client.post("/api/v1/services/aigc/video-generation/video-synthesis", ...)

    app = create_app(FAST)
    with serve(FAST, app=app) as base_url:                  # served, its state readable
        ...
        app.state.emulator.tasks.billable()                 # every admitted task (the emulator's record)

    with proxy(base_url, exchanges) as url:                  # an HTTP recorder on 127.0.0.1
        ...                                                  # exchanges: every request and its answer

The pytest fixtures `emulator_app` (use it with `asgi_client`) and `emulator_url` wrap these; enable them
with `pytest_plugins = ["storyc.emulator.testing"]` in a conftest.py.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any, AsyncIterator, Callable, Iterator, NamedTuple, Union

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
            _close(source, sink)

    def serve(client: socket.socket, stop: threading.Event) -> None:
        upstream = socket.create_connection((host, int(port)))
        threading.Thread(target=pump, args=(client, upstream, 0.0, watch), daemon=True).start()
        threading.Thread(target=pump, args=(upstream, client, hold, None), daemon=True).start()

    with _listening("storyc-relay", serve) as base:
        yield base


class Exchange(NamedTuple):
    """One request as it crossed the wire, and the answer the server gave it."""

    sent_at: float  # time.monotonic() when the whole request had arrived
    method: str
    target: str  # path and query, as sent
    headers: tuple[tuple[str, str], ...]  # names lower-cased, in the order sent
    body: bytes
    status: int  # the server's answer; 0 when the server closed without one
    answer: bytes
    answered_at: float
    dropped: bool  # the answer was kept from the client (see `proxy`'s `drop`)

    def header(self, name: str) -> Union[str, None]:
        return next((value for key, value in self.headers if key == name.lower()), None)


@contextlib.contextmanager
def proxy(url: str, exchanges: Union[list[Exchange], None] = None,
          drop: Union[Callable[[Exchange], bool], None] = None) -> Iterator[str]:
    """An HTTP/1.1 proxy on 127.0.0.1 in front of the loopback server at `url`; yields its base URL.

    Each request is read whole, passed on unchanged (the `Host` header too, so the server's own URLs —
    upload host, result links — lead back through the proxy) and appended with its answer to
    `exchanges`. When `drop(exchange)` is true the server has handled the request, but the client's
    connection is closed instead of answered: an answer lost on the way back.
    """
    import h11

    host, port = url.split("//", 1)[1].rsplit(":", 1)
    record = exchanges if exchanges is not None else []
    lock = threading.Lock()

    def next_event(connection: Any, source: socket.socket) -> Any:
        while True:
            event = connection.next_event()
            if event is not h11.NEED_DATA:
                return event
            connection.receive_data(source.recv(65536))

    def read_message(connection: Any, source: socket.socket) -> tuple[Any, bytes]:
        head = next_event(connection, source)
        if type(head) in (h11.ConnectionClosed, h11.EndOfMessage):
            return None, b""
        body = bytearray()
        while type(event := next_event(connection, source)) is h11.Data:
            body += event.data
        return head, bytes(body)

    def serve_client(client: socket.socket, stop: threading.Event) -> None:
        downstream = h11.Connection(h11.SERVER)
        upstream_socket = socket.create_connection((host, int(port)))
        upstream = h11.Connection(h11.CLIENT)
        try:
            while not stop.is_set():
                request, body = read_message(downstream, client)
                if request is None:
                    return
                arrived = time.monotonic()
                headers = tuple((name.decode("latin-1").lower(), value.decode("latin-1"))
                                for name, value in request.headers.raw_items())
                upstream_socket.sendall(upstream.send(h11.Request(method=request.method, target=request.target,
                                                                  headers=request.headers.raw_items())))
                upstream_socket.sendall(upstream.send(h11.Data(data=body)) if body else b"")
                upstream_socket.sendall(upstream.send(h11.EndOfMessage()))
                response, answer = read_message(upstream, upstream_socket)
                exchange = Exchange(arrived, request.method.decode(), request.target.decode("latin-1"), headers, body,
                                    response.status_code if response is not None else 0, answer, time.monotonic(),
                                    False)
                dropped = response is None or (drop is not None and drop(exchange))
                with lock:
                    record.append(exchange._replace(dropped=dropped))
                if dropped:
                    return
                client.sendall(downstream.send(h11.Response(status_code=response.status_code,
                                                            headers=response.headers.raw_items(),
                                                            reason=response.reason)))
                client.sendall(downstream.send(h11.Data(data=answer)) if answer else b"")
                client.sendall(downstream.send(h11.EndOfMessage()))
                if downstream.our_state is h11.MUST_CLOSE or upstream.their_state is h11.MUST_CLOSE:
                    return
                downstream.start_next_cycle()
                upstream.start_next_cycle()
        except (OSError, h11.ProtocolError):
            return
        finally:
            _close(client, upstream_socket)

    with _listening("storyc-proxy", serve_client) as base:
        yield base


@contextlib.contextmanager
def _listening(name: str, serve: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A listener on 127.0.0.1 handing each connection to `serve` on a thread of its own (with the event
    set when the listener closes); yields its base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(client, stop), daemon=True).start()

    thread = threading.Thread(target=accept, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def _close(*ends: socket.socket) -> None:
    for end in ends:
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()


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
