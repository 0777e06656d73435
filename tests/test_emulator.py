"""Contract tests: the emulator answers as the API reference says the service does."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyc.emulator import EmulatorConfig, Faults, create_app
from storyc.emulator.testing import asgi_client

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
        async with asgi_client(app(clock)) as client:
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
            assert done["output"]["video_url"].startswith("http://emulator/results/")
            assert {"submit_time", "scheduled_time", "end_time", "orig_prompt"} <= set(done["output"])

    run(scenario())


@pytest.mark.parametrize("fixture", GUIDE, ids=[p.stem for p in GUIDE])
def test_guide_requests_are_accepted(fixture: Path) -> None:
    body = json.loads(fixture.read_text(encoding="utf-8"))["body"]

    async def scenario() -> None:
        async with asgi_client(app(Clock())) as client:
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
        async with asgi_client(app(Clock())) as client:
            answer = await submit(client, body, headers)
            assert answer.status_code == status
            payload = answer.json()
            assert set(payload) == {"code", "message", "request_id"} and payload["code"] == code
            if message:
                assert payload["message"] == message

    run(scenario())


def test_malformed_json_body() -> None:
    async def scenario() -> None:
        async with asgi_client(app(Clock())) as client:
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
        async with asgi_client(app(clock)) as client:
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
        async with asgi_client(create_app(EmulatorConfig(pending_seconds=10, running_seconds=20),
                                          clock=clock.monotonic, wall=clock.wall)) as client:
            created = await submit(client, body)
            done = await finish(client, clock, created.json()["output"]["task_id"])
            assert done["output"]["code"] == "InvalidParameter.DataInspection"

    run(scenario())


def test_over_long_prompt_is_truncated_silently() -> None:
    clock = Clock()
    body = {"model": "wan2.2-t2v-plus", "input": {"prompt": "長" * 900}, "parameters": {"size": "832*480"}}

    async def scenario() -> None:
        async with asgi_client(app(clock)) as client:
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
        async with asgi_client(app(clock)) as client:
            done = await finish(client, clock, (await submit(client, body)).json()["output"]["task_id"])
            assert done["usage"] == usage

    run(scenario())


def test_rate_limits_per_key_and_model() -> None:
    clock = Clock()
    body = {"model": "wan2.2-t2v-plus", "input": {"prompt": "x"}, "parameters": {"size": "832*480"}}

    async def scenario() -> None:
        async with asgi_client(app(clock)) as client:
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
        async with asgi_client(app(clock)) as client:
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
        async with asgi_client(app(clock)) as client:
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
        async with asgi_client(app(clock)) as client:
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
        async with asgi_client(app(clock)) as client:
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
        async with asgi_client(app(clock)) as client:
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
        async with asgi_client(create_app(EmulatorConfig(policy_lifetime_seconds=-1, render_videos=False))) as client:
            data = (await client.get("/api/v1/uploads?action=getPolicy&model=wan2.7-t2v", headers=KEY)).json()["data"]
            form = {"Signature": data["signature"], "policy": data["policy"], "key": f"{data['upload_dir']}/a.wav"}
            answer = await client.post(data["upload_host"], data=form, files={"file": ("a.wav", b"RIFF")})
            assert answer.status_code == 403
            assert answer.json()["message"] == "Invalid according to Policy: Policy expired."

    run(scenario())


def test_result_urls_are_signed_and_expire() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with asgi_client(app(clock, url_lifetime_seconds=60)) as client:
            done = await finish(client, clock, (await submit(client, WAN27)).json()["output"]["task_id"])
            url = done["output"]["video_url"].removeprefix("http://emulator")
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
        async with asgi_client(fault_app(Clock(), **rates)) as client:
            answer = await submit(client, WAN27)
            assert (answer.status_code, answer.json()["code"]) == (status, code)

    run(scenario())


def test_injected_drop_cuts_the_response() -> None:
    async def scenario() -> None:
        async with asgi_client(fault_app(Clock(), drop=1.0)) as client:
            answer = await submit(client, WAN27)
            with pytest.raises(json.JSONDecodeError):
                answer.json()

    run(scenario())


def test_injected_task_failures_are_repeatable_with_a_seed() -> None:
    def outcomes() -> list[str]:
        clock = Clock()

        async def scenario() -> list[str]:
            async with asgi_client(fault_app(clock, fail_task=0.5)) as client:
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


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
plausible = st.fixed_dictionaries(
    {"model": st.sampled_from(["wan2.7-t2v", "wan2.6-t2v", "wan2.2-t2v-plus", "x", ""]) | json_values},
    optional={"input": st.fixed_dictionaries({}, optional={"prompt": st.text(max_size=30) | json_values,
                                                           "audio_url": json_values}) | json_values,
              "parameters": st.dictionaries(st.sampled_from(["size", "duration", "resolution", "ratio", "seed",
                                                             "prompt_extend", "shot_type"]), json_values) | json_values},
)


@settings(max_examples=300)
@given(st.one_of(json_values, plausible))
def test_any_body_gets_a_documented_answer(body: Any) -> None:
    """Whatever JSON arrives, the answer is 200 PENDING or a 4xx with code, message and request_id."""

    async def scenario() -> None:
        async with asgi_client(app(Clock())) as client:
            answer = await submit(client, body)
            payload = answer.json()
            if answer.status_code == 200:
                assert payload["output"]["task_status"] == "PENDING"
            else:
                assert 400 <= answer.status_code < 500
                assert set(payload) == {"code", "message", "request_id"}

    run(scenario())
