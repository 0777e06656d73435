"""Hostile requests, the official SDK and the command line, against a real emulator on loopback.

Every request listed in issue 10 is replayed: each gets a documented 4xx (or a bounded timeout)
and the server keeps answering others meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Iterator

import httpx
import pytest

from storyc.cli import main
from storyc.emulator import EmulatorConfig
from storyc.emulator.testing import serve

CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
KEY = "sk-hostile"
SUBMIT = {"Authorization": f"Bearer {KEY}", "X-DashScope-Async": "enable"}
BODY = {"model": "wan2.7-t2v", "input": {"prompt": "x"}, "parameters": {"resolution": "720P", "duration": 2}}
CONFIG = EmulatorConfig(pending_seconds=0.1, running_seconds=0.2, render_videos=False, header_timeout_seconds=1,
                        body_timeout_seconds=1, fetch_timeout_seconds=1, limits=False)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve(CONFIG) as url:
        yield url


def raw(base: str, request: bytes, timeout: float = 5) -> bytes:
    """Send bytes on a fresh connection and read until the server closes it or goes quiet."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        with contextlib.suppress(OSError):  # the server may answer and close before taking all of it
            connection.sendall(request)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
                if b"\r\n\r\n" in received and _complete(received):
                    break
        except (ConnectionResetError, TimeoutError):
            pass
        return received


def _answer(connection: socket.socket, deadline: float) -> bytes:
    """The whole response on an open connection (a recv may return its headers alone), or b"still open"."""
    received = b""
    try:
        while not (b"\r\n\r\n" in received and _complete(received)):
            connection.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return received or b"still open"


def _complete(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def post(path: str, body: bytes, content_type: bytes = b"application/json", extra: bytes = b"") -> bytes:
    return (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: emulator\r\nAuthorization: Bearer " + KEY.encode()
            + b"\r\nX-DashScope-Async: enable\r\nContent-Type: " + content_type + b"\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


def assert_documented(response: bytes, status: int) -> dict[str, Any]:
    assert status_of(response) == status, response[:300]
    payload: dict[str, Any] = json.loads(response.partition(b"\r\n\r\n")[2])
    assert set(payload) == {"code", "message", "request_id"}
    return payload


def test_lone_surrogate_prompt_is_refused_and_queries_stay_well(base: str) -> None:
    body = b'{"model": "wan2.7-t2v", "input": {"prompt": "a\\ud800b"}}'
    assert assert_documented(raw(base, post(CREATE, body)), 400)["code"] == "InvalidParameter"
    key_surrogate = b'{"model": "wan2.7-t2v", "input": {"prompt": "a", "\\udfff": 1}}'
    assert_documented(raw(base, post(CREATE, key_surrogate)), 400)
    created = httpx.post(base + CREATE, headers=SUBMIT, json=BODY).json()
    view = httpx.get(f"{base}/api/v1/tasks/{created['output']['task_id']}", headers={"Authorization": f"Bearer {KEY}"})
    assert view.status_code == 200


@pytest.mark.parametrize("depth", [33, 1500, 100_000])
def test_deeply_nested_json_is_refused(base: str, depth: int) -> None:
    body = b'{"model": "wan2.7-t2v", "input": {"prompt": "x"}, "x": ' + b"[" * depth + b"]" * depth + b"}"
    assert assert_documented(raw(base, post(CREATE, body)), 400)["code"] == "InvalidParameter"


def test_twenty_megabyte_json_body_is_refused_unread(base: str) -> None:
    body = b'{"model": "wan2.7-t2v", "input": {"prompt": "' + b"x" * (20 * 1024 * 1024) + b'"}}'
    started = time.monotonic()
    assert assert_documented(raw(base, post(CREATE, body)), 400)["message"] == "Request body is too large."
    assert time.monotonic() - started < 5


def test_json_body_that_lies_about_its_length_is_refused(base: str) -> None:
    request = post(CREATE, b"{}").replace(b"Content-Length: 2", b"Content-Length: 99999999")
    assert_documented(raw(base, request), 400)


def upload_form(base: str) -> tuple[dict[str, str], str, str]:
    data = httpx.get(f"{base}/api/v1/uploads?action=getPolicy&model=wan2.7-t2v",
                     headers={"Authorization": f"Bearer {KEY}"}).json()["data"]
    form = {"Signature": data["signature"], "policy": data["policy"],
            "x-oss-forbid-overwrite": data["x_oss_forbid_overwrite"]}
    return form, data["upload_dir"], data["upload_host"]


@pytest.mark.parametrize(
    ("name", "action", "status"),
    [("a\x00b.wav", "200", 400), ("trailing/", "200", 400), ("a.wav/below.wav", "200", 200),
     ("s" * 300 + "/a.wav", "200", 200), ("ok1.wav", "abc", 204), ("ok2.wav", "0", 204), ("ok3.wav", "999", 204),
     ("ok4.wav", "1000", 204)],
    ids=["nul", "trailing-slash", "under-a-file", "300-char-segment", "status-abc", "status-0", "status-999",
         "status-1000"],
)
def test_hostile_uploads(base: str, name: str, action: str, status: int) -> None:
    form, folder, host = upload_form(base)
    httpx.post(host, data={**form, "key": f"{folder}/a.wav"}, files={"file": ("a.wav", b"RIFF")})
    answer = httpx.post(host, data={**form, "key": f"{folder}/{name}", "success_action_status": action},
                        files={"file": ("a.wav", b"RIFF")})
    assert answer.status_code == status, answer.text


def test_twenty_megabyte_upload_is_refused(base: str) -> None:
    form, folder, host = upload_form(base)
    answer = httpx.post(host, data={**form, "key": f"{folder}/big.mp3"},
                        files={"file": ("big.mp3", b"\0" * (20 * 1024 * 1024))})
    assert answer.status_code == 400 and "<Code>EntityTooLarge</Code>" in answer.text


def test_garbage_multipart_is_a_documented_error(base: str) -> None:
    path = "/oss/upload"
    response = raw(base, post(path, b"--x\r\nnonsense", b"multipart/form-data; boundary=x"))
    assert 400 <= status_of(response) < 500


def _drip(connection: socket.socket, data: bytes) -> None:
    """One more byte; a server that already answered (408) and closed is what the test wants."""
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        connection.sendall(data)


def test_dripping_connections_are_timed_out_and_the_server_stays_responsive(base: str) -> None:
    host, port = base.removeprefix("http://").split(":")
    headers_drip = [socket.create_connection((host, int(port))) for _ in range(150)]
    body_drip = [socket.create_connection((host, int(port))) for _ in range(150)]
    try:
        for connection in headers_drip:
            connection.sendall(b"GET /api/v1/tasks HTTP/1.1\r\n")
        for connection in body_drip:
            connection.sendall(post(CREATE, b"{" + b" " * 99)[:-99])
        started = time.monotonic()
        for _ in range(3):  # a byte now and then never resets the deadline
            for connection in headers_drip:
                _drip(connection, b"X")
            for connection in body_drip:
                _drip(connection, b" ")
            answer = httpx.get(f"{base}/api/v1/tasks", headers={"Authorization": f"Bearer {KEY}"}, timeout=2)
            assert answer.status_code == 200
            time.sleep(0.3)
        answers = [_answer(connection, deadline=started + 3) for connection in headers_drip + body_drip]
        assert time.monotonic() - started < 4
        assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers[:150]), set(answers[:150])
        for answer in answers[150:]:
            assert_documented(answer, 408)
    finally:
        for connection in headers_drip + body_drip:
            connection.close()


class Trickle:
    """An audio server on loopback that sends one byte every 0.2 s (of its body, or of its headers)."""

    def __init__(self, headers: bool = False) -> None:
        self.headers = headers
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self.drip, args=(connection,), daemon=True).start()

    def drip(self, connection: socket.socket) -> None:
        with connection:
            connection.recv(4096)
            if self.headers:
                connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            else:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nContent-Length: 100000\r\n\r\n")
            while not self.stop.wait(0.2):
                try:
                    connection.sendall(b"R")
                except OSError:
                    return

    def close(self) -> None:
        self.stop.set()
        self.server.close()


@pytest.mark.parametrize("headers", [False, True], ids=["body", "headers"])
def test_trickling_audio_urls_time_out_without_holding_up_other_tasks(base: str, headers: bool) -> None:
    trickle = Trickle(headers)
    query = {"Authorization": f"Bearer {KEY}"}
    try:
        slow = [httpx.post(base + CREATE, headers=SUBMIT, json={**BODY, "input": {
            "prompt": "x", "audio_url": f"http://127.0.0.1:{trickle.port}/slow{i}.wav"}}).json()["output"]["task_id"]
            for i in range(2)]
        plain = httpx.post(base + CREATE, headers=SUBMIT, json=BODY).json()["output"]["task_id"]
        started = time.monotonic()
        while httpx.get(f"{base}/api/v1/tasks/{plain}", headers=query).json()["output"]["task_status"] != "SUCCEEDED":
            assert time.monotonic() - started < 1.5, "an unrelated task waited for the trickling downloads"
            time.sleep(0.05)
        for task_id in slow:
            while (view := httpx.get(f"{base}/api/v1/tasks/{task_id}", headers=query).json())["output"][
                    "task_status"] in ("PENDING", "RUNNING"):
                assert time.monotonic() - started < 4
                time.sleep(0.05)
            assert (view["output"]["task_status"], view["output"]["code"]) == ("FAILED", "InvalidURL.Timeout")
    finally:
        trickle.close()


# -- the official SDK ----------------------------------------------------------------------------

ACCOUNTS = {"studio": frozenset({"sk-studio-1", "sk-studio-2"}), "rival": frozenset({"sk-rival"})}
SDK_CONFIG = EmulatorConfig(pending_seconds=0.5, running_seconds=1.0, render_videos=False, accounts=ACCOUNTS)


def test_sdk_sees_429_while_it_polls_when_the_account_spent_its_budget() -> None:
    dashscope = pytest.importorskip("dashscope")
    from dashscope import VideoSynthesis

    from storyc.emulator import create_app

    now = [1000.0]  # the emulator's clock stands still until the test moves it: no race with the window
    app = create_app(SDK_CONFIG, clock=lambda: now[0])
    with serve(SDK_CONFIG, app=app) as url:
        dashscope.base_http_api_url = f"{url}/api/v1"
        created = VideoSynthesis.async_call(api_key="sk-studio-1", model="wan2.7-t2v", prompt="a fox",
                                            resolution="720P", duration=2)
        assert created.status_code == 200
        other_key = {"Authorization": "Bearer sk-studio-2"}  # the same account, another key
        with httpx.Client(base_url=url) as client:
            spent = [client.get(f"/api/v1/tasks/{created.output.task_id}", headers=other_key).status_code
                     for _ in range(20)]
        assert spent == [200] * 20
        polled = VideoSynthesis.wait(task=created, api_key="sk-studio-1")
        assert (polled.status_code, polled.code) == (429, "Throttling.RateQuota")
        rival = VideoSynthesis.fetch(task=created.output.task_id, api_key="sk-rival")
        assert rival.status_code == 200  # another account has its own budget
        now[0] += 10  # the window has passed, and the task its running time
        done = VideoSynthesis.wait(task=created, api_key="sk-studio-2")
        assert done.output.task_status == "SUCCEEDED"


def test_sdk_unknown_model_in_a_region() -> None:
    dashscope = pytest.importorskip("dashscope")
    from dashscope import VideoSynthesis

    with serve(SDK_CONFIG._replace(region="virginia")) as url:
        dashscope.base_http_api_url = f"{url}/api/v1"
        refused = VideoSynthesis.async_call(api_key="sk-studio-1", model="wan2.7-t2v", prompt="a fox", duration=2)
        assert (refused.status_code, refused.code, refused.message) == (400, "InvalidParameter", "Model not exist.")
        accepted = VideoSynthesis.async_call(api_key="sk-studio-1", model="wan2.6-t2v-us", prompt="a fox",
                                             size="1280*720", duration=5)
        assert accepted.status_code == 200


def test_sdk_key_of_another_account_sees_nothing() -> None:
    dashscope = pytest.importorskip("dashscope")
    from dashscope import VideoSynthesis

    with serve(SDK_CONFIG._replace(pending_seconds=30)) as url:
        dashscope.base_http_api_url = f"{url}/api/v1"
        created = VideoSynthesis.async_call(api_key="sk-studio-1", model="wan2.7-t2v", prompt="a fox",
                                            resolution="720P", duration=2)
        task_id = created.output.task_id
        seen = VideoSynthesis.fetch(task=task_id, api_key="sk-rival")
        assert (seen.status_code, seen.output.task_status) == (200, "UNKNOWN")
        cancel = VideoSynthesis.cancel(task=task_id, api_key="sk-rival")
        assert (cancel.status_code, cancel.code) == (400, "UnsupportedOperation")
        listed = VideoSynthesis.list(api_key="sk-rival")
        assert listed.status_code == 200 and task_id not in json.dumps(listed.output, default=str)
        assert VideoSynthesis.fetch(task=task_id, api_key="sk-studio-2").output.task_status == "PENDING"
        unlisted = VideoSynthesis.fetch(task=task_id, api_key="sk-stranger")
        assert (unlisted.status_code, unlisted.code) == (401, "InvalidApiKey")


# -- the command line ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "arguments",
    [["--port", "99999"], ["--port", "-1"], ["--port", "http"], ["--speed", "nan"], ["--speed", "0"],
     ["--speed", "inf"], ["--pending", "-1"], ["--running", "nan"], ["--storage", "/dev/null"],
     ["--fault-drop", "1.5"], ["--fault-stuck", "nan"], ["--seed", "x"], ["--region", "mars"],
     ["--reject", "maybe"], ["--account", "nokeys="], ["--account", "=sk-a"], ["--slow-seconds", "-2"]],
    ids=lambda arguments: " ".join(arguments),
)
def test_bad_option_values_are_clean_usage_errors(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", *arguments]) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error and "error:" in error


def test_port_out_of_range_and_busy_port_each_give_one_line() -> None:
    out_of_range = subprocess.run([sys.executable, "-m", "storyc", "emulator", "--port", "99999"],
                                  capture_output=True, text=True, timeout=30)
    assert out_of_range.returncode == 2 and "Traceback" not in out_of_range.stderr
    assert "port 99999 is not between 0 and 65535" in out_of_range.stderr
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "storyc", "emulator", "--port", str(port)],
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "cannot serve on" in result.stderr


def test_help_shows_every_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for default in ("PENDING (default 1)", "RUNNING (default 4)", "faster (default 1)", "(default singapore)",
                    "(default async)", "(default 8000"):
        assert default in text, default


@pytest.mark.parametrize("quiet", [False, True], ids=["logged", "quiet"])
def test_one_log_line_per_request_and_never_the_key(quiet: bool) -> None:
    command = [sys.executable, "-m", "storyc", "emulator", "--port", "0", "--no-video", "--key", "sk-secret-log"]
    process = subprocess.Popen(command + (["--quiet"] if quiet else []), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[3].rstrip(",")
        headers = {"Authorization": "Bearer sk-secret-log", "X-DashScope-Async": "enable"}
        task_id = httpx.post(url + CREATE, headers=headers, json=BODY).json()["output"]["task_id"]
        httpx.get(f"{url}/api/v1/tasks/{task_id}?secret=query", headers={"Authorization": "Bearer sk-secret-log"})
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)
    assert "sk-secret-log" not in errors and "secret=query" not in errors
    lines = [line for line in errors.splitlines() if "/api/v1/" in line]
    if quiet:
        assert lines == []
        return
    assert len(lines) == 2, errors
    assert f"POST {CREATE} 200" in lines[0] and f"task={task_id}" in lines[0] and "ms" in lines[0]
    assert f"GET /api/v1/tasks/{task_id} 200" in lines[1]


def test_any_bytes_to_any_route_get_a_documented_answer(base: str) -> None:
    """Arbitrary bytes as a JSON body or as a multipart upload: never a 5xx, the server answers on."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    fragments = st.sampled_from([b"--x\r\n", b'Content-Disposition: form-data; name="file"; filename="a.wav"\r\n',
                                 b'Content-Disposition: form-data; name="key"\r\n', b"\r\n", b"--x--\r\n", b"\x00",
                                 b'{"model": "wan2.7-t2v"', b"\xff\xfe", b"\\ud800"])
    payloads = st.lists(fragments | st.binary(max_size=40), max_size=12).map(b"".join)

    @settings(max_examples=200)
    @given(st.sampled_from([(CREATE, "application/json"), ("/oss/upload", "multipart/form-data; boundary=x"),
                            ("/oss/upload", "application/x-www-form-urlencoded")]), payloads)
    def check(route: tuple[str, str], payload: bytes) -> None:
        path, content_type = route
        answer = client.post(path, content=payload, headers={**SUBMIT, "Content-Type": content_type})
        assert 400 <= answer.status_code < 500, (route, payload, answer.text)

    with httpx.Client(base_url=base, timeout=10) as client:
        check()
