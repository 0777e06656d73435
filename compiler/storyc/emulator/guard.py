"""The ASGI layer in front of every route: body size and time limits, the request log, and a JSON
answer (never a plain-text 500) if a route fails unexpectedly.

A body is read in full before the route runs, within `max_body_bytes` (`UPLOAD_BODY_BYTES` for the
OSS upload) and `body_timeout_seconds`: too large answers 400, too slow 408, both with the
service's JSON error shape (XML on the OSS path), and the connection is closed. One log line per
request goes to the `storyc.emulator` logger: method, path (never the query), status, latency, task.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any, Awaitable, Callable, MutableMapping, Union

from . import errors
from .errors import ApiError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("storyc.emulator")
UPLOAD_PATH = "/oss/upload"
UPLOAD_BODY_BYTES = 16 * 1024 * 1024  # the 15 MB audio limit plus the multipart form around it


def shown(text: str) -> str:
    """Text safe for a log line: control characters made visible."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:300])


class Guard:
    def __init__(self, app: ASGIApp, max_body_bytes: int = 1024 * 1024, body_timeout_seconds: float = 30.0) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        state: dict[str, Any] = {"status": 0}
        scope.setdefault("state", {})

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            await send(message)

        try:
            await self._handle(scope, receive, sending, state)
        finally:
            task = scope["state"].get("task_id", "-")
            log.info("%s %s %s %.1fms task=%s", scope.get("method", "?"), shown(scope.get("path", "")),
                     state["status"] or "-", (time.monotonic() - started) * 1000, shown(str(task)))

    async def _handle(self, scope: Scope, receive: Receive, send: Send, state: dict[str, Any]) -> None:
        upload = scope.get("path") == UPLOAD_PATH
        limit = UPLOAD_BODY_BYTES if upload else self.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, upload, errors.TOO_LARGE, "EntityTooLarge")
            return
        body = bytearray()
        deadline = time.monotonic() + self.body_timeout_seconds
        while True:
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                await _refuse(send, upload, errors.BODY_TIMEOUT, "RequestTimeout")
                return
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await _refuse(send, upload, errors.TOO_LARGE, "EntityTooLarge")
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay, send)
        except Exception:
            if state["status"]:
                raise  # the answer has begun: let the server cut the connection
            log.exception("unexpected error in %s %s", scope.get("method"), shown(scope.get("path", "")))
            await _answer(send, errors.INTERNAL)


def _content_length(scope: Scope) -> Union[int, None]:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(send: Send, error: ApiError, close: bool = False) -> None:
    body = json.dumps({"code": error.code, "message": error.message, "request_id": str(uuid.uuid4())}).encode()
    await _send(send, error.status, b"application/json", body, close)


async def _refuse(send: Send, upload: bool, error: ApiError, oss_code: str) -> None:
    """Answer a body that is too large or too slow, and close the connection (its rest is unread)."""
    if not upload:
        await _answer(send, error, close=True)
        return
    body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{oss_code}</Code>"
            f"<Message>{error.message}</Message></Error>").encode()
    await _send(send, error.status, b"application/xml", body, True)


async def _send(send: Send, status: int, media: bytes, body: bytes, close: bool) -> None:
    headers = [(b"content-type", media), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
