"""`story watch` as a real process: it checks, then checks again when a storyboard (or an include) is
saved, shows the plan of a clean file, and clears the screen per run only on a terminal."""

from __future__ import annotations

import os
import pty
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from storyc.cli.watch import CLEAR

GOOD = """\
model wan2.7-t2v
resolution 720P
include "cast.story"

clip chase 5s
  shot 2s wide
    @fox runs
  shot 3s close-up
    @fox stops
"""


class Output:
    """Everything a process wrote, read on a thread so that waiting never blocks on a pipe."""

    def __init__(self, read: Callable[[], bytes]) -> None:
        self.chunks: queue.Queue[bytes] = queue.Queue()
        self.text = ""

        def pump() -> None:
            while True:
                try:
                    data = read()
                except OSError:
                    data = b""
                self.chunks.put(data)
                if not data:
                    return

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while not predicate(self.text):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out; output so far:\n{self.text}")
            try:
                data = self.chunks.get(timeout=remaining)
            except queue.Empty:
                continue
            if not data:
                raise AssertionError(f"the process ended; output:\n{self.text}")
            self.text += data.decode("utf-8", errors="replace")
        return self.text


def runs(text: str) -> int:
    return text.count("story watch: ")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "cast.story").write_text("cast fox: a red fox\n", "utf-8")
    (tmp_path / "chase.story").write_text(GOOD, "utf-8")
    return tmp_path


def _save(path: Path, text: str) -> None:
    path.write_text(text, "utf-8")


@pytest.fixture
def watch_process(project: Path) -> Iterator[tuple[subprocess.Popen[bytes], Output]]:
    process = subprocess.Popen([sys.executable, "-m", "storyc", "watch", str(project)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "DASHSCOPE_REGION": ""})
    assert process.stdout is not None
    output = Output(lambda: os.read(process.stdout.fileno(), 65536))  # type: ignore[union-attr]
    try:
        yield process, output
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
            process.stdout.close()


def test_watch_checks_again_on_save_and_shows_the_plan(project: Path, watch_process: tuple[subprocess.Popen[bytes], Output]) -> None:
    process, output = watch_process
    first = output.wait_for(lambda text: "checked" in text and "chase" in text.split("checked", 1)[1])
    assert "2 files checked: no problems" in first and "chase" in first and "CNY" in first
    assert CLEAR not in first  # not a terminal

    time.sleep(0.3)  # let the watcher settle before the first save
    _save(project / "chase.story", GOOD.replace("@fox stops", "@foxx stops"))
    second = output.wait_for(lambda text: runs(text) >= 2 and "checked" in text.rsplit("story watch: ", 1)[1])
    latest = second.rsplit("story watch: ", 1)[1]
    assert "error[SB205]: `@foxx` is not declared" in latest
    assert "1 error" in latest and "CNY" not in latest  # no plan while there are errors

    # Saving an included file re-checks the storyboard that includes it.
    count = runs(second)
    _save(project / "cast.story", "cast fox: a red fox\ncast foxx: another fox\n")
    third = output.wait_for(lambda text: runs(text) > count and "checked" in text.rsplit("story watch: ", 1)[1])
    assert "SB205" not in third.rsplit("story watch: ", 1)[1]

    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 0  # generous: a loaded CI machine can starve the watcher for seconds


def test_watch_clears_the_screen_for_each_run_on_a_terminal(project: Path) -> None:
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "storyc", "watch", str(project / "chase.story")],
                               stdout=follower, stderr=follower, stdin=subprocess.DEVNULL,
                               env={**os.environ, "DASHSCOPE_REGION": ""})
    os.close(follower)
    output = Output(lambda: os.read(leader, 65536))
    try:
        output.wait_for(lambda text: "checked" in text)
        time.sleep(0.3)
        _save(project / "chase.story", GOOD.replace("5s", "6s"))
        text = output.wait_for(lambda text: runs(text) >= 2 and "checked" in text.rsplit("story watch: ", 1)[1])
        assert text.count(CLEAR) == runs(text) == 2
        assert "SB302" in text.rsplit(CLEAR, 1)[1]  # the shots no longer add up to the clip
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
            os.close(leader)


def test_watch_refuses_a_missing_path(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "storyc", "watch", str(tmp_path / "missing.story")],
                         capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 2
    assert "no such file or folder" in run.stderr and "Traceback" not in run.stderr
