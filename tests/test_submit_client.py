"""The client against the emulator in-process: headers per call, the error tree, retries, downloads."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_render_e2e import tone

from storyc.emulator import EmulatorConfig, Faults, create_app
from storyc.submit.client import (
    AccessDenied,
    AuthError,
    Client,
    InvalidRequest,
    NetworkError,
    RateLimited,
    ResponseLost,
    Retry,
    ServerError,
    error_for,
    parse_service_time,
    remove_partial_files,
    retryable,
    service_time,
)

KEY = "sk-client-test"
BODY = {"model": "wan2.7-t2v", "input": {"prompt": "a paper boat in the rain"},
        "parameters": {"resolution": "720P", "ratio": "1:1", "duration": 2, "prompt_extend": False}}
FAST_RETRY = Retry(attempts=4, base=0.001, cap=0.01)


class Recorder(httpx.AsyncBaseTransport):
    """Passes every request to the real app and keeps what was sent (method, path, headers)."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)


def run(config: EmulatorConfig, work: Any, key: str = KEY) -> tuple[Any, Recorder, Any]:
    app = create_app(config)
    recorder = Recorder(app)

    async def main() -> Any:
        async with httpx.AsyncClient(transport=recorder) as http:
            client = Client(http, "http://emulator", key, retry=FAST_RETRY)
            return await work(client), client

    try:
        result, client = asyncio.run(main())
    finally:
        app.state.emulator.tasks.shutdown()
    return result, recorder, client


def test_async_header_only_on_create_and_oss_header_only_with_an_oss_url(tmp_path: Path) -> None:
    audio = tmp_path / "theme.wav"
    tone(audio, 4)

    async def work(client: Client) -> Any:
        plain = await client.create(BODY)
        await client.query(plain.task_id)
        policy = await client.upload_policy("wan2.7-t2v")
        url = await client.upload(policy, "theme.wav", audio.read_bytes())
        body = {**BODY, "input": {**BODY["input"], "audio_url": url}}
        await client.create(body)
        return url

    url, recorder, _ = run(EmulatorConfig(render_videos=False), work)
    assert url.startswith("oss://")
    create, query, policy, upload, create_oss = recorder.sent
    assert create.headers["x-dashscope-async"] == "enable"
    assert "x-dashscope-ossresourceresolve" not in create.headers
    assert "x-dashscope-async" not in query.headers and query.method == "GET"
    assert "x-dashscope-async" not in policy.headers
    assert "authorization" not in upload.headers  # the policy signs the upload; the key stays with the API
    assert create_oss.headers["x-dashscope-async"] == "enable"
    assert create_oss.headers["x-dashscope-ossresourceresolve"] == "enable"


def test_a_bad_key_is_an_auth_error_with_the_services_code_and_request_id_and_no_key() -> None:
    async def work(client: Client) -> Any:
        with pytest.raises(AuthError) as caught:
            await client.create(BODY)
        return caught.value

    error, recorder, _ = run(EmulatorConfig(api_keys=frozenset({"sk-the-right-one"})), work, key="sk-wrong-key")
    assert error.code == "InvalidApiKey" and error.status == 401 and error.request_id
    assert "sk-wrong-key" not in str(error) and "sk-wrong-key" not in repr(error)
    assert len(recorder.sent) == 1  # never retried


def test_parameter_errors_are_never_retried() -> None:
    async def work(client: Client) -> Any:
        with pytest.raises(InvalidRequest) as caught:
            await client.create({**BODY, "model": "wan9-imaginary"})
        return caught.value

    error, recorder, _ = run(EmulatorConfig(render_videos=False), work)
    assert error.code == "InvalidParameter" and len(recorder.sent) == 1
    assert not retryable(error)


def test_throttling_is_retried_with_backoff_then_reported() -> None:
    async def work(client: Client) -> Any:
        with pytest.raises(RateLimited) as caught:
            await client.create(BODY)
        return caught.value

    error, recorder, client = run(EmulatorConfig(render_videos=False, faults=Faults(throttle=1.0)), work)
    assert error.code.startswith("Throttling")
    assert len(recorder.sent) == FAST_RETRY.attempts == client.counters.throttled


def test_a_lost_create_answer_is_never_resent_but_a_lost_query_is() -> None:
    async def work(client: Client) -> Any:
        with pytest.raises(ResponseLost):
            await client.create(BODY)
        creates = len(client.http._transport.sent)  # type: ignore[attr-defined]
        with pytest.raises(ResponseLost):
            await client.query("no-such-task")
        return creates

    creates, recorder, _ = run(EmulatorConfig(render_videos=False, faults=Faults(drop=1.0)), work)
    assert creates == 1
    assert len(recorder.sent) == 1 + FAST_RETRY.attempts


def test_a_truncated_download_raises_and_leaves_no_partial_file(tmp_path: Path) -> None:
    async def work(client: Client) -> Any:
        created = await client.create(BODY)
        while True:
            document = await client.query(created.task_id)
            if document["output"]["task_status"] == "SUCCEEDED":
                break
            await asyncio.sleep(0.05)
        with pytest.raises(NetworkError, match="stopped at|broke off"):
            await client.download(document["output"]["video_url"], str(tmp_path), "clip")
        return None

    config = EmulatorConfig(pending_seconds=0.05, running_seconds=0.05, faults=Faults(truncate_download=1.0))
    run(config, work)
    assert os.listdir(tmp_path) == []


def test_a_whole_download_is_checked_and_hashed(tmp_path: Path) -> None:
    async def work(client: Client) -> Any:
        created = await client.create(BODY)
        while (document := await client.query(created.task_id))["output"]["task_status"] != "SUCCEEDED":
            await asyncio.sleep(0.05)
        return await client.download(document["output"]["video_url"], str(tmp_path), "clip")

    got, _, _ = run(EmulatorConfig(pending_seconds=0.05, running_seconds=0.05), work)
    import hashlib

    data = Path(got.path).read_bytes()
    assert len(data) == got.size and hashlib.sha256(data).hexdigest() == got.sha256
    assert remove_partial_files(str(tmp_path)) == 1  # the caller moves it into place; a leftover is cleaned


def test_list_tasks_finds_what_was_created() -> None:
    import time

    async def work(client: Client) -> Any:
        created = await client.create(BODY)
        rows = await client.list_tasks(time.time() - 60, time.time() + 60, "wan2.7-t2v")
        return created, rows

    (created, rows), _, _ = run(EmulatorConfig(render_videos=False), work)
    assert created.task_id in {row["task_id"] for row in rows}


@pytest.mark.parametrize(("status", "code", "kind"), [
    (400, "Arrearage", AccessDenied), (429, "Throttling.AllocationQuota", AccessDenied),
    (403, "AccessDenied.Unpurchased", AccessDenied), (400, "DataInspectionFailed", InvalidRequest),
    (503, "ModelUnavailable", ServerError), (502, "", ServerError), (429, "Throttling", RateLimited),
], ids=lambda value: str(getattr(value, "__name__", value)))
def test_error_answers_map_to_the_tree(status: int, code: str, kind: type) -> None:
    error = error_for(status, {"code": code, "message": "m", "request_id": "r"}, httpx.Headers({"Retry-After": "3"}))
    assert type(error) is kind
    assert retryable(error) == (kind in (ServerError, RateLimited))
    if isinstance(error, RateLimited):
        assert error.retry_after == 3.0


def test_service_times_round_trip() -> None:
    moment = 1_780_000_000.0
    text = service_time(moment)
    shown = f"{text[:4]}-{text[4:6]}-{text[6:8]} {text[8:10]}:{text[10:12]}:{text[12:14]}.250"
    assert parse_service_time(shown) == moment + 0.25
