"""A lost or damaged journal never pays twice: `story render` killed, its journal deleted, truncated,
overwritten or replaced by a newer schema, then run again — against the emulator on loopback, whose
own record must show exactly one SUCCEEDED task per request.

STORYC_JOURNAL_LOSS_CYCLES=200 runs the long property test (opt-in; the default run is short).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from test_render_e2e import KEY, emulator, render

from storyc.cli import main
from storyc.emulator import EmulatorConfig
from storyc.submit.journal import SCHEMA_VERSION

FAST = EmulatorConfig(pending_seconds=0.2, running_seconds=0.4)


def storyboard(folder: Path, clips: int, tag: str = "") -> Path:
    lines = ['storyboard "loss"', "model wan2.7-t2v", "resolution 720P", "ratio 1:1", "language en",
             "prompt-extend off", ""]
    for number in range(1, clips + 1):
        lines += [f"clip part{number} 2s", f"  A paper boat number {number}{tag} drifts down a gutter.", ""]
    folder.mkdir(parents=True, exist_ok=True)
    story = folder / "loss.story"
    story.write_text("\n".join(lines), encoding="utf-8")
    return story


def journal_of(story: Path) -> Path:
    return story.parent / ".story" / "journal.sqlite"


def spawn(story: Path, url: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "DASHSCOPE_API_KEY": KEY, "DASHSCOPE_BASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "storyc", "render", str(story), "--yes"], env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_after_submissions(process: subprocess.Popen[str], count: int) -> None:
    assert process.stderr is not None
    submitted = 0
    for line in process.stderr:
        submitted += ": submitted (" in line
        if submitted == count:
            break
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)


def settled(app: Any, timeout: float = 30.0) -> list[tuple[str, str]]:
    """(prompt, status) of every task the emulator admitted, once none is still pending or running."""
    tasks = app.state.emulator.tasks
    deadline = time.monotonic() + timeout
    while True:
        record = [(task.spec.prompt, tasks.status(task)) for task in tasks.billable()]
        if all(status not in ("PENDING", "RUNNING") for _, status in record) or time.monotonic() > deadline:
            return record
        time.sleep(0.05)


# -- ways to lose or damage a journal ----------------------------------------------------------------
def delete_file(story: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{journal_of(story)}{suffix}").unlink(missing_ok=True)


def delete_folder(story: Path) -> None:
    shutil.rmtree(story.parent / ".story", ignore_errors=True)


def truncate(story: Path, rng: random.Random | None = None) -> None:
    """The journal file cut short, once what its WAL held is in it (as after a clean close)."""
    path = journal_of(story)
    if path.exists():
        with contextlib.suppress(sqlite3.Error):
            db = sqlite3.connect(path)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()
        size = path.stat().st_size
        with open(path, "r+b") as handle:
            handle.truncate((rng or random.Random(0)).randrange(0, max(1, size)))


def garbage(story: Path, rng: random.Random | None = None) -> None:
    path = journal_of(story)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes((rng or random.Random(0)).randbytes(4096))


def newer_schema(story: Path) -> None:
    path = journal_of(story)
    path.parent.mkdir(exist_ok=True)
    db = sqlite3.connect(path)
    try:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        db.commit()
    except sqlite3.DatabaseError:  # a kill mid-write already left it malformed: damage it the other way
        db.close()
        garbage(story)
        return
    db.close()


DAMAGES: dict[str, Callable[[Path, random.Random], None]] = {
    "none": lambda story, rng: None,
    "delete": lambda story, rng: delete_file(story),
    "delete-folder": lambda story, rng: delete_folder(story),
    "truncate": truncate,
    "garbage": garbage,
    "newer-schema": lambda story, rng: newer_schema(story),
}


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    with emulator(FAST) as (url, app):
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
        yield url, app


# -- the finding ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["delete", "delete-folder", "truncate"])
def test_a_killed_render_whose_journal_is_lost_creates_no_task_again(
    damage: str, service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, app = service
    story = storyboard(tmp_path, clips=3)
    kill_after_submissions(spawn(story, url), 3)
    assert len(app.state.emulator.tasks.tasks) == 3
    DAMAGES[damage](story, random.Random(3))
    code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    assert summary["requests"]["creates"] == 0
    assert len(app.state.emulator.tasks.tasks) == 3
    lock = json.loads(story.with_suffix(".lock").read_text(encoding="utf-8"))
    assert sorted(clip["task_id"] for clip in lock["clips"].values()) == sorted(app.state.emulator.tasks.tasks)


def test_a_fresh_clone_adopts_the_tasks_of_a_run_killed_elsewhere(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another folder (a teammate's clone) with no journal and no lock: the account's tasks are found."""
    url, app = service
    kill_after_submissions(spawn(storyboard(tmp_path / "first", clips=2), url), 2)
    clone = storyboard(tmp_path / "clone", clips=2)
    code, summary, err = render([str(clone), "--yes"], capsys)
    assert code == 0, err
    assert summary["requests"]["creates"] == 0 and len(app.state.emulator.tasks.tasks) == 2


def test_the_search_costs_one_listing_per_model_however_many_clips(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """N new clips and T unknown tasks: one list page and one detail per unknown task, not N times that."""
    url, app = service
    kill_after_submissions(spawn(storyboard(tmp_path / "other", clips=3, tag=" (other)"), url), 3)
    settled(app)
    story = storyboard(tmp_path / "mine", clips=6)
    code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    requests = summary["requests"]
    assert requests["creates"] == 6 and requests["lists"] == 1  # one listing for six clips
    code, again, err = render([str(story), "--yes"], capsys)
    assert code == 0 and again["requests"]["lists"] == 0  # a journal that vouches needs no search


def test_a_task_that_is_not_the_request_is_not_adopted(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same prompt and model, another duration: the service echoes 3 s, the request asks 2 s."""
    url, app = service
    other = storyboard(tmp_path / "other", clips=1)
    other.write_text(other.read_text(encoding="utf-8").replace("clip part1 2s", "clip part1 3s"), encoding="utf-8")
    kill_after_submissions(spawn(other, url), 1)
    settled(app)
    code, summary, err = render([str(storyboard(tmp_path / "mine", clips=1)), "--yes"], capsys)
    assert code == 0, err
    assert summary["requests"]["creates"] == 1 and len(app.state.emulator.tasks.tasks) == 2


@pytest.mark.parametrize("damage", ["truncate", "garbage", "newer-schema"])
def test_a_damaged_journal_is_set_aside_with_a_message_and_rebuilt(
    damage: str, service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, app = service
    story = storyboard(tmp_path, clips=2)
    code, _, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    story.with_suffix(".lock").unlink()  # nothing to adopt from: only the service can tell
    if damage == "truncate":
        journal_of(story).write_bytes(journal_of(story).read_bytes()[:1500])
    else:
        DAMAGES[damage](story, random.Random(5))
    code, summary, err = render([str(story), "--yes"], capsys)
    assert code == 0, err
    assert "is damaged" in err and "set aside as" in err and "internal error" not in err
    aside = [path.name for path in journal_of(story).parent.iterdir() if ".damaged-" in path.name]
    assert aside and any(name in err for name in aside)
    assert summary["requests"]["creates"] == 0 and len(app.state.emulator.tasks.tasks) == 2
    code, again, err = render([str(story), "--yes"], capsys)
    assert code == 0 and "is damaged" not in err and again["requests"]["creates"] == 0


def test_plan_and_status_read_a_damaged_journal_as_empty_and_say_so(
    service: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = storyboard(tmp_path, clips=1)
    garbage(story)
    before = journal_of(story).read_bytes()
    for command in (["status", str(story)], ["plan", str(story)]):
        assert main(command) == 0
        err = capsys.readouterr().err
        assert "is damaged" in err and "internal error" not in err, err
    assert journal_of(story).read_bytes() == before  # read-only commands change nothing


# -- the property --------------------------------------------------------------------------------------
def cycle(rng: random.Random, root: Path, number: int) -> list[str]:
    """One storyboard rendered through kills and damage until a run completes; the damages done."""
    with emulator(FAST) as (url, app):
        clips = rng.randint(1, 4)
        story = storyboard(root / f"cycle{number}", clips, tag=f" c{number}")
        done: list[str] = []
        for _ in range(12):
            process = spawn(story, url)
            try:
                process.wait(timeout=rng.uniform(0.3, 3.0))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
            _, err = process.communicate(timeout=60)
            assert "internal error" not in err and "Traceback" not in err, err
            if process.returncode == 0:
                break
            damage = rng.choice(sorted(DAMAGES))
            DAMAGES[damage](story, rng)
            done.append(damage)
        else:
            process = spawn(story, url)
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
        record = settled(app)
        succeeded = Counter(prompt for prompt, status in record if status == "SUCCEEDED")
        assert len(succeeded) == clips and set(succeeded.values()) == {1}, (done, record)
        return done


def run_cycles(count: int, tmp_path: Path) -> None:
    seed = int(os.environ.get("STORYC_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    print(f"journal-loss property: seed {seed}, {count} cycles")
    for number in range(count):
        cycle(rng, tmp_path, number)


def test_journal_loss_property_short(tmp_path: Path) -> None:
    run_cycles(3, tmp_path)


@pytest.mark.skipif(not os.environ.get("STORYC_JOURNAL_LOSS_CYCLES"),
                    reason="opt-in: set STORYC_JOURNAL_LOSS_CYCLES=N for a long journal-loss run")
def test_journal_loss_property_long(tmp_path: Path) -> None:
    run_cycles(int(os.environ["STORYC_JOURNAL_LOSS_CYCLES"]), tmp_path)


def test_the_search_reads_each_unknown_task_once_for_any_number_of_requests() -> None:
    """The bound in docs/render.md: one list query, one detail query per unknown finished task."""
    import asyncio

    import httpx

    from storyc.emulator import create_app
    from storyc.submit.client import Client
    from storyc.submit.recall import Recall

    app = create_app(EmulatorConfig(pending_seconds=0.0, running_seconds=0.05, speed=1.0))

    def body(number: int) -> dict[str, Any]:
        return {"model": "wan2.7-t2v", "input": {"prompt": f"A heron number {number} stands in a pond."},
                "parameters": {"resolution": "720P", "ratio": "1:1", "duration": 2, "prompt_extend": False,
                               "watermark": False}}

    async def go() -> tuple[int, int, list[str | None]]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
            client = Client(http, "http://emulator", KEY)
            created = [(await client.create(body(number))).task_id for number in range(3)]
            for task in created:
                while (await client.query(task))["output"]["task_status"] != "SUCCEEDED":
                    await asyncio.sleep(0.05)
            client.counters.queries = client.counters.lists = 0
            recall = Recall(client, "wan2.7-t2v", time.time)
            found = []
            for number in range(10):  # three were created, seven never were
                verdict = await recall.find(body(number), set())
                found.append(verdict[0] if isinstance(verdict, tuple) else verdict)
            return client.counters.lists, client.counters.queries, [*created, *found]

    try:
        lists, queries, ids = asyncio.run(go())
    finally:
        app.state.emulator.tasks.shutdown()
    created, found = ids[:3], ids[3:]
    assert lists == 1 and queries == 3
    assert found[:3] == created and found[3:] == [None] * 7
