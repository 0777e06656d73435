"""Serving the app with uvicorn, hardened against slow clients.

`bind(host, port)` opens the listening socket first, so a bad address is one clear `OSError`
(not a log line and a `SystemExit` from inside uvicorn). `make_server(app, config, sock)` serves it
with an HTTP/1.1 protocol that closes a connection whose request headers have not arrived within
`header_timeout_seconds` (a drip-fed "slowloris" connection) with a 408; the body has its own
deadline in `guard.Guard`, and idle keep-alive connections close after 5 s.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any, Union

from .config import EmulatorConfig


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free one). Raises OSError or ValueError."""
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is not between 0 and 65535")
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
        sock.set_inheritable(True)
    except BaseException:
        sock.close()
        raise
    return sock


def protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a deadline on each request's headers."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Guarded(H11Protocol):
        waiting: Union[asyncio.TimerHandle, None] = None
        watched: Any = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self.waiting is None and (self.cycle is None or self.cycle.response_complete):
                self._arm()  # the next request on a kept-alive connection has begun
            super().data_received(data)
            if self.waiting is not None and self.cycle is not None and self.cycle is not self.watched:
                self.waiting.cancel()  # its headers are complete
                self.waiting = None

        def connection_lost(self, exc: Union[Exception, None]) -> None:
            if self.waiting is not None:
                self.waiting.cancel()
                self.waiting = None
            super().connection_lost(exc)

        def _arm(self) -> None:
            self.watched = self.cycle
            self.waiting = self.loop.call_later(header_timeout, self._too_slow)

        def _too_slow(self) -> None:
            self.waiting = None
            if self.cycle is self.watched and not self.transport.is_closing():
                self.transport.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                self.transport.close()

    return Guarded


def make_server(app: Any, config: EmulatorConfig, log_level: str = "warning") -> Any:
    """A uvicorn.Server for `app`; run it with `server.run(sockets=[bind(host, port)])`."""
    import uvicorn

    return uvicorn.Server(uvicorn.Config(
        app, http=protocol(config.header_timeout_seconds), lifespan="on", log_level=log_level,
        access_log=False, timeout_keep_alive=5,
    ))
