"""Takes (issue 23): several renders of a clip, each its own request with its own seed, all kept; the
lock file records every take and the select; `story select` changes what cut, export and preview use.

Renders run against the emulator on a loopback port with a key: its own task record shows what was
created and with which seed.
"""

from __future__ import annotations

import difflib
import json
import subprocess
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image, ImageChops, ImageStat
from test_lock import project, run, service, tasks

from storyc.cli import main
from storyc.compile.takes import take_seed
from storyc.submit.lock import LockedClip, LockError, lock_text, lock_with_takes, parse_lock
from storyc.submit.lockmerge import merge_locks

GOLDEN = Path(__file__).parent / "golden" / "lock"
STORY = """storyboard "takes"
model wan2.7-t2v
resolution 720P
ratio 1:1
language en
prompt-extend off
seed 4242

clip a 2s
  A paper lantern swings in the wind.

clip b 2s
  A grey cat crosses a wet street.
"""


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DASHSCOPE_REGION", "DASHSCOPE_BASE_URL", "DASHSCOPE_API_KEY", "STORYC_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def created(app: Any) -> list[tuple[str, int | None]]:
    """(prompt, seed) of every task the emulator created, in order."""
    return [(task.spec.prompt, task.spec.seed) for task in app.state.emulator.tasks.tasks.values()]


def first_frame(path: Path) -> Image.Image:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_image().convert("RGB")


def closest(frame: Image.Image, candidates: dict[str, Path]) -> str:
    """Which candidate video opens on the picture nearest `frame` (mean absolute difference)."""
    def distance(name: str) -> float:
        return sum(ImageStat.Stat(ImageChops.difference(first_frame(candidates[name]), frame)).mean)

    return min(candidates, key=distance)


def test_takes_3_renders_three_tasks_with_three_recorded_seeds_and_a_second_run_pays_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    story = project(tmp_path / "film", STORY)
    with service(monkeypatch) as app:
        code, out, err = run(["render", str(story), "--yes", "--takes", "3", "--json"], capsys)
        assert code == 0, err
        assert tasks(app) == 6
        seeds = {prompt: sorted(seed for p, seed in created(app) if p == prompt) for prompt, _ in created(app)}
        body = {"parameters": {"seed": 4242}}
        expected = sorted([4242, take_seed(body, 2), take_seed(body, 3)])
        assert all(found == expected for found in seeds.values()), seeds  # the same three seeds for each clip
        assert len(set(expected)) == 3
        lock = json.loads(story.with_suffix(".lock").read_text(encoding="utf-8"))
        assert lock["version"] == 2
        for name in ("a", "b"):
            entry = lock["clips"][name]
            assert entry["select"] == 1
            assert [take["take"] for take in entry["takes"]] == [1, 2, 3]
            assert sorted(take["seed"] for take in entry["takes"]) == expected  # recorded as sent
            task_ids = {take["task_id"] for take in entry["takes"]}
            assert task_ids <= set(app.state.emulator.tasks.tasks)
            for take in entry["takes"]:  # all three downloaded and kept
                assert (story.parent / take["video"]).is_file()
        assert sorted(p.name for p in (story.parent / "renders" / "film").iterdir()) == [
            "a.mp4", "a.take2.mp4", "a.take3.mp4", "b.mp4", "b.take2.mp4", "b.take3.mp4"]
        before = story.with_suffix(".lock").read_bytes()

        code, out, err = run(["render", str(story), "--yes", "--takes", "3", "--json"], capsys)
        assert code == 0, err
        assert tasks(app) == 6  # a second run pays nothing
        summary = json.loads(out)
        assert {clip["outcome"] for clip in summary["clips"]} == {"cached"} and summary["seconds_billed"] == 0
        code, out, err = run(["render", str(story), "--yes", "--json"], capsys)  # fewer takes asked: all kept
        assert code == 0, err
        assert tasks(app) == 6
        assert story.with_suffix(".lock").read_bytes() == before


def test_story_select_changes_what_cut_and_export_use_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    story = project(tmp_path / "film", STORY.replace("clip a 2s\n", "clip a 2s\n  takes 2\n"))
    monkeypatch.chdir(story.parent)  # cut, export and preview write under out/ here
    renders = story.parent / "renders" / "film"
    with service(monkeypatch) as app:
        assert run(["render", str(story), "--yes"], capsys)[0] == 0
        assert tasks(app) == 3  # two takes of a, one of b
        lock = story.with_suffix(".lock")
        before = lock.read_text(encoding="utf-8")
        videos = {path.name: path.read_bytes() for path in renders.iterdir()}

        assert run(["cut", str(story)], capsys)[0] == 0
        cut = story.parent / "out" / "film" / "cut.mp4"
        takes = {"a.mp4": renders / "a.mp4", "a.take2.mp4": renders / "a.take2.mp4"}
        assert closest(first_frame(cut), takes) == "a.mp4"

        code, out, err = run(["select", str(story), "a", "2"], capsys)
        assert code == 0, err
        assert "take 2 selected" in out
        after = lock.read_text(encoding="utf-8")
        changed = [(old, new) for old, new in zip(before.splitlines(), after.splitlines(), strict=True) if old != new]
        assert changed == [('      "select": 1,', '      "select": 2,')]  # one line of the lock file

        assert run(["cut", str(story)], capsys)[0] == 0
        assert closest(first_frame(cut), takes) == "a.take2.mp4"  # checked on the picture
        assert run(["export", str(story), "--to", "fcpxml"], capsys)[0] == 0
        fcpxml = (story.parent / "out" / "film" / "film.fcpxml").read_text(encoding="utf-8")
        assert "a.take2.mp4" in fcpxml and "/a.mp4" not in fcpxml and "/b.mp4" in fcpxml
        assert run(["export", str(story), "--to", "edl"], capsys)[0] == 0
        edl = (story.parent / "out" / "film" / "film.edl").read_text(encoding="utf-8")
        assert "renders/film/a.take2.mp4" in edl

        # nothing else: no video touched, nothing rendered or paid, status marks the select
        assert {path.name: path.read_bytes() for path in renders.iterdir()} == videos
        code, out, err = run(["render", str(story), "--yes", "--json"], capsys)
        assert code == 0, err
        assert tasks(app) == 3
        assert lock.read_text(encoding="utf-8") == after  # the select survives a render
        code, out, _ = run(["status", str(story)], capsys)
        assert "a: cached" in out and "a.take2: cached" in out and out.count("[selected]") == 1
        assert [line for line in out.splitlines() if "[selected]" in line][0].split(": ")[1] == "a.take2"
        code, out, _ = run(["status", str(story), "--json"], capsys)
        rows = {(row["clip"], row["take"]): row["selected"] for row in json.loads(out)}
        assert rows == {("a", 1): False, ("a", 2): True, ("b", 1): True}


def test_select_refuses_what_is_not_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    story = project(tmp_path / "film", STORY)
    code, _, err = run(["select", str(story), "a", "2"], capsys)
    assert code == 1 and "there is no lock file yet" in err
    with service(monkeypatch):
        assert run(["render", str(story), "--yes"], capsys)[0] == 0
    before = story.with_suffix(".lock").read_bytes()
    code, _, err = run(["select", str(story), "a", "2"], capsys)
    assert code == 1 and "clip `a` has no take 2 (its takes: 1); render more with `story render --takes 2`" in err
    code, _, err = run(["select", str(story), "nope", "1"], capsys)
    assert code == 1 and "no clip `nope` is rendered (rendered clips: `a`, `b`)" in err
    code, _, err = run(["select", str(story), "a", "0"], capsys)
    assert code == 2 and "not a take number" in err
    code, out, _ = run(["select", str(story), "a", "1"], capsys)
    assert code == 0 and "already selected" in out
    assert story.with_suffix(".lock").read_bytes() == before


def test_plan_prices_every_take_and_budget_covers_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    story = project(tmp_path / "film", STORY.replace("seed 4242\n", "seed 4242\ntakes 2\n"))
    code, out, _ = run(["plan", str(story), "--json"], capsys)
    assert code == 0
    rows = json.loads(out)["storyboards"][0]["clips"]
    assert [row["clip"] for row in rows] == ["a", "a.take2", "b", "b.take2"]
    one = rows[0]["price"]["amount"]
    assert one > 0 and json.loads(out)["totals"][0]["amount"] == pytest.approx(4 * one)
    code, out, _ = run(["plan", str(story), "--json", "--takes", "3"], capsys)
    assert json.loads(out)["totals"][0]["amount"] == pytest.approx(6 * one)
    # --budget covers every take: three clips' worth is not enough for four takes
    code, _, err = run(["plan", str(story), "--budget", str(round(3.5 * one, 4))], capsys)
    assert code == 1 and "over budget" in err
    with service(monkeypatch) as app:
        code, _, err = run(["render", str(story), "--yes", "--budget", str(round(3.5 * one, 4))], capsys)
        assert code == 1 and "over budget" in err
        assert tasks(app) == 0
        code, _, err = run(["render", str(story), "--yes", "--budget", str(round(4.5 * one, 4))], capsys)
        assert code == 0, err
        assert tasks(app) == 4


def test_preview_shows_takes_side_by_side_with_the_select_marked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    story = project(tmp_path / "film", STORY)
    monkeypatch.chdir(story.parent)
    with service(monkeypatch):
        assert run(["render", str(story), "--yes", "--takes", "3"], capsys)[0] == 0
    assert run(["select", str(story), "b", "3"], capsys)[0] == 0
    assert run(["preview", str(story)], capsys)[0] == 0
    html = (story.parent / "out" / "film" / "preview.html").read_text(encoding="utf-8")
    for clip in ("a", "b"):
        for take in (1, 2, 3):
            assert f'id="take-{clip}-{take}"' in html
    assert '<figure class="take selected" id="take-a-1">' in html
    assert '<figure class="take selected" id="take-b-3">' in html
    assert html.count('class="take selected"') == 2
    assert 'src="../../renders/film/b.take3.mp4"' in html


# -- the lock file with takes: goldens, versions, validation, merge ------------------------------------
def entry(take: int, task: str, seed: int, video: str) -> LockedClip:
    return LockedClip(request="sha256:" + f"{take:x}" * 64, model="wan2.7-t2v", region="singapore", seed=seed,
                      task_id=task, video=video, sha256=f"{take + 10:x}" * 64, seconds_billed=2.0, cost=1.467848,
                      currency="CNY", emulated=False, take=take)


def golden_lock(selects: dict[str, int], takes_of_a: int = 3) -> str:
    takes = {
        "a": {n: entry(n, f"task-a-{n}-0000", 4242 + n, "renders/film/a.mp4" if n == 1 else f"renders/film/a.take{n}.mp4")
              for n in range(1, takes_of_a + 1)},
        "b": {1: entry(1, "task-b-1-0000", 4242, "renders/film/b.mp4")},
    }
    return lock_text(lock_with_takes("film.story", takes, selects))


def test_lock_file_with_takes_matches_its_golden_and_reads_back() -> None:
    text = golden_lock({"a": 2, "b": 1})
    assert text == (GOLDEN / "takes.lock").read_text(encoding="utf-8")
    lock = parse_lock(text, "film.lock", check_files=False)
    assert lock.clips["a"].take == 2 and set(lock.every_take()["a"]) == {1, 2, 3}
    assert lock_text(lock) == text  # sorted, stable


def test_version_1_is_still_read_and_still_written_without_takes() -> None:
    old = (GOLDEN / "v1.lock").read_text(encoding="utf-8")
    lock = parse_lock(old, "film.lock", check_files=False)
    assert lock_text(lock) == old  # a project without takes keeps its lock file byte for byte
    assert golden_lock({"a": 1, "b": 1}, takes_of_a=1) == old


def test_one_take_added_or_a_new_select_is_a_small_diff() -> None:
    two, three = golden_lock({"a": 1}, takes_of_a=2).splitlines(), golden_lock({"a": 1}, takes_of_a=3).splitlines()
    diff = list(difflib.unified_diff(two, three, lineterm="", n=0))[2:]
    added = [line for line in diff if line.startswith("+")]
    removed = [line for line in diff if line.startswith("-")]
    assert len(added) == 14 and removed == []  # the new take's entry, and no other line touched
    selected = golden_lock({"a": 3}).splitlines()
    assert sum(1 for old, new in zip(three, selected, strict=True) if old != new) == 1


@pytest.mark.parametrize(("change", "message"), [
    (lambda doc: doc["clips"]["a"].update(select=7), "clip `a`: `select` is take 7, which is not in `takes` (takes 1, 2, 3)"),
    (lambda doc: doc["clips"]["a"]["takes"][1].update(take=1), "clip `a`: take 1 appears twice in `takes`"),
    (lambda doc: doc["clips"]["a"]["takes"][2].update(seed="x"),
     "clip `a`: take 3 in `takes`: `seed` must be null or a whole number"),
    (lambda doc: doc["clips"]["a"].update(takes=[]), "clip `a`: `takes` must be a list of 1 to 10 takes"),
])
def test_a_damaged_takes_entry_is_named_with_its_line(change: Any, message: str) -> None:
    document = json.loads(golden_lock({"a": 2}))
    change(document)
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    with pytest.raises(LockError) as raised:
        parse_lock(text, "film.lock", check_files=False)
    assert message in str(raised.value)
    assert str(raised.value).startswith("film.lock:") and str(raised.value).split(":")[1].isdigit()


def lock_of(selects: dict[str, int], takes: dict[str, dict[int, LockedClip]]) -> Any:
    return lock_with_takes("film.story", takes, selects)


def test_merge_keeps_takes_rendered_on_both_branches_and_merges_the_select() -> None:
    one = entry(1, "task-a-1-0000", 1, "renders/film/a.mp4")
    two = entry(2, "task-a-2-0000", 2, "renders/film/a.take2.mp4")
    three = entry(3, "task-a-3-0000", 3, "renders/film/a.take3.mp4")
    base = lock_of({"a": 1}, {"a": {1: one}})
    ours = lock_of({"a": 1}, {"a": {1: one, 2: two}})
    theirs = lock_of({"a": 3}, {"a": {1: one, 3: three}})
    merged = merge_locks(base, ours, theirs)
    assert merged.conflicts == ()
    lock = parse_lock(merged.text, "film.lock", check_files=False)
    assert set(lock.every_take()["a"]) == {1, 2, 3} and lock.clips["a"].take == 3
    assert merged.text == lock_text(lock)  # the layout lock_text writes

    # both sides chose a different take: a conflict for that clip alone
    mine = lock_of({"a": 2, "b": 1}, {"a": {1: one, 2: two}, "b": {1: one}})
    yours = lock_of({"a": 1, "b": 1}, {"a": {1: one, 2: two}, "b": {1: one}})
    base = lock_of({"a": 1, "b": 1}, {"a": {1: one, 2: two}, "b": {1: one}})
    merged = merge_locks(base, mine, yours)
    assert merged.conflicts == ()  # only ours changed the select
    assert parse_lock(merged.text, "film.lock", check_files=False).clips["a"].take == 2
    yours = lock_of({"a": 3, "b": 1}, {"a": {1: one, 2: two, 3: three}, "b": {1: one}})
    merged = merge_locks(base, mine, yours)
    assert merged.conflicts == ("a",)
    lines = merged.text.splitlines()
    assert lines.count("<<<<<<< ours") == 1 and lines.index("<<<<<<< ours") < lines.index('    "b": {')


def test_lock_merge_driver_merges_takes_per_clip_in_a_real_git_merge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two branches each render another take of clip `a`; git, with `story lock merge` as the driver,
    keeps both takes and the select one branch made."""
    import shutil
    import sys

    folder = tmp_path / "repo"
    story = project(folder, STORY)

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=60)
        assert done.returncode in (0, 1), done.stderr
        return done.stdout

    git("init", "-q", "-b", "main")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (folder / ".gitattributes").write_text("*.lock merge=storyc-lock\n", encoding="utf-8")
    driver = f"{shutil.which('env')} PYTHONPATH={':'.join(sys.path)} {sys.executable} -m storyc lock merge %O %A %B"
    git("config", "merge.storyc-lock.driver", driver)
    with service(monkeypatch):
        assert run(["render", str(story), "--yes"], capsys)[0] == 0
        git("add", "-A", ".")
        git("commit", "-qm", "one take")
        git("checkout", "-q", "-b", "two")
        assert run(["render", str(story), "--yes", "--takes", "2"], capsys)[0] == 0
        git("add", "-A", ".")
        git("commit", "-qm", "take 2")
        git("checkout", "-q", "main")
        story.write_text(STORY.replace("clip a 2s\n", "clip a 2s\n  takes 3\n"), encoding="utf-8")
        assert run(["render", str(story), "--yes"], capsys)[0] == 0
        assert run(["select", str(story), "a", "3"], capsys)[0] == 0
        story.write_text(STORY, encoding="utf-8")  # the storyboard as on the other branch
        git("add", "-A", ".")
        git("commit", "-qm", "takes 2 and 3, take 3 selected")
    git("merge", "-q", "--no-edit", "two")
    assert "<<<<<<<" not in (folder / "film.lock").read_text(encoding="utf-8")
    lock = parse_lock((folder / "film.lock").read_text(encoding="utf-8"), str(folder / "film.lock"))
    assert set(lock.every_take()["a"]) == {1, 2, 3} and lock.clips["a"].take == 3
    assert set(lock.every_take()["b"]) == {1, 2}


def test_the_takes_setting_and_flag_are_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = project(tmp_path / "film", STORY)
    code, _, err = run(["render", str(story), "--takes", "11"], capsys)
    assert code == 2 and "`11` is not a number of takes from 1 to 10" in err
    code, _, err = run(["plan", str(story), "--takes", "0"], capsys)
    assert code == 2 and "`0` is not a number of takes from 1 to 10" in err
    assert main(["check", str(story)]) == 0


# -- kill and resume with takes -------------------------------------------------------------------------
def test_chaos_with_takes_ends_with_one_succeeded_task_per_request_and_take(tmp_path: Path) -> None:
    """The chaos run of test_chaos (faults injected, `story render` SIGKILLed and restarted) on clips
    that ask for takes: exactly one SUCCEEDED task per (request, take), every take downloaded whole."""
    import collections
    import hashlib

    from test_chaos import CONFIG, FAULTS, run_with_kills
    from test_render_e2e import emulator

    from storyc.emulator.testing import relay

    lines = ['storyboard "chaos"', "model wan2.7-t2v", "resolution 720P", "ratio 1:1", "language en",
             "prompt-extend off", "seed 7", ""]
    for number in range(1, 5):
        lines += [f"clip shot{number} 2s", *(["  takes 3"] if number % 2 else []),
                  f"  A paper boat number {number} drifts down a gutter in the rain.", ""]
    story = tmp_path / "chaos.story"
    story.write_text("\n".join(lines), encoding="utf-8")
    with emulator(CONFIG._replace(faults=FAULTS._replace(seed=3))) as (url, app), relay(url, hold=0.3) as link:
        kills, _ = run_with_kills(story, link, 4, 3)
        assert kills == 4
        state = app.state.emulator.tasks
        succeeded = collections.Counter((task.spec.prompt, task.spec.seed) for task in state.tasks.values()
                                        if state.status(task) == "SUCCEEDED")
        asked = {(task.spec.prompt, task.spec.seed) for task in state.tasks.values()}
        assert len(asked) == 2 * 3 + 2  # shot1 and shot3 three takes each, shot2 and shot4 one
        assert set(succeeded) == asked and all(count == 1 for count in succeeded.values()), succeeded
        lock = json.loads(story.with_suffix(".lock").read_text(encoding="utf-8"))
        folder = story.parent / "renders" / "chaos"
        assert sorted(path.name for path in folder.iterdir()) == sorted(
            ["shot1.mp4", "shot1.take2.mp4", "shot1.take3.mp4", "shot2.mp4",
             "shot3.mp4", "shot3.take2.mp4", "shot3.take3.mp4", "shot4.mp4"])
        for clip in lock["clips"].values():
            for take in clip["takes"]:
                data = (story.parent / take["video"]).read_bytes()
                assert hashlib.sha256(data).hexdigest() == take["sha256"]
                task = state.tasks[take["task_id"]]
                assert state.status(task) == "SUCCEEDED" and task.spec.seed == take["seed"]
                assert data == Path(task.video.result()).read_bytes()


def test_a_fresh_clone_adopts_each_take_from_its_own_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Takes differ only by seed, which the service does not echo: when a lost journal's search finds
    the tasks again, each take adopts a task of its own, never one another take adopted."""
    with service(monkeypatch) as app:
        first = project(tmp_path / "first", STORY)
        code, _, err = run(["render", str(first), "--yes", "--takes", "3"], capsys)
        assert code == 0, err
        assert tasks(app) == 6
        fresh = project(tmp_path / "fresh", STORY)  # no journal, no lock file: only the account remembers
        code, _, err = run(["render", str(fresh), "--yes", "--takes", "3"], capsys)
        assert code == 0, err
        assert tasks(app) == 6  # every take found again, none created twice
        lock = json.loads(fresh.with_suffix(".lock").read_text(encoding="utf-8"))
        for name, entry in lock["clips"].items():
            task_ids = [take["task_id"] for take in entry["takes"]]
            assert len(task_ids) == 3 and len(set(task_ids)) == 3, (name, task_ids)
