"""With a sentinel key, the key appears in no file written (journal, lock, videos, uploads cache), in no
progress line, summary or error message — for a full run, a failing run, status, cancel and a wrong key."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from test_render_e2e import copy_storyboards, emulator, tone

from storyc.cli import main
from storyc.emulator import EmulatorConfig, Faults


def written_files(folder: Path) -> list[Path]:
    return [Path(root) / name for root, _, names in os.walk(folder) for name in names]


def assert_absent(secret: str, folder: Path, outputs: list[str]) -> None:
    needle = secret.encode()
    files = written_files(folder)
    assert any(path.suffix == ".mp4" for path in files) and any(path.name == "journal.sqlite" for path in files)
    for path in files:
        assert needle not in path.read_bytes(), f"the key is in {path}"
    for text in outputs:
        assert secret not in text


def test_the_key_reaches_no_file_and_no_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    key = "sk-SENTINEL-" + secrets.token_hex(12)
    wrong = "sk-SENTINEL-WRONG-" + secrets.token_hex(12)
    stories = copy_storyboards(tmp_path, "http://127.0.0.1:9")
    story = stories / "sentinel.story"  # a local soundtrack: the upload flow too
    tone(stories / "theme.wav", 3)
    story.write_text('storyboard "sentinel"\nmodel wan2.7-t2v\nresolution 720P\nratio 1:1\nlanguage en\n\n'
                     "clip one 3s\n  soundtrack: theme.wav\n  A kite over the sea.\n\n"
                     "clip two 2s\n  A kite in a tree.\n", encoding="utf-8")
    outputs: list[str] = []
    config = EmulatorConfig(pending_seconds=0.1, running_seconds=0.2, api_keys=frozenset({key}))
    with emulator(config) as (url, _):
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        monkeypatch.setenv("DASHSCOPE_API_KEY", key)
        environment = {**os.environ}
        finished = subprocess.run([sys.executable, "-m", "storyc", "render", str(story), "--yes"],
                                  env=environment, capture_output=True, text=True, timeout=300)
        assert finished.returncode == 0, finished.stderr
        outputs += [finished.stdout, finished.stderr]
        for argv in (["status", str(story)], ["status", str(story), "--json"], ["cancel", str(story)],
                     ["render", str(story), "--json"]):
            assert main(argv) == 0
            captured = capsys.readouterr()
            outputs += [captured.out, captured.err]
        monkeypatch.setenv("DASHSCOPE_API_KEY", wrong)  # the service refuses it: the error must not show it
        other = stories / "future-garden.story"
        assert main(["render", str(other), "--yes"]) == 1
        captured = capsys.readouterr()
        assert "InvalidApiKey" in captured.err
        outputs += [captured.out, captured.err]
    with emulator(config._replace(faults=Faults(fail_task=1.0))) as (url, _):
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        monkeypatch.setenv("DASHSCOPE_API_KEY", key)
        assert main(["render", str(stories / "girl-and-donkeys.story"), "--yes"]) == 1
        captured = capsys.readouterr()
        assert "failed: InternalError.Algo" in captured.err
        outputs += [captured.out, captured.err]
    assert_absent(key, tmp_path, outputs)
    assert_absent(wrong, tmp_path, outputs)
