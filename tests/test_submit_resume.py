"""The journal at work: lost creates found through the task list, resumed polls, expired tasks, failed
tasks, budgets, Ctrl-C, `story status` and `story cancel` — against the emulator on loopback."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from test_render_e2e import KEY, emulator, render

from storyc.cli import main
from storyc.cli.submitting import compile_storyboards
from storyc.emulator import EmulatorConfig, Faults
from storyc.submit.client import Client
from storyc.submit.jobs import Job, prepare
from storyc.submit.journal import Journal, request_hash

FAST = EmulatorConfig(pending_seconds=0.2, running_seconds=0.3)


def storyboard(tmp_path: Path, clips: int = 2, extra: str = "") -> Path:
    lines = ['storyboard "resume"', "model wan2.7-t2v", "resolution 720P", "ratio 1:1", "language en",
             "prompt-extend off", extra, ""]
    for number in range(1, clips + 1):
        lines += [f"clip part{number} 2s", f"  A lantern number {number} swings in the wind.", ""]
    story = tmp_path / "resume.story"
    story.write_text("\n".join(lines), encoding="utf-8")
    return story


def jobs_of(story: Path) -> list[Job]:
    options = argparse.Namespace(paths=[str(story)], profiles=None, command="render", region=None)
    return prepare(compile_storyboards(options)).jobs


def create_directly(url: str, body: dict[str, Any]) -> str:
    """A task the service made although its answer never reached the journal."""
    async def go() -> str:
        async with httpx.AsyncClient() as http:
            return (await Client(http, url, KEY).create(body)).task_id

    return asyncio.run(go())


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    with emulator(FAST) as (url, app):
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
        yield url, app


def test_lost_creates_are_found_in_the_task_list_not_sent_again(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = service
    story = storyboard(tmp_path, clips=3)
    jobs = jobs_of(story)
    orphans = {}
    for job in jobs[:2]:  # two answers lost at once (a kill during a burst)
        job.journal.intend(job.hash)
        orphans[job.targets[0].name] = create_directly(url, job.body)
    time.sleep(0.05)
    code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    assert summary["requests"]["creates"] == 1  # only the third clip was sent
    assert len(app.state.emulator.tasks.tasks) == 3
    lock = json.loads(story.with_suffix(".lock").read_text(encoding="utf-8"))
    for name, task_id in orphans.items():
        assert lock["clips"][name]["task_id"] == task_id


def test_a_create_that_made_no_task_is_sent_once(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, app = service
    story = storyboard(tmp_path, clips=1)
    job = jobs_of(story)[0]
    job.journal.intend(job.hash)
    code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    assert summary["requests"]["creates"] == 1 and summary["requests"]["lists"] >= 1
    assert len(app.state.emulator.tasks.tasks) == 1


def test_a_submitted_task_is_polled_not_created_again(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = service
    story = storyboard(tmp_path, clips=1)
    job = jobs_of(story)[0]
    task_id = create_directly(url, job.body)
    job.journal.submitted(job.hash, task_id)
    code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    assert summary["requests"]["creates"] == 0 and summary["clips"][0]["task_id"] == task_id
    assert len(app.state.emulator.tasks.tasks) == 1


def test_an_expired_task_is_named_and_resubmitted_only_when_asked(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, app = service
    story = storyboard(tmp_path, clips=1)
    job = jobs_of(story)[0]
    job.journal.submitted(job.hash, "0385dc79-gone-for-a-day", at=time.time() - 25 * 3600)
    code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 1
    assert summary["clips"][0]["outcome"] == "expired"
    assert "resume.story:9:6: clip `part1`" in err and "--resubmit-expired" in err
    assert len(app.state.emulator.tasks.tasks) == 0
    assert main(["plan", str(story), "--json"]) == 0  # an expired clip is priced again: it would be paid again
    row = json.loads(capsys.readouterr().out)["storyboards"][0]["clips"][0]
    assert row["status"] == "expired" and row["billed"] and row["price"]["amount"] > 0
    code, summary, err = render([str(story), "--yes", "--resubmit-expired"], capsys)
    assert code == 0, err
    assert len(app.state.emulator.tasks.tasks) == 1 and summary["clips"][0]["outcome"] == "rendered"


def test_a_failed_task_is_reported_with_the_services_code_and_the_clips_place(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with emulator(FAST._replace(faults=Faults(fail_task=1.0))) as (url, app):
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        story = storyboard(tmp_path, clips=1)
        code, summary, err = render([str(story), "--yes"], capsys)
        assert code == 1
        assert "resume.story:9:6: clip `part1` failed: InternalError.Algo: " in err
        assert len(app.state.emulator.tasks.tasks) == 3  # the service's own failure is tried three times
        assert not story.with_suffix(".lock").exists()


def test_budget_refuses_before_anything_is_sent(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, app = service
    story = storyboard(tmp_path, clips=2)
    code, _, err = render([str(story), "--yes", "--budget", "1"], capsys)
    assert code == 1 and "over budget: CNY 2.94 > 1.00" in err
    code, _, err = render([str(story), "--budget", "100"], capsys)
    assert code == 1 and "pass --yes" in err  # not interactive: never spends without --yes
    assert len(app.state.emulator.tasks.tasks) == 0


def test_unknown_price_is_refused_by_a_budget(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "wan2.7-t2v-unpriced.yaml").write_text(
        "extends: wan2.7-t2v\nid: wan2.7-t2v-unpriced\ntitle: no Singapore price\n"
        "pricing: {beijing: {currency: CNY, unit: second, tiers: {720P: 0.6, 1080P: 1.0}, source: test, "
        "checked: '2026-11-25'}}\n", encoding="utf-8")
    story = storyboard(tmp_path, clips=1)
    story.write_text(story.read_text(encoding="utf-8").replace("wan2.7-t2v", "wan2.7-t2v-unpriced"), encoding="utf-8")
    code, _, err = render([str(story), "--yes", "--budget", "100", "--profiles", str(profiles)], capsys)
    assert code == 1 and "price of some clips is unknown" in err
    assert len(service[1].state.emulator.tasks.tasks) == 0


def test_ctrl_c_keeps_the_journal_and_the_next_run_collects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # pending long enough that Ctrl-C lands while both tasks are in flight, on a loaded machine too
    with emulator(EmulatorConfig(pending_seconds=5, running_seconds=0.5)) as (url, app):
        story = storyboard(tmp_path, clips=2)
        environment = {**os.environ, "DASHSCOPE_API_KEY": KEY, "DASHSCOPE_BASE_URL": url}
        process = subprocess.Popen([sys.executable, "-m", "storyc", "render", str(story), "--yes"], env=environment,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stderr is not None
        submitted = 0
        for line in process.stderr:
            submitted += ": submitted (" in line
            if submitted == 2:
                break
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
        assert process.returncode == 130
        assert "2 submitted tasks keep running on the service" in rest
        assert len(app.state.emulator.tasks.tasks) == 2
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        assert main(["status", str(story)]) == 0
        status = capsys.readouterr().out
        assert status.count("in flight") == 2
        code, summary, err = render([str(story)], capsys)  # in flight: nothing to pay, no --yes needed
        assert code == 0, err
        assert summary["requests"]["creates"] == 0 and len(app.state.emulator.tasks.tasks) == 2


def test_cancel_stops_pending_tasks_and_the_running_render_does_not_resend_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # no speed announced: told that tasks take 61 s, the render would first look after 61 s
    with emulator(EmulatorConfig(pending_seconds=60, running_seconds=1, speed_hint=False)) as (url, app):
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        story = storyboard(tmp_path, clips=2)
        process = subprocess.Popen([sys.executable, "-m", "storyc", "render", str(story), "--yes"],
                                   env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stderr is not None
        submitted = 0
        for line in process.stderr:
            submitted += ": submitted (" in line
            if submitted == 2:
                break
        assert main(["cancel", str(story)]) == 0
        assert "canceled 2 tasks" in capsys.readouterr().out
        _, rest = process.communicate(timeout=60)
        assert process.returncode == 1
        assert rest.count("was canceled") >= 2
        statuses = {app.state.emulator.tasks.status(task) for task in app.state.emulator.tasks.tasks.values()}
        assert statuses == {"CANCELED"} and len(app.state.emulator.tasks.tasks) == 2  # nothing sent again
        assert main(["status", str(story)]) == 0
        assert capsys.readouterr().out.count("to submit") == 2


def test_the_request_hash_counts_a_local_file_by_content(tmp_path: Path) -> None:
    body = {"model": "m", "input": {"prompt": "p", "audio_url": "file://a.wav"}}
    moved = {"model": "m", "input": {"prompt": "p", "audio_url": "file://audio/b.wav"}}
    same = request_hash("m", "singapore", body, {"file://a.wav": "ab" * 32})
    assert same == request_hash("m", "singapore", moved, {"file://audio/b.wav": "ab" * 32})
    assert same != request_hash("m", "singapore", body, {"file://a.wav": "cd" * 32})
    assert same != request_hash("m", "beijing", body, {"file://a.wav": "ab" * 32})
    journal = Journal(str(tmp_path / ".story"))
    assert (tmp_path / ".story" / ".gitignore").read_text() == "*\n"
    journal.close()


def test_a_soundtrack_is_uploaded_once_per_content_and_model_until_it_expires(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_render_e2e import tone

    tone(tmp_path / "theme.wav", 3)
    story = tmp_path / "music.story"
    text = ('storyboard "music"\nmodel wan2.7-t2v\nresolution 720P\nratio 1:1\nlanguage en\nprompt-extend off\n\n'
            "clip one 3s\n  soundtrack: theme.wav\n  A drum on a rooftop.\n\n"
            "clip two 3s\n  soundtrack: theme.wav\n  A flute by a river.\n")
    story.write_text(text, encoding="utf-8")
    code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    assert summary["requests"]["uploads"] == 1  # one file, one model: one upload for both clips
    story.write_text(text.replace("A drum", "Two drums"), encoding="utf-8")
    code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    assert summary["requests"]["uploads"] == 0 and summary["requests"]["creates"] == 1
    journal = Journal(str(tmp_path / ".story"))
    journal.db.execute("UPDATE uploads SET expires_at = 0")
    journal.close()
    story.write_text(text.replace("A drum", "Three drums"), encoding="utf-8")
    code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    assert summary["requests"]["uploads"] == 1


def test_a_second_render_of_the_same_folder_is_refused_while_one_runs(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = storyboard(tmp_path, clips=1)
    holder = Journal(str(tmp_path / ".story"))
    assert holder.exclusive()  # as a running `story render` holds it
    try:
        assert main(["render", str(story), "--yes"]) == 2
        assert "another `story render` is running" in capsys.readouterr().err
        assert len(service[1].state.emulator.tasks.tasks) == 0
    finally:
        holder.close()
    code, _, err = render([str(story), "--yes"], capsys)
    assert code == 0, err


def test_an_upload_the_service_no_longer_resolves_is_uploaded_again(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_render_e2e import tone

    from storyc.submit.journal import file_sha256

    tone(tmp_path / "theme.wav", 3)
    story = tmp_path / "music.story"
    story.write_text('storyboard "music"\nmodel wan2.7-t2v\nresolution 720P\nratio 1:1\nlanguage en\n\n'
                     "clip one 3s\n  soundtrack: theme.wav\n  A drum on a rooftop.\n", encoding="utf-8")
    journal = Journal(str(tmp_path / ".story"))
    journal.uploaded(file_sha256(str(tmp_path / "theme.wav")), "wan2.7-t2v", "oss://dashscope-instant/gone/x.wav",
                     time.time() + 3600)  # remembered as valid, but the service has dropped it
    journal.close()
    code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    assert summary["requests"]["uploads"] == 1 and summary["requests"]["creates"] == 2
    assert len(service[1].state.emulator.tasks.tasks) == 1  # the refused create made no task
