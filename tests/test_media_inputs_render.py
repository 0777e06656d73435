"""Media inputs rendered and emulated: `story render` of storyboards/rain-walk against the emulator on
loopback uploads each local file once, the emulator's record shows each role carrying the right file, and
the videos show their inputs (first frame = the first-frame picture, last frame = the last-frame picture).
The emulator refuses each invalid combination the reference lists, with its code, at its moment."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from PIL import Image, ImageChops, ImageStat

from storyc.cli import main
from storyc.emulator import EmulatorConfig, create_app
from storyc.emulator.testing import serve

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "storyboards" / "rain-walk"
KEY = "sk-media-test-key"
FAST = EmulatorConfig(pending_seconds=0.1, running_seconds=0.2)
# what each role of each clip must carry (storyboards/rain-walk/main.story)
ROLES = {
    "arrival": {"first_frame": "street.png", "last_frame": "door.png"},
    "meeting": {"reference_image": ["mei.png", "lin.png"], "reference_voice": "mei-voice.wav"},
    "dusk": {"first_frame": "dusk.png", "driving_audio": "drums.wav"},
}


def sha(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def frames(video: Path) -> tuple[Image.Image, Image.Image, int]:
    with av.open(str(video)) as container:
        decoded = [frame.to_image() for frame in container.decode(video=0)]
    return decoded[0], decoded[-1], len(decoded)


def difference(frame: Image.Image, picture: Path) -> float:
    """Mean absolute difference per channel (0-255) between a frame and a picture scaled to it."""
    with Image.open(picture) as image:
        scaled = image.convert("RGB").resize(frame.size)
    return sum(ImageStat.Stat(ImageChops.difference(frame.convert("RGB"), scaled)).mean) / 3


def render(folder: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = main(["render", str(folder / "main.story"), "--yes", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out) if captured.out.strip() else {}


def test_the_example_renders_with_each_input_in_its_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "rain-walk"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("renders", ".story", "*.lock"))
    app = create_app(FAST)
    emulator = app.state.emulator
    with serve(FAST, app=app) as url:
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
        render(folder, capsys)
        by_clip = {_clip_of(task): task for task in emulator.tasks.billable()}
        assert len(emulator.tasks.billable()) == len(by_clip) == 3
        # each local file went up once, bound to the model that uses it
        uploads = list(emulator.uploads.files.values())
        assert len(uploads) == 7
        assert sorted(sha(u.path) for u in uploads) == sorted(
            sha(folder / "refs" / name) for name in
            ("street.png", "door.png", "mei.png", "lin.png", "mei-voice.wav", "dusk.png", "drums.wav"))
        for clip, expected in ROLES.items():
            task = by_clip[clip]
            carried: dict[str, Any] = {}
            for medium in task.spec.media:
                name = _name_of(folder, task.media_paths[medium.url])
                if medium.role == "reference_image":
                    carried.setdefault("reference_image", []).append(name)
                else:
                    carried[medium.role] = name
                if medium.voice is not None:
                    carried["reference_voice"] = _name_of(folder, task.media_paths[medium.voice])
            assert carried == expected, clip
        # the videos show their inputs
        first, last, count = frames(folder / "renders" / "main" / "arrival.mp4")
        assert count == 5 * 30 and first.size == (1280, 720)
        assert difference(first, folder / "refs" / "street.png") < 8
        assert difference(last, folder / "refs" / "door.png") < 8
        assert difference(first, folder / "refs" / "door.png") > 30  # the comparison tells pictures apart
        first, _, _ = frames(folder / "renders" / "main" / "dusk.mp4")
        assert difference(first, folder / "refs" / "dusk.png") < 8
        lock = (folder / "main.lock").read_text("utf-8")
        before = json.loads(lock)["clips"]

        # a second run pays for nothing and uploads nothing
        render(folder, capsys)
        assert len(emulator.tasks.billable()) == 3 and len(emulator.uploads.files) == 7

        # a changed picture makes exactly the clips that use it stale
        with Image.open(folder / "refs" / "door.png") as image:
            image.convert("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(folder / "refs" / "door.png")
        assert main(["plan", str(folder / "main.story"), "--json"]) == 0
        planned = json.loads(capsys.readouterr().out)
        states = {clip["clip"]: clip.get("status") for sb in planned["storyboards"] for clip in sb["clips"]}
        assert states == {"arrival": "to submit", "meeting": "cached", "dusk": "cached"}, planned
        render(folder, capsys)
        assert len(emulator.tasks.billable()) == 4 and len(emulator.uploads.files) == 8
        after = json.loads((folder / "main.lock").read_text("utf-8"))["clips"]
        assert after["arrival"]["request"] != before["arrival"]["request"]
        assert after["meeting"] == before["meeting"] and after["dusk"] == before["dusk"]


def _clip_of(task: Any) -> str:
    prompt = task.spec.prompt
    return "meeting" if "Image 1" in prompt else "dusk" if "drums" in prompt else "arrival"


def _name_of(folder: Path, uploaded: str) -> str:
    digest = sha(uploaded)
    return next(p.name for p in (folder / "refs").iterdir() if p.is_file() and sha(p) == digest)


# -- the emulator's answers ----------------------------------------------------------------------------
def _create(url: str, body: dict[str, Any], path: str = "video-generation/video-synthesis") -> httpx.Response:
    return httpx.post(f"{url}/api/v1/services/aigc/{path}", json=body, timeout=10,
                      headers={"Authorization": f"Bearer {KEY}", "X-DashScope-Async": "enable"})


def _final(url: str, task_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        output: dict[str, Any] = httpx.get(f"{url}/api/v1/tasks/{task_id}", timeout=10,
                                           headers={"Authorization": f"Bearer {KEY}"}).json()["output"]
        if output["task_status"] in ("SUCCEEDED", "FAILED"):
            return output
        time.sleep(0.1)
    raise AssertionError("the task did not finish")


IMAGE = "http://127.0.0.1:9/a.png"  # never fetched: the refusals come before any download


def _body(model: str, media: list[dict[str, str]], **parameters: Any) -> dict[str, Any]:
    return {"model": model, "input": {"prompt": "a test", "media": media},
            "parameters": {"resolution": "720P", "duration": 5, **parameters}}


@pytest.mark.parametrize("reject", ["async", "sync"])
def test_documented_failures_arrive_as_failed_tasks(reject: str) -> None:
    config = FAST._replace(reject=reject, region="beijing", api_keys=frozenset({KEY}), render_videos=False)
    with serve(config, app=create_app(config)) as url:
        mixed = _create(url, _body("wan3.0-video", [{"type": "first_frame", "url": IMAGE},
                                                   {"type": "reference_image", "url": IMAGE}]))
        assert mixed.status_code == 200  # §13: accepted, then FAILED
        output = _final(url, mixed.json()["output"]["task_id"])
        assert (output["task_status"], output["code"]) == ("FAILED", "InvalidParameter")
        assert output["message"].startswith("The two modes are mutually exclusive.")
        alone = _create(url, _body("wan2.7-r2v", [{"type": "first_frame", "url": IMAGE}]))
        assert alone.status_code == 200
        assert _final(url, alone.json()["output"]["task_id"])["code"] == "InvalidParameter"
        # an undocumented moment follows the emulator's `reject` setting, with the documented code
        last = _create(url, _body("wan2.7-i2v", [{"type": "last_frame", "url": IMAGE}]))
        if reject == "sync":
            assert (last.status_code, last.json()["code"]) == (400, "InvalidParameter")
        else:
            assert _final(url, last.json()["output"]["task_id"])["code"] == "InvalidParameter"
        too_long = _create(url, _body("wan2.7-r2v", [{"type": "reference_video", "url": "http://127.0.0.1:9/a.mp4"}],
                                      duration=12))
        assert (too_long.status_code == 400) == (reject == "sync")


def test_paths_urls_and_headers() -> None:
    config = FAST._replace(region="beijing", api_keys=frozenset({KEY}), render_videos=False)
    with serve(config, app=create_app(config)) as url:
        frames_body = {"model": "wan2.2-kf2v-flash", "input": {"prompt": "a cat", "first_frame_url": IMAGE,
                                                               "last_frame_url": IMAGE},
                       "parameters": {"resolution": "480P"}}
        wrong = _create(url, frames_body)  # first and last frame has its own path (§2.1)
        assert (wrong.status_code, wrong.json()["message"]) == (400, "Model not exist.")
        assert _create(url, frames_body, "image2video/video-synthesis").status_code == 200
        assert _create(url, _body("wan2.7-i2v", [{"type": "first_frame", "url": IMAGE}]),
                       "image2video/video-synthesis").status_code == 400
        # an oss:// URL needs the resolve header and an upload of this account for this model
        upload = _create(url, _body("wan2.7-i2v", [{"type": "first_frame", "url": "oss://dashscope-instant/x.png"}]))
        assert (upload.status_code, upload.json()["code"]) == (400, "InvalidURL")
        local = _create(url, _body("wan2.7-i2v", [{"type": "first_frame", "url": "file://refs/a.png"}]))
        assert (local.status_code, local.json()["code"]) == (400, "InvalidURL")
        typed = _create(url, {"model": "wan2.7-i2v", "input": {"prompt": "x", "media": "a.png"}})
        assert typed.status_code == 400


def test_reference_video_seconds_are_billed_as_planned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """wan2.7-r2v bills the reference video's seconds (capped at 5) besides the output (§11): the plan's
    price, the emulator's usage and the lock file agree."""
    (tmp_path / "refs").mkdir()
    shutil.copy(ROOT / "tests" / "cases" / "media" / "refs" / "walk.mp4", tmp_path / "refs" / "walk.mp4")
    (tmp_path / "main.story").write_text("model wan2.7-r2v\nresolution 720P\nregion beijing\n"
                                         "cast lin: a boy\n  video: refs/walk.mp4\nclip a 5s\n  @lin waves\n", "utf-8")
    assert main(["plan", str(tmp_path / "main.story"), "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)["storyboards"][0]["clips"]
    assert row["price"]["amount"] == pytest.approx(8 * 0.6)  # 3 s of video in + 5 s out, CNY 0.6 a second
    config = FAST._replace(region="beijing")
    app = create_app(config)
    with serve(config, app=app) as url:
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        render(tmp_path, capsys)
    [task] = app.state.emulator.tasks.billable()
    assert task.spec.input_seconds == pytest.approx(3.0)
    locked = json.loads((tmp_path / "main.lock").read_text("utf-8"))["clips"]["a"]
    assert locked["seconds_billed"] == pytest.approx(8.0)
    assert locked["cost"] == pytest.approx(8 * 0.6)


def test_curl_refuses_media_it_cannot_upload(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "rain-walk"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("renders", ".story", "*.lock"))
    code = main(["compile", str(folder / "main.story"), "--curl", "-o", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code != 0
    assert "clip `arrival` sends pictures, clips or voices" in captured.err
    assert "Traceback" not in captured.err
