"""The lock file as an input (issue 19): validated on read, a damaged one stops every command with
`file:line`, never ignored or overwritten; `story lock merge` as git's merge driver through real
`git merge`; new lock files respect the umask.

Renders run against the emulator: on a loopback port with a key (its task record counts what was
created) or in-process with `--offline`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from storyc.cli import main
from storyc.emulator import EmulatorConfig
from storyc.emulator.app import create_app
from storyc.emulator.testing import serve
from storyc.submit.lock import LockError, LockFile, lock_text, parse_lock, read_lock
from storyc.submit.lockmerge import merge_locks

KEY = "sk-lock-test-key"
FAST = EmulatorConfig(pending_seconds=0.1, running_seconds=0.2)
STORY = """storyboard "lock"
model wan2.7-t2v
resolution 720P
ratio 1:1
language en
prompt-extend off

clip a 2s
  A paper lantern swings in the wind.

clip b 2s
  A grey cat crosses a wet street.
"""
COMMANDS = (["render", "--yes"], ["status"], ["cut"], ["export", "--to", "edl"], ["export", "--to", "fcpxml"],
            ["preview"])


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DASHSCOPE_REGION", "DASHSCOPE_BASE_URL", "DASHSCOPE_API_KEY", "STORYC_DEBUG"):
        monkeypatch.delenv(name, raising=False)


@contextlib.contextmanager
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The emulator on loopback, with a key: `story render` pays it (for pretend) and it records every task."""
    app = create_app(FAST)
    with serve(FAST, app=app) as url:
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        yield app


def tasks(app: Any) -> int:
    return len(app.state.emulator.tasks.tasks)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def project(folder: Path, text: str = STORY) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    story = folder / "film.story"
    story.write_text(text, encoding="utf-8")
    return story


def clone(source: Path, target: Path) -> Path:
    """What a teammate gets from git: the storyboard, the lock file and the videos; no journal."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".story", "out"))
    return target / "film.story"


def digests(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*.mp4")) if ".story" not in path.parts and path.is_file()
            and not path.is_symlink()}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project rendered against the emulator on loopback (paid, not emulated): storyboard, videos, lock."""
    folder = tmp_path_factory.mktemp("rendered") / "film"
    story = project(folder)
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in ("DASHSCOPE_REGION", "DASHSCOPE_BASE_URL", "DASHSCOPE_API_KEY"):
            monkeypatch.delenv(name, raising=False)
        with service(monkeypatch) as app:
            assert main(["render", str(story), "--yes", "--json"]) == 0
            assert tasks(app) == 2
    return folder


# -- a damaged lock file stops every command ------------------------------------------------------------
def damaged(rendered: Path, tmp_path: Path, text: str) -> Path:
    story = clone(rendered, tmp_path / "clone")
    (story.parent / "film.lock").write_text(text, encoding="utf-8")
    return story


def assert_stops_everything(story: Path, expected: str, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    lock = story.with_suffix(".lock")
    before = lock.read_bytes()
    videos = digests(story.parent)
    with service(monkeypatch) as app:
        for command in COMMANDS:
            code, _, err = run([*command[:1], str(story), *command[1:]], capsys)
            assert code == 2, (command, err)
            assert expected in err, (command, err)
            assert "internal error" not in err
        assert tasks(app) == 0  # nothing paid again
    assert lock.read_bytes() == before  # never overwritten
    assert digests(story.parent) == videos


def test_a_lock_file_that_does_not_parse_stops_every_command_with_its_line(
    rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (rendered / "film.lock").read_text(encoding="utf-8")
    broken = text.replace("},\n", "\n", 1)  # a merge that kept both sides and lost a `},`
    story = damaged(rendered, tmp_path, broken)
    line = broken.split("\n").index('    "b": {') + 1
    assert_stops_everything(story, f"film.lock:{line}:5: the lock file is not valid JSON", monkeypatch, capsys)


def test_conflict_markers_get_their_own_message(
    rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (rendered / "film.lock").read_text(encoding="utf-8").split("\n")
    at = lines.index('    "b": {')
    conflicted = "\n".join([*lines[:at], "<<<<<<< HEAD", *lines[at:at + 3], "=======", *lines[at:at + 3],
                            ">>>>>>> other", *lines[at + 3:]])
    story = damaged(rendered, tmp_path, conflicted)
    assert_stops_everything(story, f"film.lock:{at + 1}: the lock file holds git conflict markers", monkeypatch,
                            capsys)
    _, _, err = run(["render", str(story), "--yes"], capsys)
    assert "keep one entry per clip" in err and "story lock merge" in err


@pytest.mark.parametrize(("field", "value", "message"), [
    ("task_id", "abc\n002  AX       V     C        00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00",
     "`task_id` must be a task id of the service's shape"),
    ("video", "/dev/zero", "`video` must be a path relative to the lock file"),
    ("video", "../../outside.mp4", "`video` must be a path relative to the lock file"),
    ("seconds_billed", "2", "`seconds_billed` must be a number of seconds"),
    ("seed", -1, "`seed` must be null or a whole number"),
    ("sha256", "nope", "`sha256` must be 64 lowercase hex digits"),
], ids=["task-id-with-an-edl-event", "device", "outside", "string-seconds", "negative-seed", "sha256"])
def test_a_field_of_the_wrong_shape_is_named_with_its_line(
    field: str, value: Any, message: str, rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads((rendered / "film.lock").read_text(encoding="utf-8"))
    document["clips"]["b"][field] = value
    text = json.dumps(document, indent=2, sort_keys=True)
    story = damaged(rendered, tmp_path, text)
    lines = text.split("\n")
    line = next(number for number, row in enumerate(lines, 1)
                if row.strip().startswith(f'"{field}"') and number > lines.index('    "b": {'))
    assert_stops_everything(story, f"film.lock:{line}: clip `b`: {message}", monkeypatch, capsys)
    edl = tmp_path / "clone" / "out" / "film" / "film.edl"
    assert not edl.exists()


def test_a_video_that_is_a_fifo_or_leads_outside_is_refused(
    rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A FIFO or a device would be hashed forever; a symlink out of the folder would be read."""
    text = (rendered / "film.lock").read_text(encoding="utf-8")
    story = damaged(rendered, tmp_path, text.replace("renders/film/b.mp4", "renders/film/pipe.mp4"))
    os.mkfifo(story.parent / "renders" / "film" / "pipe.mp4")
    assert_stops_everything(story, "clip `b`: `video` `renders/film/pipe.mp4` is a FIFO, not a regular file",
                            monkeypatch, capsys)
    (story.parent / "renders" / "film" / "pipe.mp4").unlink()
    (story.parent / "renders" / "film" / "pipe.mp4").symlink_to("/dev/zero")
    assert_stops_everything(story, "`renders/film/pipe.mp4` leads outside the lock file's folder",
                            monkeypatch, capsys)


def test_a_lock_file_from_a_newer_storyc_asks_for_an_upgrade(
    rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (rendered / "film.lock").read_text(encoding="utf-8").replace('"version": 1', '"version": 3')
    story = damaged(rendered, tmp_path, text)
    line = text.split("\n").index('  "version": 3') + 1
    assert_stops_everything(story, f"film.lock:{line}: lock file version 3 is unknown; this storyc reads "
                            "versions 1, 2: upgrade storyc to read it", monkeypatch, capsys)


def test_a_clone_with_a_valid_lock_pays_nothing_again(
    rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    story = clone(rendered, tmp_path / "clone")
    videos = digests(story.parent)
    with service(monkeypatch) as app:
        code, out, err = run(["render", str(story), "--yes", "--json"], capsys)
        assert code == 0, err
        assert tasks(app) == 0
    assert [clip["outcome"] for clip in json.loads(out)["clips"]] == ["cached", "cached"]
    assert digests(story.parent) == videos


def test_every_lock_entry_written_reads_back(rendered: Path) -> None:
    lock = read_lock(str(rendered / "film.lock"))
    assert lock is not None and sorted(lock.clips) == ["a", "b"]
    assert lock_text(lock) == (rendered / "film.lock").read_text(encoding="utf-8")
    with pytest.raises(LockError, match=r"^x.lock:4: `a` appears twice"):
        parse_lock('{\n "clips": {\n  "a": {},\n  "a": {}\n }\n}', "x.lock")


# -- permissions (issue 20) --------------------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o002], ids=["022", "002"])
def test_a_new_lock_file_gets_the_umask_s_mode(umask: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = project(tmp_path / "film", STORY.split("\nclip b")[0])
    previous = os.umask(umask)
    try:
        code, _, err = run(["render", str(story), "--offline", "--yes"], capsys)
    finally:
        os.umask(previous)
    assert code == 0, err
    assert stat.S_IMODE(story.with_suffix(".lock").stat().st_mode) == 0o666 & ~umask


# -- story lock merge ------------------------------------------------------------------------------------
def test_merge_keeps_one_sided_and_identical_entries_and_marks_only_the_conflict(rendered: Path) -> None:
    lock = read_lock(str(rendered / "film.lock"))
    assert lock is not None
    a, b = lock.clips["a"], lock.clips["b"]
    base = LockFile("film.story", {"a": a})
    ours = LockFile("film.story", {"a": a._replace(task_id="aaaaaaaa-ours"), "b": b})
    theirs = LockFile("film.story", {"a": a._replace(task_id="aaaaaaaa-theirs"), "b": b,
                                     "c": b._replace(video="renders/film/c.mp4")})
    clean = merge_locks(base, ours._replace(clips={"a": a, "b": b}), theirs._replace(clips={"a": a, "b": b}))
    assert clean.conflicts == () and clean.text == lock_text(LockFile("film.story", {"a": a, "b": b}))
    merged = merge_locks(base, ours, theirs)
    assert merged.conflicts == ("a",)
    lines = merged.text.split("\n")
    assert lines.count("<<<<<<< ours") == 1 and lines.count(">>>>>>> theirs") == 1
    marked = merged.text[merged.text.index("<<<<<<<"):merged.text.index(">>>>>>>")]
    assert '"b"' not in marked and '"c"' not in marked and "aaaaaaaa-ours" in marked
    # keeping either side yields a valid lock file
    start, middle, end = lines.index("<<<<<<< ours"), lines.index("======="), lines.index(">>>>>>> theirs")
    for kept in (lines[start + 1:middle], lines[middle + 1:end]):
        resolved = parse_lock("\n".join([*lines[:start], *kept, *lines[end + 1:]]), "x.lock", check_files=False)
        assert sorted(resolved.clips) == ["a", "b", "c"]


def git(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(folder)}
    return subprocess.run(["git", *args], cwd=folder, env=env, capture_output=True, text=True, check=check,
                          timeout=120)


def story_command() -> str:
    installed = Path(sys.executable).parent / "story"
    return str(installed) if installed.exists() else f"{sys.executable} -m storyc"


def repository(folder: Path) -> Path:
    """A repository set up as docs/render.md says: the .gitattributes line and the two git config lines."""
    story = project(folder)
    git(folder, "init", "-q", "-b", "main")
    (folder / ".gitattributes").write_text("*.lock merge=storyc-lock\n", encoding="utf-8")
    git(folder, "config", "merge.storyc-lock.name", "storyc lock files, merged per clip")
    git(folder, "config", "merge.storyc-lock.driver", f"{story_command()} lock merge %O %A %B")
    return story


def render_offline(story: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run(["render", str(story), "--offline", "--yes", "--json"], capsys)
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def commit_all(folder: Path, message: str) -> None:
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)


def edit(story: Path, old: str, new: str) -> None:
    story.write_text(story.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_git_merge_of_two_branches_that_rendered_different_clips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "repo"
    story = repository(folder)
    monkeypatch.chdir(folder)
    render_offline(story, capsys)
    commit_all(folder, "both clips")
    git(folder, "checkout", "-q", "-b", "lantern")
    edit(story, "A paper lantern", "A red paper lantern")
    assert render_offline(story, capsys)["requests"]["creates"] == 1
    commit_all(folder, "a again")
    git(folder, "checkout", "-q", "main")
    edit(story, "A grey cat", "A black cat")
    assert render_offline(story, capsys)["requests"]["creates"] == 1
    commit_all(folder, "b again")
    merge = git(folder, "merge", "-q", "--no-edit", "lantern", check=False)
    assert merge.returncode == 0, merge.stdout + merge.stderr
    lock = read_lock(str(folder / "film.lock"))  # valid, both clips' new renders
    assert lock is not None and sorted(lock.clips) == ["a", "b"]
    again = render_offline(story, capsys)
    assert again["requests"]["creates"] == 0
    assert [clip["outcome"] for clip in again["clips"]] == ["cached", "cached"]


def test_git_merge_of_two_renders_of_the_same_clip_is_a_conflict_for_that_clip_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "repo"
    story = repository(folder)
    monkeypatch.chdir(folder)
    render_offline(story, capsys)
    commit_all(folder, "both clips")
    git(folder, "checkout", "-q", "-b", "other")
    edit(story, "A paper lantern", "A red paper lantern")
    render_offline(story, capsys)
    commit_all(folder, "a, one way")
    git(folder, "checkout", "-q", "main")
    edit(story, "A paper lantern", "A red paper lantern")
    edit(story, "A grey cat", "A black cat")
    render_offline(story, capsys)
    commit_all(folder, "a another way, and b")
    merge = git(folder, "merge", "-q", "--no-edit", "other", check=False)
    assert merge.returncode != 0
    conflicted = git(folder, "diff", "--name-only", "--diff-filter=U").stdout.split()
    assert "film.lock" in conflicted
    text = (folder / "film.lock").read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines.count("<<<<<<< ours") == 1
    marked = "\n".join(lines[lines.index("<<<<<<< ours"):lines.index(">>>>>>> theirs")])
    assert '"a": {' in marked and '"b": {' not in marked
    code, _, err = run(["render", str(story), "--offline", "--yes"], capsys)
    assert code == 2 and f"film.lock:{lines.index('<<<<<<< ours') + 1}: the lock file holds git conflict" in err
    assert (folder / "film.lock").read_text(encoding="utf-8") == text  # left for the user to resolve
    # keep ours (as `git checkout --ours` does for the video): then nothing is rendered again
    start, middle, end = lines.index("<<<<<<< ours"), lines.index("======="), lines.index(">>>>>>> theirs")
    (folder / "film.lock").write_text("\n".join([*lines[:start], *lines[start + 1:middle], *lines[end + 1:]]),
                                      encoding="utf-8")
    git(folder, "checkout", "--ours", "--", "renders/film/a.mp4", check=False)
    again = render_offline(story, capsys)
    assert again["requests"]["creates"] == 0


def test_merge_falls_back_to_a_line_merge_for_other_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `*.lock` pattern also matches other tools' lock files: those get git's line merge, nothing lost."""
    base, ours, theirs = (tmp_path / name for name in ("base", "ours", "theirs"))
    base.write_text("a\nb\nc\nd\ne\n", encoding="utf-8")
    ours.write_text("a\nB\nc\nd\ne\n", encoding="utf-8")
    theirs.write_text("a\nb\nc\nd\nE\n", encoding="utf-8")
    code, _, err = run(["lock", "merge", str(base), str(ours), str(theirs)], capsys)
    assert code == 0 and "merging line by line instead" in err
    assert ours.read_text(encoding="utf-8") == "a\nB\nc\nd\nE\n"


def test_status_on_a_clone_shows_the_committed_renders_as_cached(
    rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    story = clone(rendered, tmp_path / "clone")
    lock = read_lock(str(story.with_suffix(".lock")))
    assert lock is not None
    with service(monkeypatch):
        code, out, err = run(["status", str(story), "--json"], capsys)
    assert code == 0, err
    rows = json.loads(out)
    assert [(row["clip"], row["state"], row["task_id"], row["detail"]) for row in rows] == [
        (name, "cached", lock.clips[name].task_id, "from the lock file") for name in ("a", "b")]
    (story.parent / "renders" / "film" / "b.mp4").write_bytes(b"not the committed video")
    with service(monkeypatch):
        code, out, err = run(["status", str(story), "--json"], capsys)
    assert [row["state"] for row in json.loads(out)] == ["cached", "to submit"]


def test_plan_names_a_damaged_lock_file_and_against_reads_none(
    rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`story plan` marks cached clips from the journal and the lock file: a damaged one is a message. A
    revision's lock file is not read by `--against` (it needs request hashes only)."""
    folder = tmp_path / "repo"
    shutil.copytree(rendered, folder)  # with its journal
    story = folder / "film.story"
    good = (folder / "film.lock").read_text(encoding="utf-8")
    (folder / "film.lock").write_text(good.replace('"version": 1', '"version": "1"'), encoding="utf-8")
    code, _, err = run(["plan", str(story)], capsys)
    assert code == 2 and "film.lock:" in err and "no version number" in err and "internal error" not in err
    git(folder, "init", "-q", "-b", "main")
    commit_all(folder, "a damaged lock file in history")
    (folder / "film.lock").write_text(good, encoding="utf-8")
    monkeypatch.chdir(folder)
    code, out, err = run(["plan", "film.story", "--against", "HEAD"], capsys)
    assert code == 0, err
    assert "unchanged" in out
