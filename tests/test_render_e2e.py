"""`story render` end to end against the emulator on loopback: every storyboard in storyboards/ renders
to MP4s of the requested pixel size and duration; a second run creates no task and downloads nothing."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterator

import av
import pytest

from storyc.cli import main
from storyc.cli.common import storyboard_files
from storyc.compile.takes import take_body, take_label
from storyc.emulator import EmulatorConfig, create_app
from storyc.emulator.testing import serve
from storyc.models.profile import catalog

ROOT = Path(__file__).resolve().parent.parent
STORYBOARDS = ROOT / "storyboards"
KEY = "sk-e2e-test-key"
FAST = EmulatorConfig(pending_seconds=0.2, running_seconds=0.3)
REMOTE_AUDIO = "https://help-static-aliyun-doc.aliyuncs.com/"


# -- helpers shared with test_chaos.py and test_submit_*.py ------------------------------------------
@contextlib.contextmanager
def emulator(config: EmulatorConfig = FAST) -> Iterator[tuple[str, Any]]:
    """A real emulator on a loopback port: (base URL, its app), to read its own task record."""
    app = create_app(config)
    with serve(config, app=app) as url:
        yield url, app


@contextlib.contextmanager
def file_server(folder: Path) -> Iterator[str]:
    """A static HTTP server on 127.0.0.1 for `folder`: stands in for a public audio URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def tone(path: Path, seconds: float) -> None:
    """A real audio file made by the ffmpeg imageio-ffmpeg ships."""
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", str(path)], check=True)


def copy_storyboards(tmp_path: Path, audio_base: str | None = None) -> Path:
    """storyboards/ copied; a remote soundtrack URL pointed at `audio_base` (loopback only)."""
    target = tmp_path / "storyboards"
    shutil.copytree(STORYBOARDS, target, ignore=shutil.ignore_patterns("renders", ".story", "*.lock"))
    for story in target.rglob("*.story"):
        text = story.read_text(encoding="utf-8")
        if REMOTE_AUDIO in text:
            assert audio_base, "a storyboard names remote audio: serve it on loopback"
            start = text.index(REMOTE_AUDIO)
            end = text.index("\n", start)
            name = text[start:end].rsplit("/", 1)[1]
            story.write_text(text[:start] + f"{audio_base}/{name}" + text[end:], encoding="utf-8")
    return target


def render(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code = main(["render", *args, "--json"])
    captured = capsys.readouterr()
    document = json.loads(captured.out) if captured.out.strip() else {}
    return code, document, captured.err


def probe(path: Path) -> tuple[int, int, float]:
    """(width, height, seconds) of an MP4, read with PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        seconds = float(container.duration) / 1_000_000 if container.duration else 0.0
        return stream.codec_context.width, stream.codec_context.height, seconds


def expected_picture(body: dict[str, Any]) -> tuple[int, int, int]:
    """Pixel size and seconds a compiled body asks for, from the model's profile."""
    profile = catalog().get(body["model"])
    assert profile is not None
    parameters = body.get("parameters", {})
    if "size" in parameters:
        size = parameters["size"]
    else:
        # a model that follows its first frame sends no ratio: the example's pictures are 16:9
        size = profile.resolution["pixels"][parameters["resolution"]][parameters.get("ratio", "16:9")]
    width, height = (int(part) for part in size.split("*"))
    duration = parameters.get("duration") or profile.duration.get("fixed") or profile.duration["default"]
    return width, height, int(duration)


def compiled_bodies(story: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    """Clip name -> request body, as `story compile` writes them."""
    out = story.parent / ".compiled" / story.stem
    assert main(["compile", str(story), "-o", str(out)]) == 0
    capsys.readouterr()
    bodies = {path.name.removesuffix(".json"): json.loads(path.read_text(encoding="utf-8"))
              for path in out.glob("*.json")}
    shutil.rmtree(out)
    return bodies


def asked_takes(story: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    """Clip name -> how many takes it asks for, from `story plan --json` (a row per take)."""
    assert main(["plan", str(story), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["storyboards"][0]["clips"]
    found: dict[str, int] = {}
    for row in rows:
        name = take_label_clip(row["clip"])
        found[name] = max(found.get(name, 0), row["take"])
    return found


def take_label_clip(label: str) -> str:
    return label.split(".take", 1)[0]


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with emulator() as (url, app):
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
        yield app


def _entry_storyboards() -> list[Path]:
    return sorted(p for p in map(Path, storyboard_files([str(STORYBOARDS)])) if "shared" not in p.parts)


# -- the tests -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("relative", [str(p.relative_to(STORYBOARDS)) for p in _entry_storyboards()],
                         ids=lambda name: name.replace("/", "-"))
def test_every_storyboard_renders_to_the_requested_videos_once(
    relative: str, online: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    with file_server(audio) as audio_base:
        stories = copy_storyboards(tmp_path, audio_base)
        story = stories / relative
        if audio_base in story.read_text(encoding="utf-8"):
            name = story.read_text(encoding="utf-8").split(audio_base + "/", 1)[1].split("\n", 1)[0]
            from urllib.parse import unquote

            tone(audio / unquote(name), 10)
        bodies = compiled_bodies(story, capsys)
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        monkeypatch.chdir(elsewhere)  # a local soundtrack resolves against the storyboard, not the cwd
        # a storyboard that continues another one's clip (`continue "main.story" departure`) needs it made
        for other in re.findall(r'^[ \t]+continue[ \t]*[:：]?[ \t]*"([^"]+)"', story.read_text("utf-8"), re.M):
            code, _, err = render([str(story.parent / other), "--yes"], capsys)
            assert code == 0, err
        earlier = set(online.state.emulator.tasks.tasks)
        code, summary, err = render([str(story), "--yes"], capsys)
        assert code == 0, err
        tasks = {id: task for id, task in online.state.emulator.tasks.tasks.items() if id not in earlier}
        takes = asked_takes(story, capsys)  # a clip with `takes N` is N requests, each with its own seed
        assert len(tasks) == len({json.dumps(take_body(body, take), sort_keys=True)
                                  for clip, body in bodies.items() for take in range(1, takes[clip] + 1)})
        assert all(online.state.emulator.tasks.status(task) == "SUCCEEDED" for task in tasks.values())
        folder = story.parent / "renders" / story.stem
        for clip, body in bodies.items():
            for take in range(1, takes[clip] + 1):
                video = folder / f"{take_label(clip, take)}.mp4"
                width, height, seconds = probe(video)
                want_width, want_height, want_seconds = expected_picture(body)
                assert (width, height) == (want_width, want_height)
                assert abs(seconds - want_seconds) < 0.2
        assert {c["clip"] for c in summary["clips"] if c["outcome"] == "rendered"} == set(bodies)
        assert summary["requests"]["creates"] == len(tasks)
        lock = json.loads(story.with_suffix(".lock").read_text(encoding="utf-8"))
        assert set(lock["clips"]) == set(bodies)
        assert all(not Path(take["video"]).is_absolute() for entry in lock["clips"].values()
                   for take in entry.get("takes", [entry]))
        before = {path: path.stat().st_mtime_ns for path in folder.iterdir()}
        lock_text = story.with_suffix(".lock").read_text(encoding="utf-8")

        code, again, err = render([str(story)], capsys)  # nothing to pay: no --yes needed
        assert code == 0, err
        assert len(online.state.emulator.tasks.tasks) == len(earlier) + len(tasks)  # the emulator's record: no new task
        assert again["requests"]["creates"] == 0 and again["requests"]["downloads"] == 0
        assert {c["outcome"] for c in again["clips"]} == {"cached"}
        assert again["seconds_billed"] == 0
        assert {path: path.stat().st_mtime_ns for path in folder.iterdir()} == before
        assert story.with_suffix(".lock").read_text(encoding="utf-8") == lock_text


def test_offline_without_a_key_renders_with_the_built_in_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)
    stories = copy_storyboards(tmp_path, "http://127.0.0.1:9")
    story = stories / "girl-and-donkeys.story"
    code, summary, err = render([str(story)], capsys)
    assert code == 0, err
    assert "DASHSCOPE_API_KEY is not set" in err and err.count("DASHSCOPE_API_KEY") == 1
    assert summary["emulated"] is True
    video = story.parent / "renders" / "girl-and-donkeys" / "meadow.mp4"
    width, height, seconds = probe(video)
    assert (width, height, round(seconds)) == expected_picture(compiled_bodies(story, capsys)["meadow"])
    lock = json.loads(story.with_suffix(".lock").read_text(encoding="utf-8"))
    assert lock["clips"]["meadow"]["emulated"] is True
    assert (story.parent / ".story" / ".gitignore").read_text() == "*\n"
    # an offline video is never taken for a paid one: with a key, the request is still to submit
    with emulator() as (url, app):
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        code, summary, err = render([str(story), "--yes"], capsys)
        assert code == 0, err
        assert len(app.state.emulator.tasks.tasks) == 1
        assert json.loads(story.with_suffix(".lock").read_text(encoding="utf-8"))["clips"]["meadow"]["emulated"] is False
