"""End to end on a loopback port: the official DashScope SDK against the emulator, and every
produced MP4 checked with ffprobe for codec, pixel size, duration and frame rate."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from storyc.emulator import EmulatorConfig, Faults
from storyc.emulator.testing import serve

FFPROBE = shutil.which("ffprobe")
pytestmark = pytest.mark.skipif(FFPROBE is None, reason="ffprobe is not installed (.ci/run installs it)")
AUDIO = Path(__file__).parent / "cases" / "audio"
CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
KEY = "sk-video-test"
FAST = EmulatorConfig(pending_seconds=0.2, running_seconds=0.4)


def probe(data: bytes, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / f"probe-{len(data)}.mp4"
    path.write_bytes(data)
    result = subprocess.run(
        [str(FFPROBE), "-v", "error", "-show_entries",
         "stream=codec_type,codec_name,width,height,r_frame_rate,duration:format=duration", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def assert_video(data: bytes, tmp_path: Path, width: int, height: int, seconds: float, audio: bool) -> dict[str, Any]:
    report = probe(data, tmp_path)
    streams = {s["codec_type"]: s for s in report["streams"]}
    video = streams["video"]
    assert (video["codec_name"], video["width"], video["height"], video["r_frame_rate"]) == ("h264", width, height, "30/1")
    assert abs(float(report["format"]["duration"]) - seconds) < 0.1
    assert abs(float(video["duration"]) - seconds) < 0.1
    assert ("audio" in streams) == audio
    return streams


def wait(base: str, task_id: str) -> dict[str, Any]:
    for _ in range(600):
        view: dict[str, Any] = httpx.get(f"{base}/api/v1/tasks/{task_id}", headers={"Authorization": f"Bearer {KEY}"}).json()
        if view["output"]["task_status"] not in ("PENDING", "RUNNING"):
            return view
        time.sleep(0.1)
    raise AssertionError("task did not finish")


def test_dashscope_sdk_end_to_end(tmp_path: Path) -> None:
    dashscope = pytest.importorskip("dashscope")
    from dashscope import VideoSynthesis

    with serve(FAST) as base:
        dashscope.base_http_api_url = f"{base}/api/v1"
        created = VideoSynthesis.async_call(
            api_key=KEY, model="wan2.7-t2v", prompt="Shot 1 [0-1s] wide: a fox. Shot 2 [1-2s] close-up: its eyes",
            resolution="720P", ratio="9:16", duration=2,
        )
        assert created.status_code == 200
        done = VideoSynthesis.wait(task=created, api_key=KEY)
        assert done.output.task_status == "SUCCEEDED"
        assert_video(httpx.get(done.output.video_url).content, tmp_path, 720, 1280, 2, audio=True)

        created = VideoSynthesis.async_call(
            api_key=KEY, model="wan2.6-t2v", prompt="第1個鏡頭[0-1秒] 全景:雨夜的紐約街頭 第2個鏡頭[1-3秒] 特寫:偵探",
            size="1088*832", duration=3, shot_type="multi", prompt_extend=True,
        )
        done = VideoSynthesis.wait(task=created, api_key=KEY)
        assert done.output.task_status == "SUCCEEDED"
        assert done.usage["size"] == "1088*832"
        assert_video(httpx.get(done.output.video_url).content, tmp_path, 1088, 832, 3, audio=True)

        done = VideoSynthesis.call(
            api_key=KEY, model="wan2.7-t2v", prompt="A fox speaks", resolution="720P", duration=5,
            audio_url=f"file://{AUDIO / 'tone-3s.wav'}",
        )
        assert done.output.task_status == "SUCCEEDED", (done.code, done.message)
        streams = assert_video(httpx.get(done.output.video_url).content, tmp_path, 1280, 720, 5, audio=True)
        assert abs(float(streams["audio"]["duration"]) - 5) < 0.1  # a 3 s file, padded with silence


@pytest.mark.parametrize(
    ("body", "size", "seconds", "audio"),
    [
        ({"model": "wan2.2-t2v-plus", "input": {"prompt": "邊緣光,低對比"}, "parameters": {"size": "832*480"}}, (832, 480), 5, False),
        ({"model": "wan2.1-t2v-turbo", "input": {"prompt": "x"}, "parameters": {"size": "624*624"}}, (624, 624), 5, False),
        ({"model": "wan2.7-t2v", "input": {"prompt": "x"}, "parameters": {"resolution": "720P", "ratio": "4:3", "duration": 2}}, (1104, 832), 2, True),
        ({"model": "wan2.5-t2v-preview", "input": {"prompt": "x"}, "parameters": {"size": "480*832", "duration": 5}}, (480, 832), 5, True),
    ],
    ids=["wan2.2-480P", "wan2.1-1:1", "wan2.7-4:3", "wan2.5-9:16"],
)
def test_every_video_matches_its_request(body: dict[str, Any], size: tuple[int, int], seconds: int, audio: bool, tmp_path: Path) -> None:
    with serve(FAST) as base:
        headers = {"Authorization": f"Bearer {KEY}", "X-DashScope-Async": "enable"}
        task_id = httpx.post(base + CREATE, headers=headers, json=body).json()["output"]["task_id"]
        done = wait(base, task_id)
        assert done["output"]["task_status"] == "SUCCEEDED"
        assert_video(httpx.get(done["output"]["video_url"]).content, tmp_path, *size, seconds, audio)


def test_supplied_audio_is_cut_to_the_video(tmp_path: Path) -> None:
    with serve(FAST) as base:
        headers = {"Authorization": f"Bearer {KEY}"}
        data = httpx.get(f"{base}/api/v1/uploads?action=getPolicy&model=wan2.7-t2v", headers=headers).json()["data"]
        key = f"{data['upload_dir']}/tone-10s.wav"
        form = {"Signature": data["signature"], "policy": data["policy"], "key": key, "success_action_status": "200"}
        upload = httpx.post(data["upload_host"], data=form, files={"file": ("tone-10s.wav", (AUDIO / "tone-10s.wav").read_bytes())})
        assert upload.status_code == 200
        body = {"model": "wan2.7-t2v", "input": {"prompt": "x", "audio_url": f"oss://{key}"},
                "parameters": {"resolution": "720P", "duration": 3}}
        submit = {**headers, "X-DashScope-Async": "enable", "X-DashScope-OssResourceResolve": "enable"}
        task_id = httpx.post(base + CREATE, headers=submit, json=body).json()["output"]["task_id"]
        done = wait(base, task_id)
        assert done["output"]["task_status"] == "SUCCEEDED", (done["output"].get("code"), done["output"].get("message"))
        streams = assert_video(httpx.get(done["output"]["video_url"]).content, tmp_path, 1280, 720, 3, audio=True)
        assert abs(float(streams["audio"]["duration"]) - 3) < 0.1


def test_audio_outside_the_models_range_fails_the_task() -> None:
    with serve(FAST) as base:
        headers = {"Authorization": f"Bearer {KEY}"}
        data = httpx.get(f"{base}/api/v1/uploads?action=getPolicy&model=wan2.6-t2v", headers=headers).json()["data"]
        key = f"{data['upload_dir']}/tone-2.5s.wav"
        form = {"Signature": data["signature"], "policy": data["policy"], "key": key}
        httpx.post(data["upload_host"], data=form, files={"file": ("a.wav", (AUDIO / "tone-2.5s.wav").read_bytes())})
        body = {"model": "wan2.6-t2v", "input": {"prompt": "x", "audio_url": f"oss://{key}"}, "parameters": {"size": "1280*720"}}
        submit = {**headers, "X-DashScope-Async": "enable", "X-DashScope-OssResourceResolve": "enable"}
        done = wait(base, httpx.post(base + CREATE, headers=submit, json=body).json()["output"]["task_id"])
        assert done["output"]["task_status"] == "FAILED"
        assert done["output"]["code"] == "InvalidFile.Duration"
        assert done["output"]["message"] == "Invalid file duration. The file duration must be 3 s ~ 30 s."


def test_truncated_download_is_detectable() -> None:
    config = FAST._replace(faults=Faults(truncate_download=1.0, seed=1))
    with serve(config) as base:
        headers = {"Authorization": f"Bearer {KEY}", "X-DashScope-Async": "enable"}
        body = {"model": "wan2.2-t2v-plus", "input": {"prompt": "x"}, "parameters": {"size": "832*480"}}
        done = wait(base, httpx.post(base + CREATE, headers=headers, json=body).json()["output"]["task_id"])
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(done["output"]["video_url"])


def test_story_emulator_command_serves_on_loopback() -> None:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "storyc", "emulator", "--port", str(port), "--speed", "10"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                answer = httpx.post(base + CREATE, json={})
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        else:
            raise AssertionError("story emulator did not start")
        assert answer.status_code == 401 and answer.json()["code"] == "InvalidApiKey"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_dashscope_asyncio_sdk_polls_with_a_trailing_slash() -> None:
    """The SDK's asyncio client polls `GET /api/v1/tasks/{id}/`; the service (and so the emulator)
    accepts it. (The SDK leaves its aiohttp session open, hence the ignored warnings.)"""
    import asyncio

    dashscope = pytest.importorskip("dashscope")
    from dashscope.aigc.video_synthesis import AioVideoSynthesis

    from storyc.emulator import create_app

    app = create_app(FAST)
    polled: list[str] = []

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            polled.append(scope["path"])
        await app(scope, receive, send)

    async def scenario() -> str:
        created = await AioVideoSynthesis.async_call(api_key=KEY, model="wan2.7-t2v", prompt="a fox",
                                                     resolution="720P", duration=2)
        done = await AioVideoSynthesis.wait(created, api_key=KEY)
        return str(done.output.task_status)

    with serve(FAST, app=recording) as base:
        dashscope.base_http_api_url = f"{base}/api/v1"
        assert asyncio.run(scenario()) == "SUCCEEDED"
    assert polled and all(path.startswith("/api/v1/tasks/") and path.endswith("/") for path in polled)


def test_render_cards_holds_each_card_for_exactly_its_frames(tmp_path: Path) -> None:
    """One PNG per card, repeated by ffmpeg: fractional shot lengths still land on the nearest frame,
    and the whole clip is exactly duration x 30 frames."""
    from storyc.emulator.video import Card, ffmpeg, render_cards

    shots = [Card(1, 0.0, 1.5, "wide"), Card(2, 1.5, 3.25, "close"), Card(3, 3.25, 4.1, "end")]
    path = tmp_path / "cards.mp4"
    render_cards(str(path), shots, 320, 180, 4.1, "test", silent_track=True)
    width, height = 64, 36
    frames = subprocess.run([ffmpeg(), "-v", "error", "-i", str(path), "-vf", f"scale={width}:{height},format=gray",
                             "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
    size = width * height
    pictures = [frames[i : i + size] for i in range(0, len(frames), size)]
    assert len(pictures) == 123  # round(4.1 * 30)
    changes = [index for index in range(1, len(pictures))
               if max(abs(a - b) for a, b in zip(pictures[index], pictures[index - 1], strict=True)) > 40]
    assert changes == [45, 98]  # 1.5 s and 3.25 s (97.5 frames, rounded half to even)
    assert_video(path.read_bytes(), tmp_path, 320, 180, 4.1, audio=True)
