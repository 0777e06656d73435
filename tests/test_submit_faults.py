"""The machine's faults and the files a request reads, against the emulator on loopback.

A read-only renders folder and a full disk (a real tmpfs, mounted for the test) end `story render`
with a message and a non-zero exit, never an internal error, and keep what was downloaded. Every
local file a request reads passes one gate: a project template's `file:///dev/zero` or
`file://../outside/x.wav`, or a lock file's `"video": "/dev/zero"`, never hangs and never leaves
the project.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from test_render_e2e import KEY, emulator, render, tone

from storyc.base.paths import FileProblem, request_file, sha256_file
from storyc.emulator import EmulatorConfig

FAST = EmulatorConfig(pending_seconds=0.2, running_seconds=0.3)


def storyboard(folder: Path, clips: int) -> Path:
    lines = ['storyboard "faults"', "model wan2.7-t2v", "resolution 720P", "ratio 1:1", "language en",
             "prompt-extend off", ""]
    for number in range(1, clips + 1):
        lines += [f"clip part{number} 2s", f"  A kite number {number} climbs over a beach.", ""]
    story = folder / "faults.story"
    story.write_text("\n".join(lines), encoding="utf-8")
    return story


@contextlib.contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    """A real tmpfs mounted at `where` (root only): the kernel's own EROFS and ENOSPC."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): run the tests as root")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    with emulator(FAST) as (url, app):
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
        yield url, app


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the machine's faults ------------------------------------------------------------------------------
def test_a_read_only_renders_folder_stops_the_run_before_anything_is_paid(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = storyboard(tmp_path, clips=2)
    with tmpfs(tmp_path / "renders", "ro,size=1m"):
        code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 1, err
    assert "internal error" not in err and "read-only file system" in err and "renders/faults" in err
    assert len(service[1].state.emulator.tasks.tasks) == 0


def test_a_read_only_folder_of_cached_videos_renders_as_cached(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = storyboard(tmp_path, clips=1)
    with tmpfs(tmp_path / "renders", "size=2m") as renders:
        code, _, err = render([str(story), "--yes"], capsys)
        assert code == 0, err
        subprocess.run(["mount", "-o", "remount,ro", str(renders)], check=True)
        code, summary, err = render([str(story), "--yes"], capsys)
        assert code == 0, err
        assert summary["clips"][0]["outcome"] == "cached" and summary["requests"]["creates"] == 0


def test_a_full_disk_is_a_message_and_keeps_what_was_downloaded(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = service[1]
    story = storyboard(tmp_path, clips=1)
    with tmpfs(tmp_path / "renders", "size=2m"):
        code, _, err = render([str(story), "--yes"], capsys)
        assert code == 0, err
        first = tmp_path / "renders" / "faults" / "part1.mp4"
        kept = sha256(first)
        filler = tmp_path / "renders" / "filler"
        with open(filler, "wb") as handle, contextlib.suppress(OSError):
            while True:  # until the kernel says ENOSPC
                handle.write(b"\0" * 65536)
                handle.flush()
        story = storyboard(tmp_path, clips=2)
        code, summary, err = render([str(story), "--yes"], capsys)
        assert code == 1, err
        assert "internal error" not in err and "no space left on device" in err, err
        assert sha256(first) == kept  # what was downloaded stays
        assert len(app.state.emulator.tasks.tasks) == 2
        assert not [name for name in os.listdir(first.parent) if name.startswith(".storyc-part-")]
        filler.unlink()
        code, summary, err = render([str(story), "--yes"], capsys)
        assert code == 0, err
        assert summary["requests"]["creates"] == 0 and len(app.state.emulator.tasks.tasks) == 2
        assert sha256(first) == kept and (first.parent / "part2.mp4").stat().st_size > 0


# -- one gate for the files a request reads --------------------------------------------------------------
def project(tmp_path: Path, audio_url: str) -> Path:
    """A project (`story.toml`) whose body template sends `audio_url` with every clip."""
    folder = tmp_path / "project"
    (folder / "templates").mkdir(parents=True)
    (folder / "story.toml").write_text("", encoding="utf-8")
    builtin = Path(__file__).resolve().parent.parent / "compiler/storyc/compile/templates/body-new.json.j2"
    text = builtin.read_text(encoding="utf-8").replace(
        '"prompt": {{ request.prompt | json }}', f'"prompt": {{{{ request.prompt | json }}}}, "audio_url": "{audio_url}"')
    (folder / "templates" / "body-new.json.j2").write_text(text, encoding="utf-8")
    return storyboard(folder, clips=1)


@pytest.mark.parametrize("audio_url", ["file:///dev/zero", "file://../outside/secret.wav"])
def test_a_project_template_cannot_make_render_read_outside_the_project(
    audio_url: str, service: tuple[str, Any], tmp_path: Path
) -> None:
    url, app = service
    (tmp_path / "outside").mkdir()
    tone(tmp_path / "outside" / "secret.wav", 3)
    story = project(tmp_path, audio_url)
    environment = {**os.environ, "DASHSCOPE_API_KEY": KEY, "DASHSCOPE_BASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "storyc", "render", str(story), "--yes"], env=environment,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    # Refused when the body is compiled (SB501), before render's own gate would read anything.
    assert "internal error" not in done.stderr and "error[SB501]" in done.stderr, done.stderr
    assert "leads outside the project" in done.stderr
    assert len(app.state.emulator.tasks.tasks) == 0 and not app.state.emulator.uploads.files


def test_a_template_file_that_is_a_fifo_inside_the_project_is_refused(
    service: tuple[str, Any], tmp_path: Path
) -> None:
    url, app = service
    story = project(tmp_path, "file://pipe.wav")
    os.mkfifo(story.parent / "pipe.wav")
    environment = {**os.environ, "DASHSCOPE_API_KEY": KEY, "DASHSCOPE_BASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "storyc", "render", str(story), "--yes"], env=environment,
                          capture_output=True, text=True, timeout=60)  # a FIFO read would block forever
    assert done.returncode != 0 and "internal error" not in done.stderr and "pipe.wav" in done.stderr, done.stderr
    assert len(app.state.emulator.tasks.tasks) == 0


def test_a_lock_file_naming_dev_zero_never_hangs_render(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = service
    story = storyboard(tmp_path, clips=1)
    code, _, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    lock_path = story.with_suffix(".lock")
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    lock["clips"]["part1"]["video"] = "/dev/zero"
    lock_path.write_text(json.dumps(lock), encoding="utf-8")
    for name in ("journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm"):
        (tmp_path / ".story" / name).unlink(missing_ok=True)  # so the lock file is all there is
    environment = {**os.environ, "DASHSCOPE_API_KEY": KEY, "DASHSCOPE_BASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "storyc", "render", str(story), "--yes", "--json"],
                          env=environment, capture_output=True, text=True, timeout=60)
    assert "internal error" not in done.stderr
    assert len(app.state.emulator.tasks.tasks) == 1  # found in the task list, not created again


def test_the_gate_refuses_each_kind_of_file_and_names_the_origin(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "ok.wav").write_bytes(b"RIFF")
    os.mkfifo(root / "fifo.wav")
    (root / "away.wav").symlink_to("/etc/hostname")
    (root / "big.wav").write_bytes(b"\0" * 2048)
    origin = "clip `a` (x.story:3:6): a project template's `file://x`"
    assert request_file(str(root / "ok.wav"), str(root), origin) == os.path.realpath(root / "ok.wav")
    refusals = {
        "fifo.wav": "which is a FIFO, not a regular file",
        "away.wav": "which leads outside the project",
        "missing.wav": "no such file or directory",
        "../x.wav": "which leads outside the project",
    }
    for name, reason in refusals.items():
        with pytest.raises(FileProblem) as problem:
            request_file(str(root / name), str(root), origin)
        assert str(problem.value).startswith(origin) and reason in str(problem.value)
    with pytest.raises(FileProblem, match="larger than"):
        request_file(str(root / "big.wav"), str(root), origin, limit=1024)
    for special in ("/dev/zero", str(root / "fifo.wav")):
        with pytest.raises(FileProblem, match="not a regular file"):
            sha256_file(special)
    with pytest.raises(FileProblem, match="larger than"):
        sha256_file(str(root / "big.wav"), limit=1024)
    assert sha256_file(str(root / "ok.wav")) == hashlib.sha256(b"RIFF").hexdigest()


def test_a_fifo_in_place_of_a_downloaded_video_is_refused_not_read(
    service: tuple[str, Any], tmp_path: Path
) -> None:
    """The lock file names that video, and the lock is an input: a FIFO there is named, never read."""
    url, app = service
    story = storyboard(tmp_path, clips=1)
    environment = {**os.environ, "DASHSCOPE_API_KEY": KEY, "DASHSCOPE_BASE_URL": url}
    command = [sys.executable, "-m", "storyc", "render", str(story), "--yes"]
    assert subprocess.run(command, env=environment, capture_output=True, timeout=60).returncode == 0
    video = tmp_path / "renders" / "faults" / "part1.mp4"
    video.unlink()
    os.mkfifo(video)
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "is a FIFO, not a regular file" in done.stderr, done.stderr
    assert "faults.lock:" in done.stderr and len(app.state.emulator.tasks.tasks) == 1
