"""Contract tests: the emulator answers as the API reference says the service does.

Each test serves an app (with a clock it moves by hand) on a loopback port and talks HTTP to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyc.emulator import EmulatorConfig, Faults, create_app
from storyc.emulator.testing import asgi_client, serve

CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
KEY = {"Authorization": "Bearer sk-test"}
SUBMIT = {**KEY, "X-DashScope-Async": "enable"}
GUIDE = sorted((Path(__file__).parent / "fixtures" / "guide").glob("*.json"))
WAN27 = {"model": "wan2.7-t2v", "input": {"prompt": "第1个镜头[0-3秒] 全景：雨夜 第2个镜头[3-6秒] 中景：走廊"},
         "parameters": {"resolution": "720P", "ratio": "16:9", "duration": 6, "prompt_extend": True,
                        "watermark": False, "seed": 12345}}
LEGACY = {"model": "wan2.6-t2v", "input": {"prompt": "雨夜", "negative_prompt": "模糊"},
          "parameters": {"size": "1280*720", "duration": 10, "prompt_extend": True, "shot_type": "multi",
                         "watermark": False, "seed": 12345}}


class Clock:
    """Monotonic and wall time that only move when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_790_000_000.0 + self.now


def app(clock: Clock, **options: Any) -> Any:
    config = EmulatorConfig(pending_seconds=10, running_seconds=20, render_videos=False, **options)
    return create_app(config, clock=clock.monotonic, wall=clock.wall)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


class Switch:
    """One loopback server per test process, serving whichever app the current test set."""

    def __init__(self) -> None:
        self.target: Any = None
        self.base = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await self.target(scope, receive, send)


SWITCH = Switch()
_SERVED = contextlib.ExitStack()


@contextlib.asynccontextmanager
async def loopback(application: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of `application`, served on a loopback port."""
    if not SWITCH.base:
        SWITCH.base = _SERVED.enter_context(serve(EmulatorConfig(header_timeout_seconds=5), app=SWITCH))
    SWITCH.target = application
    try:
        async with httpx.AsyncClient(base_url=SWITCH.base, timeout=10, verify=False) as client:  # plain http: no TLS set-up
            yield client
    finally:
        application.state.emulator.tasks.shutdown()


async def submit(client: Any, body: Any, headers: dict[str, str] = SUBMIT) -> Any:
    return await client.post(CREATE, headers=headers, json=body)


async def finish(client: Any, clock: Clock, task_id: str, headers: dict[str, str] = KEY) -> dict[str, Any]:
    clock.now += 31
    for _ in range(200):  # the (skipped) render runs on a worker thread
        view: dict[str, Any] = (await client.get(f"/api/v1/tasks/{task_id}", headers=headers)).json()
        if view["output"]["task_status"] not in ("PENDING", "RUNNING"):
            return view
        await asyncio.sleep(0.01)
    raise AssertionError("the task never finished")


@pytest.mark.parametrize("body", [WAN27, LEGACY], ids=["new-protocol", "legacy-protocol"])
def test_reference_examples_run_to_success(body: dict[str, Any]) -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            created = await submit(client, body)
            assert created.status_code == 200
            assert set(created.json()) == {"output", "request_id"}
            assert created.json()["output"]["task_status"] == "PENDING"
            task_id = created.json()["output"]["task_id"]
            clock.now += 10
            running = (await client.get(f"/api/v1/tasks/{task_id}", headers=KEY)).json()
            assert running["output"]["task_status"] == "RUNNING"
            done = await finish(client, clock, task_id)
            assert done["output"]["task_status"] == "SUCCEEDED"
            assert done["output"]["video_url"].startswith(f"{SWITCH.base}/results/")
            assert {"submit_time", "scheduled_time", "end_time", "orig_prompt"} <= set(done["output"])

    run(scenario())


@pytest.mark.parametrize("fixture", GUIDE, ids=[p.stem for p in GUIDE])
def test_guide_requests_are_accepted(fixture: Path) -> None:
    body = json.loads(fixture.read_text(encoding="utf-8"))["body"]

    async def scenario() -> None:
        async with loopback(app(Clock())) as client:
            created = await submit(client, body)
            assert created.status_code == 200, created.json()

    run(scenario())


@pytest.mark.parametrize(
    ("headers", "body", "status", "code", "message"),
    [
        ({"X-DashScope-Async": "enable"}, WAN27, 401, "InvalidApiKey", "No API-key provided."),
        ({"Authorization": "Bearer nope", "X-DashScope-Async": "enable"}, WAN27, 401, "InvalidApiKey", "Invalid API-key provided."),
        (KEY, WAN27, 403, "AccessDenied", "current user api does not support synchronous calls."),
        (SUBMIT, {**WAN27, "model": "wan9-t2v"}, 400, "InvalidParameter", "Model not exist."),
        (SUBMIT, {"input": {"prompt": "x"}}, 400, "BadRequest.EmptyModel", None),
        (SUBMIT, {"model": "wan2.7-t2v", "input": {}}, 400, "InvalidParameter", None),
        (SUBMIT, {**WAN27, "parameters": {"seed": -1}}, 400, "InvalidParameter", None),
        (SUBMIT, {**WAN27, "input": {"prompt": "x", "audio_url": "ftp://host/a.mp3"}}, 400, "InvalidURL", None),
        (SUBMIT, {**WAN27, "input": {"prompt": "x", "audio_url": "oss://dashscope-instant/a.mp3"}}, 400, "InvalidURL", None),
    ],
    ids=["no-key", "bad-key", "no-async-header", "unknown-model", "no-model", "no-prompt", "bad-seed",
         "ftp-audio", "oss-without-header"],
)
def test_submission_errors(headers: dict[str, str], body: Any, status: int, code: str, message: str | None) -> None:
    async def scenario() -> None:
        async with loopback(app(Clock())) as client:
            answer = await submit(client, body, headers)
            assert answer.status_code == status
            payload = answer.json()
            assert set(payload) == {"code", "message", "request_id"} and payload["code"] == code
            if message:
                assert payload["message"] == message

    run(scenario())


def test_malformed_json_body() -> None:
    async def scenario() -> None:
        async with loopback(app(Clock())) as client:
            answer = await client.post(CREATE, headers={**SUBMIT, "Content-Type": "application/json"}, content=b"{nope")
            assert answer.status_code == 400 and answer.json()["code"] == "InvalidParameter"

    run(scenario())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**LEGACY, "parameters": {"size": "1104*832"}}, "The size is not match 1104*832"),
        ({**WAN27, "parameters": {"resolution": "480P"}}, "The resolution is not match 480P"),
        ({**WAN27, "parameters": {"ratio": "21:9"}}, "The ratio is not match 21:9"),
        ({**WAN27, "parameters": {"duration": 16}}, "The duration is not match 16"),
        ({"model": "wan2.2-t2v-plus", "input": {"prompt": "x"}, "parameters": {"duration": 10}}, "The duration is not match 10"),
        ({"model": "wan2.2-t2v-plus", "input": {"prompt": "x", "audio_url": "https://host/a.mp3"}}, "does not support audio"),
        ({**LEGACY, "parameters": {"shot_type": "multi", "prompt_extend": False}}, "prompt_extend"),
    ],
    ids=["legacy-size", "wan27-480p", "wan27-ratio", "duration", "fixed-duration", "silent-model-audio", "multi-without-extend"],
)
def test_parameter_problems_fail_the_task(body: dict[str, Any], message: str) -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            created = await submit(client, body)
            assert created.status_code == 200
            done = await finish(client, clock, created.json()["output"]["task_id"])
            assert done["output"]["task_status"] == "FAILED"
            assert done["output"]["code"] == "InvalidParameter"
            assert message in done["output"]["message"]
            assert "usage" not in done and "video_url" not in done["output"]

    run(scenario())


def test_unreachable_audio_url_fails_the_task_as_the_service_does() -> None:
    clock = Clock()
    body = {**WAN27, "input": {"prompt": "x", "audio_url": "http://127.0.0.1:9/none.mp3"}}

    async def scenario() -> None:
        async with loopback(create_app(EmulatorConfig(pending_seconds=10, running_seconds=20),
                                          clock=clock.monotonic, wall=clock.wall)) as client:
            created = await submit(client, body)
            done = await finish(client, clock, created.json()["output"]["task_id"])
            assert done["output"]["code"] == "InvalidParameter.DataInspection"

    run(scenario())


def test_over_long_prompt_is_truncated_silently() -> None:
    clock = Clock()
    body = {"model": "wan2.2-t2v-plus", "input": {"prompt": "長" * 900}, "parameters": {"size": "832*480"}}

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            created = await submit(client, body)
            assert created.status_code == 200
            done = await finish(client, clock, created.json()["output"]["task_id"])
            assert done["output"]["orig_prompt"] == "長" * 800

    run(scenario())


@pytest.mark.parametrize(
    ("body", "usage"),
    [
        (WAN27, {"duration": 6.0, "input_video_duration": 0, "output_video_duration": 6, "video_count": 1, "SR": 720, "ratio": "16:9"}),
        (LEGACY, {"duration": 10.0, "input_video_duration": 0, "output_video_duration": 10, "video_count": 1, "SR": 720, "size": "1280*720"}),
        ({"model": "wan2.5-t2v-preview", "input": {"prompt": "x"}, "parameters": {"size": "832*480", "duration": 10}},
         {"video_duration": 10, "video_ratio": "832*480", "video_count": 1}),
    ],
    ids=["wan2.7", "wan2.6", "wan2.5"],
)
def test_usage_fields_per_protocol(body: dict[str, Any], usage: dict[str, Any]) -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            done = await finish(client, clock, (await submit(client, body)).json()["output"]["task_id"])
            assert done["usage"] == usage

    run(scenario())


def test_rate_limits_per_key_and_model() -> None:
    clock = Clock()
    body = {"model": "wan2.2-t2v-plus", "input": {"prompt": "x"}, "parameters": {"size": "832*480"}}

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            assert [(await submit(client, body)).status_code for _ in range(3)] == [200, 200, 429]
            clock.now += 1.5  # the per-second window has passed, but two tasks are still running
            throttled = await submit(client, body)
            assert throttled.status_code == 429 and throttled.json()["code"] == "Throttling.RateQuota"
            other_key = {"Authorization": "Bearer sk-other", "X-DashScope-Async": "enable"}
            assert (await submit(client, body, other_key)).status_code == 200
            assert (await submit(client, WAN27)).status_code == 200  # another model has its own limit
            clock.now += 40  # the running tasks are done
            assert (await submit(client, body)).status_code == 200

    run(scenario())


def test_cancel_only_while_pending() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            first = (await submit(client, WAN27)).json()["output"]["task_id"]
            second = (await submit(client, WAN27)).json()["output"]["task_id"]
            cancelled = await client.post(f"/api/v1/tasks/{first}/cancel", headers=KEY)
            assert cancelled.status_code == 200 and set(cancelled.json()) == {"request_id"}
            view = (await client.get(f"/api/v1/tasks/{first}", headers=KEY)).json()
            assert view["output"]["task_status"] == "CANCELED"
            clock.now += 15
            refused = await client.post(f"/api/v1/tasks/{second}/cancel", headers=KEY)
            assert refused.status_code == 400 and refused.json()["code"] == "UnsupportedOperation"

    run(scenario())


def test_unknown_and_expired_tasks_are_unknown() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            unknown = (await client.get("/api/v1/tasks/0000-none", headers=KEY)).json()
            assert unknown["output"] == {"task_id": "0000-none", "task_status": "UNKNOWN"}
            task_id = (await submit(client, WAN27)).json()["output"]["task_id"]
            clock.now += 24 * 3600 + 1
            expired = (await client.get(f"/api/v1/tasks/{task_id}", headers=KEY)).json()
            assert expired["output"]["task_status"] == "UNKNOWN"

    run(scenario())


def test_queries_take_no_async_header_but_tolerate_sdk_variants() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            task_id = (await submit(client, WAN27)).json()["output"]["task_id"]
            denied = await client.get(f"/api/v1/tasks/{task_id}", headers=SUBMIT)
            assert denied.status_code == 403 and denied.json()["code"] == "AccessDenied"
            slash = await client.get(f"/api/v1/tasks/{task_id}/?request_id=abc", headers=KEY)
            assert slash.status_code == 200 and slash.json()["output"]["task_id"] == task_id
            assert (await client.get(f"/api/v1/tasks/{task_id}")).status_code == 401

    run(scenario())


def test_task_listing_filters_and_pages() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            for _ in range(3):
                await submit(client, WAN27)
                clock.now += 2
            await submit(client, LEGACY)
            listing = (await client.get("/api/v1/tasks/?page_size=2&page_no=1", headers=KEY)).json()
            assert (listing["total"], listing["total_page"], listing["page_no"], len(listing["data"])) == (4, 2, 1, 2)
            row = listing["data"][0]
            assert {"task_id", "status", "model_name", "region", "request_id", "gmt_create", "end_time"} <= set(row)
            legacy = (await client.get("/api/v1/tasks?model_name=wan2.6-t2v", headers=KEY)).json()
            assert [r["model_name"] for r in legacy["data"]] == ["wan2.6-t2v"]
            pending = (await client.get("/api/v1/tasks?status=PENDING", headers=KEY)).json()
            assert pending["total"] == 4
            too_wide = await client.get("/api/v1/tasks?start_time=20260101000000&end_time=20260301000000", headers=KEY)
            assert too_wide.status_code == 400

    run(scenario())


def test_upload_flow_binds_files_to_account_and_model(tmp_path: Path) -> None:
    clock = Clock()
    audio = (Path(__file__).parent / "cases" / "audio" / "tone-5s.wav").read_bytes()

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            policy = await client.get("/api/v1/uploads?action=getPolicy&model=wan2.7-t2v", headers=KEY)
            data = policy.json()["data"]
            assert {"policy", "signature", "upload_dir", "upload_host", "oss_access_key_id",
                    "x_oss_object_acl", "x_oss_forbid_overwrite"} <= set(data)
            key = f"{data['upload_dir']}/tone.wav"
            form = {"OSSAccessKeyId": data["oss_access_key_id"], "Signature": data["signature"],
                    "policy": data["policy"], "key": key, "x-oss-object-acl": data["x_oss_object_acl"],
                    "x-oss-forbid-overwrite": data["x_oss_forbid_overwrite"], "success_action_status": "200"}
            uploaded = await client.post(data["upload_host"], data=form, files={"file": ("tone.wav", audio)})
            assert uploaded.status_code == 200
            forged = await client.post(data["upload_host"], data={**form, "Signature": "x"},
                                       files={"file": ("tone.wav", audio)})
            assert forged.status_code == 403
            body = {**WAN27, "input": {"prompt": "x", "audio_url": f"oss://{key}"}}
            resolve = {**SUBMIT, "X-DashScope-OssResourceResolve": "enable"}
            assert (await submit(client, body, SUBMIT)).status_code == 400  # header missing
            assert (await submit(client, body, resolve)).status_code == 200
            other_model = {**body, "model": "wan2.6-t2v", "parameters": {"size": "1280*720"}}
            assert (await submit(client, other_model, resolve)).status_code == 400
            other_account = {**resolve, "Authorization": "Bearer sk-other"}
            assert (await submit(client, body, other_account)).status_code == 400

    run(scenario())


def test_expired_upload_policy() -> None:
    async def scenario() -> None:
        async with loopback(create_app(EmulatorConfig(policy_lifetime_seconds=-1, render_videos=False))) as client:
            data = (await client.get("/api/v1/uploads?action=getPolicy&model=wan2.7-t2v", headers=KEY)).json()["data"]
            form = {"Signature": data["signature"], "policy": data["policy"], "key": f"{data['upload_dir']}/a.wav"}
            answer = await client.post(data["upload_host"], data=form, files={"file": ("a.wav", b"RIFF")})
            assert answer.status_code == 403
            assert answer.json()["message"] == "Invalid according to Policy: Policy expired."

    run(scenario())


def test_result_urls_are_signed_and_expire() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock, url_lifetime_seconds=60)) as client:
            done = await finish(client, clock, (await submit(client, WAN27)).json()["output"]["task_id"])
            url = done["output"]["video_url"]
            assert "Expires=" in url and "Signature=" in url
            tampered = url.replace("Signature=", "Signature=x")
            assert (await client.get(tampered)).status_code == 403
            clock.now += 61
            assert (await client.get(url)).status_code == 403

    run(scenario())


def fault_app(clock: Clock, **rates: float) -> Any:
    return app(clock, faults=Faults(seed=7, slow_seconds=0.01, **rates))


@pytest.mark.parametrize(
    ("rates", "status", "code"),
    [({"throttle": 1.0}, 429, "Throttling.RateQuota"), ({"error_500": 1.0}, 500, "InternalError"),
     ({"error_503": 1.0}, 503, "ModelUnavailable")],
    ids=["429", "500", "503"],
)
def test_injected_submission_faults(rates: dict[str, float], status: int, code: str) -> None:
    async def scenario() -> None:
        async with loopback(fault_app(Clock(), **rates)) as client:
            answer = await submit(client, WAN27)
            assert (answer.status_code, answer.json()["code"]) == (status, code)

    run(scenario())


def test_injected_drop_cuts_the_response() -> None:
    async def scenario() -> None:
        async with loopback(fault_app(Clock(), drop=1.0)) as client:
            with pytest.raises(httpx.RemoteProtocolError):  # the body ends before its promised length
                await submit(client, WAN27)

    run(scenario())


def test_injected_task_failures_are_repeatable_with_a_seed() -> None:
    def outcomes() -> list[str]:
        clock = Clock()

        async def scenario() -> list[str]:
            async with loopback(fault_app(clock, fail_task=0.5)) as client:
                found = []
                for index in range(8):
                    key = {"Authorization": f"Bearer sk-{index}", "X-DashScope-Async": "enable"}
                    task_id = (await submit(client, WAN27, key)).json()["output"]["task_id"]
                    view = await finish(client, clock, task_id, {"Authorization": key["Authorization"]})
                    found.append(view["output"]["task_status"])
                return found

        result: list[str] = run(scenario())
        return result

    first = outcomes()
    assert first == outcomes()
    assert {"FAILED", "SUCCEEDED"} == set(first)


def test_fixtures_serve_in_process_and_on_loopback(emulator_app: Any, emulator_url: str) -> None:
    import httpx

    async def in_process() -> int:
        async with asgi_client(emulator_app) as client:
            return int((await submit(client, WAN27)).status_code)

    assert run(in_process()) == 200
    assert emulator_url.startswith("http://127.0.0.1:")
    assert httpx.post(emulator_url + CREATE, headers=SUBMIT, json=WAN27).status_code == 200



# -- any body: mostly valid, one field wrong -----------------------------------------------------

def use(application: Any) -> str:
    """Serve `application` on the shared loopback server; its base URL."""
    if not SWITCH.base:
        SWITCH.base = _SERVED.enter_context(serve(EmulatorConfig(header_timeout_seconds=5), app=SWITCH))
    SWITCH.target = application
    return SWITCH.base


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
near_misses = st.sampled_from([
    "720P", "1280x720", "a*b", "1280*720 ", "", " ", "\x00", "１２８０*７２０", "*", "1280*", "0*0", "-1*-1",
    "99999999999999999999*1", "16:9:1", "1080p", "multi", "single", "wan2.7-t2v", "wanx2.1-t2v-turbo",
    1280, 0, -1, 2**31, 2**63, 1.5, 5.0, True, False, None, [], {}, ["720P"], {"resolution": "720P"},
])
VALID = [
    WAN27, LEGACY,
    {"model": "wan2.2-t2v-plus", "input": {"prompt": "x"}, "parameters": {"size": "832*480"}},
    {"model": "wan2.1-t2v-turbo", "input": {"prompt": "x", "negative_prompt": "y"}, "parameters": {"size": "624*624"}},
    {"model": "wan2.5-t2v-preview", "input": {"prompt": "x"}, "parameters": {"size": "480*832", "duration": 10}},
]
FIELDS = [(), ("model",), ("input",), ("parameters",), ("input", "prompt"), ("input", "negative_prompt"),
          ("input", "audio_url"), ("input", "unknown"), ("parameters", "audio"), ("extra",),
          *(("parameters", name) for name in
            ("size", "resolution", "ratio", "duration", "seed", "prompt_extend", "watermark", "shot_type"))]
DELETE = object()


def one_field_wrong(base: dict[str, Any], path: tuple[str, ...], value: Any) -> Any:
    """`base` with the field at `path` set to `value` (or removed); the empty path is the whole body."""
    if not path:
        return {} if value is DELETE else value
    body = json.loads(json.dumps(base))
    parent = body
    for name in path[:-1]:
        parent = parent.setdefault(name, {})
    if value is DELETE:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = value
    return body


def test_any_body_gets_a_documented_answer() -> None:
    """Mostly valid bodies with one field wrong (any JSON type, near misses, or missing): the answer
    is 200 PENDING (and the task can be read back) or a 4xx with code, message and request_id, and
    most of them get past the model and prompt to the checks behind."""
    application = create_app(EmulatorConfig(render_videos=False, limits=False))
    base = use(application)
    outcomes: list[str] = []

    @settings(max_examples=int(os.environ.get("STORYC_EMULATOR_EXAMPLES", "250")))
    @given(st.sampled_from(VALID), st.sampled_from(FIELDS), st.just(DELETE) | near_misses | json_values)
    def check(valid: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
        body = one_field_wrong(valid, path, value)
        answer = client.post(CREATE, headers=SUBMIT, json=body)
        assert answer.status_code < 500, (body, answer.text)
        payload = answer.json()
        if answer.status_code == 200:
            assert payload["output"]["task_status"] == "PENDING"
            view = client.get(f"/api/v1/tasks/{payload['output']['task_id']}", headers=KEY)
            assert view.status_code == 200 and view.json()["output"]["task_status"] in ("PENDING", "RUNNING")
            outcomes.append("accepted")
        else:
            assert 400 <= answer.status_code < 500
            assert set(payload) == {"code", "message", "request_id"}, payload
            early = payload["code"] == "BadRequest.EmptyModel" or payload["message"] == "Model not exist."
            outcomes.append("early" if early else "checked")

    with httpx.Client(base_url=base, timeout=10) as client:
        check()
    application.state.emulator.tasks.shutdown()
    assert outcomes.count("accepted") and outcomes.count("checked")
    assert outcomes.count("early") < len(outcomes) * 0.25, outcomes.count("early")


@pytest.mark.parametrize(
    ("parameters", "accepted"),
    [({"size": "720P"}, True), ({"size": "1280x720"}, True), ({"size": "a*b"}, True), ({"size": 1280}, False),
     ({"size": ["1280*720"]}, False), ({"size": {"w": 1280}}, False), ({"duration": "5"}, False),
     ({"duration": 5.5}, False), ({"seed": "1"}, False), ({"watermark": "false"}, False)],
    ids=["720P", "x", "a*b", "int", "list", "object", "duration-text", "duration-float", "seed-text", "flag-text"],
)
def test_legacy_values_and_types_from_the_issue(parameters: dict[str, Any], accepted: bool) -> None:
    """A value of the right type the model does not take fails the task; a wrong type is a 400."""
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            answer = await submit(client, {**LEGACY, "parameters": parameters})
            if not accepted:
                assert answer.status_code == 400 and answer.json()["code"] == "InvalidParameter"
                return
            assert answer.status_code == 200
            done = await finish(client, clock, answer.json()["output"]["task_id"])
            assert (done["output"]["task_status"], done["output"]["code"]) == ("FAILED", "InvalidParameter")

    run(scenario())


@pytest.mark.parametrize("field", ["resolution", "ratio"])
@pytest.mark.parametrize("value", [["720P"], {"a": 1}, 720, True], ids=["list", "object", "int", "bool"])
def test_wan27_wrong_types_are_400(field: str, value: Any) -> None:
    async def scenario() -> None:
        async with loopback(app(Clock())) as client:
            answer = await submit(client, {**WAN27, "parameters": {field: value}})
            assert answer.status_code == 400 and set(answer.json()) == {"code", "message", "request_id"}

    run(scenario())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**LEGACY, "parameters": {"size": "1104*832"}}, "The size is not match 1104*832"),
        ({**WAN27, "parameters": {"ratio": "21:9"}}, "The ratio is not match 21:9"),
        ({**WAN27, "parameters": {"duration": 16}}, "The duration is not match 16"),
        ({"model": "wan2.2-t2v-plus", "input": {"prompt": "x", "audio_url": "https://host/a.mp3"}}, "does not support audio"),
    ],
    ids=["legacy-size", "wan27-ratio", "duration", "silent-model-audio"],
)
def test_reject_sync_refuses_at_submission(body: dict[str, Any], message: str) -> None:
    async def scenario() -> None:
        async with loopback(app(Clock(), reject="sync")) as client:
            answer = await submit(client, body)
            assert answer.status_code == 400 and answer.json()["code"] == "InvalidParameter"
            assert message in answer.json()["message"]
            assert (await submit(client, WAN27)).status_code == 200

    run(scenario())


# -- accounts ------------------------------------------------------------------------------------

ACCOUNTS = {"studio": frozenset({"sk-studio-1", "sk-studio-2"}), "rival": frozenset({"sk-rival"})}
SILENT = {"model": "wan2.2-t2v-plus", "input": {"prompt": "x"}, "parameters": {"size": "832*480"}}


def auth(key: str, submit: bool = False) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **({"X-DashScope-Async": "enable"} if submit else {})}


def test_accounts_share_limits_and_keep_their_tasks_to_themselves() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock, accounts=ACCOUNTS)) as client:
            unlisted = await submit(client, SILENT, auth("sk-anyone", True))
            assert (unlisted.status_code, unlisted.json()["code"]) == (401, "InvalidApiKey")
            first = (await submit(client, SILENT, auth("sk-studio-1", True))).json()["output"]["task_id"]
            assert (await submit(client, SILENT, auth("sk-studio-2", True))).status_code == 200
            clock.now += 1.5
            shared = await submit(client, SILENT, auth("sk-studio-2", True))  # two in flight: the account's limit
            assert (shared.status_code, shared.json()["code"]) == (429, "Throttling.RateQuota")
            assert (await submit(client, SILENT, auth("sk-rival", True))).status_code == 200

            mine = (await client.get(f"/api/v1/tasks/{first}", headers=auth("sk-studio-2"))).json()
            assert mine["output"]["task_status"] == "PENDING"
            theirs = await client.get(f"/api/v1/tasks/{first}", headers=auth("sk-rival"))
            assert theirs.status_code == 200
            assert theirs.json()["output"] == {"task_id": first, "task_status": "UNKNOWN"}
            assert (await client.get("/api/v1/tasks/no-such-task", headers=auth("sk-rival"))).json()["output"] == \
                {"task_id": "no-such-task", "task_status": "UNKNOWN"}
            rival_list = (await client.get("/api/v1/tasks", headers=auth("sk-rival"))).json()
            assert rival_list["total"] == 1 and first not in json.dumps(rival_list)
            studio_list = (await client.get("/api/v1/tasks", headers=auth("sk-studio-1"))).json()
            assert studio_list["total"] == 2

            pending = (await submit(client, WAN27, auth("sk-studio-1", True))).json()["output"]["task_id"]
            refused = await client.post(f"/api/v1/tasks/{pending}/cancel", headers=auth("sk-rival"))
            assert (refused.status_code, refused.json()["code"]) == (400, "UnsupportedOperation")
            assert (await client.post(f"/api/v1/tasks/{pending}/cancel", headers=auth("sk-studio-2"))).status_code == 200

    run(scenario())


def test_no_response_carries_a_key_or_its_plain_hash() -> None:
    import base64
    import hashlib

    clock = Clock()
    key = "sk-studio-1"
    forbidden = {key, base64.b64encode(key.encode()).decode().rstrip("="), hashlib.sha256(key.encode()).hexdigest()[:16],
                 hashlib.sha1(key.encode()).hexdigest()[:16], hashlib.md5(key.encode()).hexdigest()[:16]}

    async def scenario() -> list[str]:
        texts = []
        async with loopback(app(clock, accounts=ACCOUNTS)) as client:
            created = await submit(client, WAN27, auth(key, True))
            texts.append(created.text)
            task_id = created.json()["output"]["task_id"]
            texts.append((await finish(client, clock, task_id, auth(key))) and "")
            texts.append((await client.get(f"/api/v1/tasks/{task_id}", headers=auth(key))).text)
            texts.append((await client.get("/api/v1/tasks", headers=auth(key))).text)
            policy = await client.get("/api/v1/uploads?action=getPolicy&model=wan2.7-t2v", headers=auth(key))
            texts.append(policy.text)
            texts.append(base64.b64decode(policy.json()["data"]["policy"]).decode())
        return texts

    for text in run(scenario()):
        assert not any(secret in text for secret in forbidden), text


# -- regions -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("region", "served", "refused"),
    [
        ("beijing", ["wan2.7-t2v", "wan2.7-t2v-2026-06-12", "wanx2.1-t2v-turbo", "wanx2.1-t2v-plus"],
         ["wan2.1-t2v-turbo", "wan2.6-t2v-us"]),
        ("singapore", ["wan2.7-t2v", "wan2.6-t2v", "wan2.1-t2v-turbo", "wan2.1-t2v-plus"],
         ["wanx2.1-t2v-turbo", "wan2.6-t2v-us", "wan2.7-t2v-2026-06-12"]),
        ("virginia", ["wan2.6-t2v", "wan2.6-t2v-us"], ["wan2.7-t2v", "wan2.5-t2v-preview", "wan2.2-t2v-plus"]),
        ("frankfurt", ["wan2.6-t2v"], ["wan2.7-t2v", "wan2.6-t2v-us"]),
    ],
)
def test_each_region_serves_its_own_model_list(region: str, served: list[str], refused: list[str]) -> None:
    async def scenario() -> None:
        async with loopback(app(Clock(), region=region, limits=False)) as client:
            for model in served:
                answer = await submit(client, {"model": model, "input": {"prompt": "x"}})
                assert answer.status_code == 200, (model, answer.json())
            for model in refused:
                answer = await submit(client, {"model": model, "input": {"prompt": "x"}})
                assert (answer.status_code, answer.json()["code"], answer.json()["message"]) == \
                    (400, "InvalidParameter", "Model not exist."), model
                policy = await client.get(f"/api/v1/uploads?action=getPolicy&model={model}", headers=KEY)
                assert policy.status_code == 400
            rows = (await client.get("/api/v1/tasks?page_size=1", headers=KEY)).json()["data"]
            assert rows[0]["region"] == {"beijing": "cn-beijing", "singapore": "ap-southeast-1",
                                         "virginia": "us-east-1", "frankfurt": "eu-central-1"}[region]

    run(scenario())


# -- limits --------------------------------------------------------------------------------------

def test_query_list_and_cancel_share_twenty_per_second_per_account() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock, accounts=ACCOUNTS)) as client:
            task_id = (await submit(client, WAN27, auth("sk-studio-1", True))).json()["output"]["task_id"]
            calls = [client.get(f"/api/v1/tasks/{task_id}", headers=auth("sk-studio-1")) for _ in range(10)]
            calls += [client.get("/api/v1/tasks", headers=auth("sk-studio-2")) for _ in range(5)]
            calls += [client.post("/api/v1/tasks/none/cancel", headers=auth("sk-studio-2")) for _ in range(5)]
            assert {answer.status_code for answer in [await call for call in calls]} <= {200, 400}
            for path in (f"/api/v1/tasks/{task_id}", "/api/v1/tasks"):
                limited = await client.get(path, headers=auth("sk-studio-1"))
                assert (limited.status_code, limited.json()["code"]) == (429, "Throttling.RateQuota")
            assert (await client.get(f"/api/v1/tasks/{task_id}", headers=auth("sk-rival"))).status_code == 200
            clock.now += 1
            assert (await client.get(f"/api/v1/tasks/{task_id}", headers=auth("sk-studio-2"))).status_code == 200

    run(scenario())


def test_upload_policies_are_limited_to_a_hundred_per_second_per_model() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            url = "/api/v1/uploads?action=getPolicy&model="
            codes = [(await client.get(url + "wan2.7-t2v", headers=KEY)).status_code for _ in range(101)]
            assert codes.count(200) == 100 and codes[-1] == 429
            assert (await client.get(url + "wan2.6-t2v", headers=KEY)).status_code == 200
            clock.now += 1
            assert (await client.get(url + "wan2.7-t2v", headers=KEY)).status_code == 200

    run(scenario())


def test_lifted_limits_admit_everything() -> None:
    async def scenario() -> None:
        async with loopback(app(Clock(), limits=False)) as client:
            assert {(await submit(client, SILENT)).status_code for _ in range(30)} == {200}
            assert {(await client.get("/api/v1/tasks", headers=KEY)).status_code for _ in range(30)} == {200}

    run(scenario())


def test_in_flight_tasks_are_counted_as_they_finish_and_old_tasks_forgotten() -> None:
    clock = Clock()
    application = app(clock, task_lifetime_seconds=100)

    async def scenario() -> None:
        async with loopback(application) as client:
            store = application.state.emulator.tasks
            for _ in range(2):
                assert (await submit(client, SILENT)).status_code == 200
                clock.now += 1
            assert (await submit(client, SILENT)).status_code == 429
            clock.now += 30  # both have run their time (and their skipped videos are done)
            await asyncio.sleep(0.05)
            assert (await submit(client, SILENT)).status_code == 200
            assert len(store.tasks) == 3 and len(store.billable()) == 3
            clock.now += 101
            assert (await submit(client, SILENT)).status_code == 200
            assert len(store.tasks) == 1  # the three older ones are past their lifetime

    run(scenario())


def test_a_task_is_never_running_after_the_end_time_it_announces() -> None:
    import threading

    clock = Clock()
    application = app(clock, render_workers=1)

    async def scenario() -> None:
        async with loopback(application) as client:
            gate = threading.Event()
            application.state.emulator.tasks.workers.submit(gate.wait, 10)  # the only render worker is busy
            task_id = (await submit(client, WAN27)).json()["output"]["task_id"]
            clock.now += 40  # past its running time, its video not made yet
            late = await client.get(f"/api/v1/tasks/{task_id}", headers=KEY)
            assert late.json()["output"]["task_status"] == "RUNNING"
            running_at = clock.wall()
            clock.now += 5
            gate.set()
            done = await finish(client, clock, task_id)
            assert done["output"]["task_status"] == "SUCCEEDED"
            from storyc.emulator.tasks import time_text

            assert done["output"]["end_time"] > time_text(running_at)
            row = (await client.get("/api/v1/tasks", headers=KEY)).json()["data"][0]
            assert row["end_time"] > running_at * 1000

    run(scenario())


# -- injected error families ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("family", "status", "code"),
    [("data_inspection", 400, "DataInspectionFailed"), ("arrearage", 400, "Arrearage"),
     ("allocation_quota", 429, "Throttling.AllocationQuota"), ("burst_rate", 429, "Throttling.BurstRate")],
)
def test_injected_submission_families(family: str, status: int, code: str) -> None:
    async def scenario() -> None:
        async with loopback(fault_app(Clock(), **{family: 1.0})) as client:
            answer = await submit(client, WAN27)
            assert (answer.status_code, answer.json()["code"]) == (status, code)
            assert set(answer.json()) == {"code", "message", "request_id"}

    run(scenario())


@pytest.mark.parametrize(("family", "code"), [("data_inspection_task", "DataInspectionFailed"),
                                              ("timeout_task", "InternalError.Timeout")])
def test_injected_task_families(family: str, code: str) -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(fault_app(clock, **{family: 1.0})) as client:
            done = await finish(client, clock, (await submit(client, WAN27)).json()["output"]["task_id"])
            assert (done["output"]["task_status"], done["output"]["code"]) == ("FAILED", code)

    run(scenario())


def test_injected_stuck_task_runs_past_its_time_then_times_out() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock, faults=Faults(stuck=1.0, stuck_seconds=600, seed=1))) as client:
            task_id = (await submit(client, WAN27)).json()["output"]["task_id"]
            clock.now += 300
            view = (await client.get(f"/api/v1/tasks/{task_id}", headers=KEY)).json()
            assert view["output"]["task_status"] == "RUNNING"
            clock.now += 311
            view = (await client.get(f"/api/v1/tasks/{task_id}", headers=KEY)).json()
            assert (view["output"]["task_status"], view["output"]["code"]) == ("FAILED", "InternalError.Timeout")

    run(scenario())


def test_injected_early_url_expiry() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock, faults=Faults(expire_url=1.0, expire_url_seconds=30, seed=1))) as client:
            done = await finish(client, clock, (await submit(client, WAN27)).json()["output"]["task_id"])
            url = done["output"]["video_url"]
            assert "Expires=" in url
            clock.now += 40  # well inside the 24 h the URL says
            expired = await client.get(url)
            assert expired.status_code == 403 and b"expired" in expired.content

    run(scenario())


def test_every_family_is_seeded_and_repeatable() -> None:
    rates = dict(fail_task=0.1, data_inspection=0.1, data_inspection_task=0.1, arrearage=0.1, allocation_quota=0.1,
                 burst_rate=0.1, timeout_task=0.1, throttle=0.1, error_503=0.1)

    def outcomes() -> list[str]:
        clock = Clock()

        async def scenario() -> list[str]:
            found = []
            async with loopback(app(clock, limits=False, faults=Faults(seed=11, **rates))) as client:
                for _ in range(40):
                    answer = await submit(client, WAN27)
                    if answer.status_code != 200:
                        found.append(answer.json()["code"])
                        continue
                    view = await finish(client, clock, answer.json()["output"]["task_id"])
                    found.append(view["output"].get("code", view["output"]["task_status"]))
            return found

        result: list[str] = run(scenario())
        return result

    first = outcomes()
    assert first == outcomes()
    assert len(set(first)) >= 5, first


# -- uploads -------------------------------------------------------------------------------------

async def policy_form(client: Any, model: str = "wan2.7-t2v") -> tuple[dict[str, str], str, str]:
    data = (await client.get(f"/api/v1/uploads?action=getPolicy&model={model}", headers=KEY)).json()["data"]
    form = {"OSSAccessKeyId": data["oss_access_key_id"], "Signature": data["signature"], "policy": data["policy"],
            "x-oss-object-acl": data["x_oss_object_acl"], "x-oss-forbid-overwrite": data["x_oss_forbid_overwrite"]}
    return form, data["upload_dir"], data["upload_host"]


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [("a\x00b.wav", 400, "InvalidObjectName"), ("folder/", 400, "InvalidObjectName"),
     ("../escape.wav", 400, "InvalidObjectName"), ("x" * 300 + ".wav", 204, None), ("a.wav/under.wav", 204, None)],
    ids=["nul", "trailing-slash", "dot-dot", "300-char-segment", "under-an-existing-file"],
)
def test_upload_keys_are_checked_as_oss_does(name: str, status: int, code: str | None) -> None:
    async def scenario() -> None:
        async with loopback(app(Clock())) as client:
            form, folder, host = await policy_form(client)
            first = await client.post(host, data={**form, "key": f"{folder}/a.wav"}, files={"file": ("a", b"RIFF")})
            assert first.status_code == 204
            answer = await client.post(host, data={**form, "key": f"{folder}/{name}"}, files={"file": ("a", b"RIFF")})
            assert answer.status_code == status
            if code:
                assert f"<Code>{code}</Code>" in answer.text

    run(scenario())


@pytest.mark.parametrize(("asked", "status"), [("200", 200), ("201", 201), ("204", 204), ("abc", 204), ("0", 204),
                                               ("999", 204), ("1000", 204), ("", 204)])
def test_success_action_status_as_oss_answers_it(asked: str, status: int) -> None:
    async def scenario() -> None:
        async with loopback(app(Clock())) as client:
            form, folder, host = await policy_form(client)
            answer = await client.post(host, data={**form, "key": f"{folder}/a.wav", "success_action_status": asked},
                                       files={"file": ("a", b"RIFF")})
            assert answer.status_code == status

    run(scenario())


def test_forbid_overwrite_is_honoured_and_uploads_are_capped() -> None:
    async def scenario() -> None:
        async with loopback(app(Clock())) as client:
            form, folder, host = await policy_form(client)
            key = f"{folder}/a.wav"
            assert (await client.post(host, data={**form, "key": key}, files={"file": ("a", b"1")})).status_code == 204
            again = await client.post(host, data={**form, "key": key}, files={"file": ("a", b"2")})
            assert again.status_code == 409 and "FileAlreadyExists" in again.text
            # as OSS writes it: Code, Message, RequestId, HostId and the error number, the id also as a header
            assert again.headers["x-oss-ec"] == "0026-00000201" and "<EC>0026-00000201</EC>" in again.text
            assert f"<RequestId>{again.headers['x-oss-request-id']}</RequestId>" in again.text
            allowed = {**form, "x-oss-forbid-overwrite": "false"}
            assert (await client.post(host, data={**allowed, "key": key}, files={"file": ("a", b"3")})).status_code == 204
            big = await client.post(host, data={**form, "key": f"{folder}/big.wav"},
                                    files={"file": ("big", b"\0" * (15 * 1024 * 1024 + 1))})
            assert big.status_code == 400 and "EntityTooLarge" in big.text

    run(scenario())


# -- no egress -----------------------------------------------------------------------------------

def test_remote_audio_is_stood_in_for_by_silence(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    guide = json.loads((Path(__file__).parent / "fixtures" / "guide" / "fox-detective.json").read_text("utf-8"))["body"]
    assert guide["input"]["audio_url"].startswith("https://")

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            done = await finish(client, clock, (await submit(client, guide)).json()["output"]["task_id"])
            assert done["output"]["task_status"] == "SUCCEEDED", done

    with caplog.at_level("INFO", logger="storyc.emulator"):
        run(scenario())
    assert any("stood in for by silence" in record.getMessage() for record in caplog.records)


def test_the_emulators_own_record_of_admitted_tasks() -> None:
    clock = Clock()
    application = app(clock, accounts=ACCOUNTS, admin=True)

    async def scenario() -> None:
        async with loopback(application) as client:
            first = (await submit(client, WAN27, auth("sk-studio-1", True))).json()
            await submit(client, SILENT, auth("sk-rival", True))
            await submit(client, {**WAN27, "model": "nope"}, auth("sk-rival", True))  # refused: not admitted
            store = application.state.emulator.tasks
            assert [task.request_id for task in store.billable("studio")] == [first["request_id"]]
            assert len(store.billable()) == 2 and store.billable("sk-rival")[0].spec.model == "wan2.2-t2v-plus"
            await finish(client, clock, first["output"]["task_id"], auth("sk-studio-1"))
            record = (await client.get("/_emulator/tasks")).json()
            assert record["total"] == 2
            studio = (await client.get("/_emulator/tasks", headers=auth("sk-studio-2"))).json()["tasks"]
            assert [(row["task_id"], row["status"], row["billed_seconds"]) for row in studio] == \
                [(first["output"]["task_id"], "SUCCEEDED", 6)]
        async with loopback(app(clock)) as client:
            assert (await client.get("/_emulator/tasks")).status_code == 404  # off unless configured

    run(scenario())


def test_unknown_paths_and_methods_answer_json() -> None:
    async def scenario() -> None:
        async with loopback(app(Clock())) as client:
            missing = await client.get("/api/v2/nothing", headers=KEY)
            assert missing.status_code == 404 and set(missing.json()) == {"code", "message", "request_id"}
            wrong = await client.delete(CREATE, headers=KEY)
            assert wrong.status_code == 405 and set(wrong.json()) == {"code", "message", "request_id"}

    run(scenario())


def test_turning_on_one_fault_family_does_not_shift_another() -> None:
    def outcomes(**rates: float) -> list[str]:
        clock = Clock()

        async def scenario() -> list[str]:
            found = []
            async with loopback(app(clock, limits=False, faults=Faults(seed=5, **rates))) as client:
                for _ in range(24):
                    answer = await submit(client, WAN27)
                    if answer.status_code != 200:
                        found.append(answer.json()["code"])
                        continue
                    view = await finish(client, clock, answer.json()["output"]["task_id"])
                    found.append(view["output"].get("code", view["output"]["task_status"]))
            return found

        result: list[str] = run(scenario())
        return result

    alone = outcomes(fail_task=0.3)
    mixed = outcomes(fail_task=0.3, timeout_task=0.3, arrearage=0.3)
    algo = [index for index, code in enumerate(alone) if code == "InternalError.Algo"]
    assert algo and [index for index in algo if mixed[index] in ("InternalError.Algo", "Arrearage")] == algo
    assert "InternalError.Timeout" in mixed and "Arrearage" in mixed


def test_any_query_string_gets_a_documented_answer() -> None:
    """Listing, upload policies and downloads with any query values: never a 5xx."""
    application = create_app(EmulatorConfig(render_videos=False, limits=False))
    base = use(application)
    names = st.sampled_from(["start_time", "end_time", "page_no", "page_size", "status", "model_name", "task_id",
                             "action", "model", "Expires", "Signature"])
    values = st.text(max_size=20) | st.integers(-(2**70), 2**70).map(str) | st.sampled_from(
        ["20261125000000", "99999999999999", "getPolicy", "wan2.7-t2v", "0", "-1", "1e9", "NaN", "٣"])

    @settings(max_examples=int(os.environ.get("STORYC_EMULATOR_EXAMPLES", "150")))
    @given(st.sampled_from(["/api/v1/tasks", "/api/v1/uploads", "/results/x.mp4", "/api/v1/tasks/x"]),
           st.dictionaries(names, values, max_size=5))
    def check(path: str, query: dict[str, str]) -> None:
        answer = client.get(path, params=query, headers=KEY)
        assert answer.status_code < 500, (path, query, answer.text)

    with httpx.Client(base_url=base, timeout=10) as client:
        check()
    application.state.emulator.tasks.shutdown()


def test_a_canceled_task_frees_its_place_at_once() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with loopback(app(clock)) as client:
            first = (await submit(client, SILENT)).json()["output"]["task_id"]
            assert (await submit(client, SILENT)).status_code == 200
            clock.now += 1
            assert (await submit(client, SILENT)).status_code == 429  # two in flight
            assert (await client.post(f"/api/v1/tasks/{first}/cancel", headers=KEY)).status_code == 200
            assert (await submit(client, SILENT)).status_code == 200

    run(scenario())
