"""The client against the emulator in-process: headers per call, the error tree, retries, downloads; and on
loopback through a recording proxy: lost upload answers, the share of the query rate, the emulator's speed."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_render_e2e import tone

from storyc.cli import main
from storyc.emulator import EmulatorConfig, Faults, create_app
from storyc.emulator.config import SPEED_HINT as EMULATOR_SPEED_HINT
from storyc.emulator.testing import Exchange, proxy, serve
from storyc.submit.client import (
    SPEED_HINT,
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
    on_loopback,
    parse_service_time,
    remove_partial_files,
    retryable,
    service_time,
)
from storyc.submit.scheduler import ACCOUNT_QUERIES_PER_SECOND, QUERIES_PER_SECOND, QUERY_SHARE, Scheduler

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


# -- the wire: lost upload answers, the query rate, the emulator's speed (issue 20) --------------------

def form_fields(exchange: Exchange) -> dict[str, bytes]:
    """The fields of a multipart/form-data request as the storage reads them: name -> value."""
    from email.parser import BytesParser
    from email.policy import HTTP

    head = f"Content-Type: {exchange.header('content-type')}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + exchange.body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[str(name)] = part.get_payload(decode=True) or b""
    return fields


def write_soundtrack_story(folder: Path) -> Path:
    tone(folder / "theme.wav", 3)
    story = folder / "song.story"
    story.write_text('storyboard "song"\nmodel wan2.7-t2v\nresolution 720P\nratio 1:1\nlanguage en\n'
                     "prompt-extend off\nwatermark off\n\nclip song 3s\n  soundtrack: theme.wav\n"
                     "  A paper boat drifts along a rainy gutter.\n", encoding="utf-8")
    return story


def test_an_upload_whose_answer_is_lost_starts_over_with_a_fresh_policy_and_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    story = write_soundtrack_story(tmp_path)
    config = EmulatorConfig(pending_seconds=0.2, running_seconds=0.3)
    app = create_app(config)
    exchanges: list[Exchange] = []

    def first_upload(exchange: Exchange) -> bool:  # stored by the emulator, its answer never delivered
        return exchange.target == "/oss/upload" and not any(e.target == "/oss/upload" for e in exchanges)

    with serve(config, app=app) as url, proxy(url, exchanges, drop=first_upload) as front:
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", front)
        monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
        code = main(["render", str(story), "--yes", "--json"])
    err = capsys.readouterr().err
    assert code == 0, err
    uploads = [e for e in exchanges if e.method == "POST" and e.target == "/oss/upload"]
    policies = [e for e in exchanges if e.target.startswith("/api/v1/uploads")]
    assert [(e.status, e.dropped) for e in uploads] == [(200, True), (200, False)]  # both reached storage
    assert len(policies) == 2 and all(e.status == 200 for e in policies)
    keys = [form_fields(e)["key"].decode() for e in uploads]
    folders = [json.loads(e.answer)["data"]["upload_dir"] for e in policies]
    assert keys[0] != keys[1] and all(key.startswith(folder + "/") for key, folder in zip(keys, folders, strict=True))
    assert not [e for e in exchanges if e.status == 409]  # the same key was never sent again
    creates = [e for e in exchanges if e.method == "POST" and e.target.endswith("/video-synthesis")]
    assert len(creates) == 1 and json.loads(creates[0].body)["input"]["audio_url"] == f"oss://{keys[1]}"
    assert (tmp_path / "renders" / "song" / "song.mp4").stat().st_size > 0


def test_a_second_upload_to_the_same_key_is_refused_409_as_oss_refuses_it() -> None:
    """What the policy's x-oss-forbid-overwrite does to a retry of the same key, as OSS answers it."""
    async def work(client: Client) -> Any:
        policy = await client.upload_policy("wan2.7-t2v")
        await client.upload(policy, "theme.wav", b"RIFF")
        with pytest.raises(InvalidRequest) as caught:
            await client.upload(policy, "theme.wav", b"RIFF")
        return caught.value

    error, recorder, _ = run(EmulatorConfig(render_videos=False), work)
    assert (error.status, error.code) == (409, "FileAlreadyExists") and error.request_id
    assert len(recorder.sent) == 3  # a refusal is not retried


def test_queries_take_at_most_half_the_accounts_rate() -> None:
    config = EmulatorConfig(pending_seconds=60, render_videos=False)
    exchanges: list[Exchange] = []

    async def main_loop(base: str) -> None:
        scheduler = Scheduler()
        async with httpx.AsyncClient() as http:
            client = Client(http, base, KEY, retry=FAST_RETRY, query_turn=scheduler.query_turn)
            created = await client.create(BODY)
            await asyncio.gather(*(client.query(created.task_id) for _ in range(3 * QUERIES_PER_SECOND)))

    with serve(config) as url, proxy(url, exchanges) as front:
        asyncio.run(main_loop(front))
    queries = sorted(e.sent_at for e in exchanges if e.target.startswith("/api/v1/tasks/"))
    busiest = max(sum(1 for other in queries if moment <= other < moment + 1.0) for moment in queries)
    assert QUERIES_PER_SECOND == ACCOUNT_QUERIES_PER_SECOND * QUERY_SHARE == 10
    assert len(queries) == 30 and busiest <= QUERIES_PER_SECOND
    assert not [e for e in exchanges if e.status == 429]


def test_the_emulators_speed_is_taken_only_from_a_loopback_root() -> None:
    assert SPEED_HINT == EMULATOR_SPEED_HINT
    assert on_loopback("http://127.0.0.1:8000") and on_loopback("http://[::1]:9") and on_loopback("http://localhost")
    assert not on_loopback("https://dashscope-intl.aliyuncs.com") and not on_loopback("http://emulator")
    config = EmulatorConfig(pending_seconds=1.0, running_seconds=3.0, speed=4.0, render_videos=False)

    async def created(base: str, transport: Any = None) -> float | None:
        async with httpx.AsyncClient(transport=transport) as http:
            client = Client(http, base, KEY, retry=FAST_RETRY)
            await client.create(BODY)
            return client.hinted_seconds

    with serve(config) as url:
        assert asyncio.run(created(url)) == 1.0  # (1 + 3) / 4 real seconds
        quiet = config._replace(speed_hint=False)
        with serve(quiet) as silent:
            assert asyncio.run(created(silent)) is None
    app = create_app(config)  # the same answer, from a root that is not on this machine, is not believed
    try:
        assert asyncio.run(created("http://emulator", httpx.ASGITransport(app=app))) is None
    finally:
        app.state.emulator.tasks.shutdown()


@pytest.mark.parametrize("hint", [True, False], ids=["announced", "no-speed-hint"])
def test_story_emulator_announces_its_speed_unless_told_not_to(hint: bool) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "storyc", "emulator", "--port", "0", "--no-video", "--quiet", "--speed", "2",
               "--pending", "1", "--running", "2", *([] if hint else ["--no-speed-hint"])]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[3].rstrip(",")
        headers = {"Authorization": f"Bearer {KEY}", "X-DashScope-Async": "enable"}
        created = httpx.post(url + "/api/v1/services/aigc/video-generation/video-synthesis", headers=headers, json=BODY)
        task_id = created.json()["output"]["task_id"]
        queried = httpx.get(f"{url}/api/v1/tasks/{task_id}", headers={"Authorization": f"Bearer {KEY}"})
    finally:
        process.terminate()
        process.communicate(timeout=10)
    for answer in (created, queried):
        assert answer.status_code == 200
        assert answer.headers.get(SPEED_HINT) == ("1.500" if hint else None)  # (1 + 2) / 2 real seconds
