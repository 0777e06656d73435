"""`continue` chains end to end: compiled with a placeholder for the frame that does not exist yet, priced
while pending, rendered in dependency order against the emulator on loopback (which draws each video from
the first frame it was given), stale when the source changes, and never paid twice."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import av
import pytest
from PIL import Image, ImageChops, ImageStat

from storyc.cli import main
from storyc.emulator import EmulatorConfig, create_app
from storyc.emulator.testing import serve
from storyc.submit.chain import last_frame_png

ROOT = Path(__file__).resolve().parent.parent
STREET = ROOT / "storyboards" / "rain-walk" / "refs" / "street.png"
KEY = "sk-chain-test-key"
FAST = EmulatorConfig(pending_seconds=0.1, running_seconds=0.3)

# `aside` is independent of the chain; `two` continues `one`, `three` continues `two`
STORY = """model wan2.7-i2v
resolution 720P
language en
seed 7

clip one 2s
  first-frame: refs/street.png
  The rain eases on the street.

clip aside 2s
  first-frame: refs/street.png
  A cat shelters under a bench.

clip two 2s
  continue one
  A girl walks into the frame.

clip three 2s
  continue two
  She opens a red umbrella.
"""


@contextlib.contextmanager
def emulated(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The emulator on loopback, the environment pointed at it; yields its record of tasks."""
    app = create_app(FAST)
    with serve(FAST, app=app) as url:
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
        yield app.state.emulator.tasks


def project(tmp_path: Path) -> Path:
    folder = tmp_path / "film"
    (folder / "refs").mkdir(parents=True)
    shutil.copy(STREET, folder / "refs" / "street.png")
    (folder / "film.story").write_text(STORY, "utf-8")
    return folder


def frames(video: Path) -> tuple[Image.Image, Image.Image]:
    with av.open(str(video)) as container:
        decoded = [frame.to_image().convert("RGB") for frame in container.decode(video=0)]
    return decoded[0], decoded[-1]


def difference(one: Image.Image, other: Image.Image) -> float:
    """Mean absolute difference per channel (0-255)."""
    return sum(ImageStat.Stat(ImageChops.difference(one, other.resize(one.size))).mean) / 3


def clip_of(task: Any) -> str:
    prompt = task.spec.prompt
    return next(name for name, words in (("one", "rain"), ("aside", "cat"), ("two", "girl"), ("three", "umbrella"))
                if words in prompt)


def last_frame(video: Path, scratch: Path) -> bytes:
    png = scratch / f"{video.stem}-last.png"
    last_frame_png(str(video), str(png))
    return png.read_bytes()


def sent_frame(tasks: list[Any], clip: str) -> bytes:
    """The first frame the emulator received for the clip's task (the file uploaded for it)."""
    task = next(task for task in tasks if clip_of(task) == clip)
    return Path(task.media_paths[task.spec.media[0].url]).read_bytes()


def render(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    code = main(["render", str(folder / "film.story"), "--yes", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out), captured.err


def test_compile_shows_the_placeholder_where_the_frame_goes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = project(tmp_path)
    assert main(["compile", str(folder / "film.story"), "--json"]) == 0
    captured = capsys.readouterr()
    bodies = json.loads(captured.out)
    assert ("note: clip `two` continues `one`: its body holds `storyc-continue:one` where the first frame goes; "
            "`story render` sends the last frame of `one`'s video there") in captured.err
    media = {body["input"]["prompt"].split()[1]: body["input"]["media"] for body in bodies}
    assert media["rain"] == [{"type": "first_frame", "url": "file://refs/street.png"}]
    assert media["girl"] == [{"type": "first_frame", "url": "storyc-continue:one"}]  # the contract's shape
    assert media["opens"] == [{"type": "first_frame", "url": "storyc-continue:two"}]
    for body in bodies:  # a first frame: the shape follows it, so no ratio (wan-media-api.md §4)
        assert "ratio" not in body["parameters"]


def test_a_chain_renders_in_order_from_each_last_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = project(tmp_path)
    with emulated(monkeypatch) as tasks:

        # the plan prices the continuing clips before their frames exist
        assert main(["plan", str(folder / "film.story"), "--json"]) == 0
        planned = json.loads(capsys.readouterr().out)
        rows = {clip["clip"]: clip for sb in planned["storyboards"] for clip in sb["clips"]}
        assert set(rows) == {"one", "aside", "two", "three"}
        assert rows["two"]["picture"] == "720P from the last frame of `one`"  # the plan says where a link starts
        assert all(row["price"] == rows["one"]["price"] and row["price"]["amount"] > 0 for row in rows.values()), rows

        summary, err = render(folder, capsys)
        assert "two    to submit" in err and "three  to submit" in err
        assert [clip["outcome"] for clip in summary["clips"]] == ["rendered"] * 4
        made = {clip_of(task): task for task in tasks.billable()}
        assert len(tasks.billable()) == len(made) == 4
        # in dependency order: each continuing task is created after its source's video is done
        assert made["two"].submitted >= (made["one"].finished or 0) > 0
        assert made["three"].submitted >= (made["two"].finished or 0) > 0
        # the independent clip did not wait for the chain
        assert made["aside"].submitted < (made["one"].finished or 0)

        videos = folder / "renders" / "film"
        for source, follower in (("one", "two"), ("two", "three")):
            _, last = frames(videos / f"{source}.mp4")
            first, _ = frames(videos / f"{follower}.mp4")
            assert difference(first, last) < 6, (source, follower)  # the exact last frame, through a lossy video
            other, _ = frames(videos / "aside.mp4")
            assert difference(other, last) > 20  # the comparison tells pictures apart
            # what was uploaded is the last frame, pixel for pixel
            sent = made[follower].media_paths[made[follower].spec.media[0].url]
            png = tmp_path / f"{source}-last.png"
            last_frame_png(str(videos / f"{source}.mp4"), str(png))
            assert hashlib.sha256(Path(sent).read_bytes()).digest() == hashlib.sha256(png.read_bytes()).digest()
        lock = json.loads((folder / "film.lock").read_text("utf-8"))["clips"]

        # a second run pays nothing, nor does one that lost the journal (the lock file vouches for each link)
        summary, _ = render(folder, capsys)
        assert [clip["outcome"] for clip in summary["clips"]] == ["cached"] * 4
        shutil.rmtree(folder / ".story")
        summary, _ = render(folder, capsys)
        assert [clip["outcome"] for clip in summary["clips"]] == ["cached"] * 4
        assert len(tasks.billable()) == 4

        # editing clip one re-renders exactly one, two and three
        story = folder / "film.story"
        story.write_text(STORY.replace("The rain eases", "The rain stops"), "utf-8")
        assert main(["plan", str(story), "--json"]) == 0
        planned = json.loads(capsys.readouterr().out)
        states = {clip["clip"]: clip.get("status") for sb in planned["storyboards"] for clip in sb["clips"]}
        assert states == {"one": "to submit", "aside": "cached", "two": "to submit", "three": "to submit"}
        summary, _ = render(folder, capsys)
        outcomes = {clip["clip"]: clip["outcome"] for clip in summary["clips"]}
        assert outcomes == {"one": "rendered", "aside": "cached", "two": "rendered", "three": "rendered"}
        again = [clip_of(task) for task in tasks.billable()[4:]]
        assert sorted(again) == ["one", "three", "two"]
        after = json.loads((folder / "film.lock").read_text("utf-8"))["clips"]
        assert after["aside"] == lock["aside"]
        assert all(after[name]["request"] != lock[name]["request"] for name in ("one", "two", "three"))
        _, last = frames(videos / "one.mp4")
        first, _ = frames(videos / "two.mp4")
        assert difference(first, last) < 6

        # and once more: nothing
        summary, _ = render(folder, capsys)
        assert {clip["outcome"] for clip in summary["clips"]} == {"cached"} and len(tasks.billable()) == 7


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


def test_plan_against_marks_the_clips_after_a_changed_source(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    folder = project(tmp_path)
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "first")
    story = folder / "film.story"

    def changes() -> dict[str, str]:
        assert main(["plan", str(story), "--against", "HEAD", "--json"]) == 0
        return {row["clip"]: row["change"] for row in json.loads(capsys.readouterr().out)[0]["clips"]}

    story.write_text(STORY.replace("The rain eases", "The rain stops"), "utf-8")
    assert changes() == {"one": "changed", "aside": "unchanged", "two": "changed", "three": "changed"}
    story.write_text(STORY.replace("She opens", "She closes"), "utf-8")
    assert changes() == {"one": "unchanged", "aside": "unchanged", "two": "unchanged", "three": "changed"}
    # continuing another clip is another request, even with the same words
    story.write_text(STORY.replace("continue two", "continue aside"), "utf-8")
    assert changes() == {"one": "unchanged", "aside": "unchanged", "two": "unchanged", "three": "changed"}


def test_a_chain_follows_the_selected_take_of_its_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = project(tmp_path)
    story = folder / "film.story"
    story.write_text(STORY.replace("clip one 2s\n", "clip one 2s\n  takes 2\n"), "utf-8")
    with emulated(monkeypatch) as tasks:
        render(folder, capsys)
        assert len(tasks.billable()) == 5  # one (two takes), aside, two, three
        videos = folder / "renders" / "film"
        take1, take2 = (last_frame(videos / f"{name}.mp4", tmp_path) for name in ("one", "one.take2"))
        assert take1 != take2  # each take's video shows its own task id: their last frames differ
        assert sent_frame(tasks.billable(), "two") == take1  # take 1 is selected

        assert main(["select", str(story), "one", "2"]) == 0
        capsys.readouterr()
        assert main(["plan", str(story), "--json"]) == 0
        planned = json.loads(capsys.readouterr().out)
        states = {clip["label"] if "label" in clip else clip["clip"]: clip.get("status")
                  for sb in planned["storyboards"] for clip in sb["clips"]}
        assert sorted(name for name, state in states.items() if state != "cached") == ["three", "two"], states
        summary, _ = render(folder, capsys)
        outcomes = {clip["label"]: clip["outcome"] for clip in summary["clips"]}
        assert outcomes == {"one": "cached", "one.take2": "cached", "aside": "cached", "two": "rendered",
                            "three": "rendered"}
        assert sorted(clip_of(task) for task in tasks.billable()[5:]) == ["three", "two"]
        assert sent_frame(tasks.billable()[5:], "two") == take2
        assert json.loads((folder / "film.lock").read_text("utf-8"))["clips"]["one"]["select"] == 2


def test_a_chain_link_takes_the_next_free_slot_before_independent_clips() -> None:
    import asyncio

    from storyc.submit.scheduler import Slots

    async def scenario() -> list[str]:
        slots = Slots(1)
        await slots.acquire()
        order: list[str] = []

        async def take(name: str, urgent: bool) -> None:
            await slots.acquire(urgent=urgent)
            order.append(name)
            await slots.release()

        waiting = [asyncio.create_task(take(f"solo{n}", False)) for n in range(3)]
        await asyncio.sleep(0.01)  # the independent clips queue first
        waiting.append(asyncio.create_task(take("link", True)))
        await asyncio.sleep(0.01)
        await slots.release()
        await asyncio.wait_for(asyncio.gather(*waiting), 5)
        return order

    assert asyncio.run(scenario()) == ["link", "solo0", "solo1", "solo2"]


def test_a_chain_with_takes_survives_kills_and_pays_each_request_once(tmp_path: Path) -> None:
    """SIGKILLed at random moments under injected faults, restarted until done: one SUCCEEDED task per
    (request, take), and each link was sent its source's last frame."""
    import collections

    from test_chaos import FAULTS, run_with_kills
    from test_render_e2e import emulator

    from storyc.emulator.testing import relay

    folder = project(tmp_path)
    story = folder / "film.story"
    story.write_text(STORY.replace("clip three 2s\n", "clip three 2s\n  takes 2\n"), "utf-8")
    config = FAST._replace(faults=FAULTS._replace(seed=3))
    with emulator(config) as (url, app), relay(url, hold=0.3) as link:
        kills, _ = run_with_kills(story, link, 3, seed=3)
        assert kills == 3
        tasks = app.state.emulator.tasks
        every = list(tasks.tasks.values())
        succeeded = [task for task in every if tasks.status(task) == "SUCCEEDED"]
        paid = collections.Counter(clip_of(task) for task in succeeded)
        assert set(paid) == {clip_of(task) for task in every}  # every request was made
        assert paid == {"one": 1, "aside": 1, "two": 1, "three": 2}, paid  # once per (request, take)
        lock = json.loads((folder / "film.lock").read_text("utf-8"))["clips"]
        assert sorted(entry["take"] for entry in lock["three"]["takes"]) == [1, 2]
        assert {entry["task_id"] for entry in lock["three"]["takes"]} == {
            task.id for task in succeeded if clip_of(task) == "three"}
        videos = folder / "renders" / "film"
        by_task = {task.id: task for task in succeeded}
        for source, follower in (("one", "two"), ("two", "three")):
            entries = lock[follower]["takes"] if "takes" in lock[follower] else [lock[follower]]
            for entry in entries:
                task = by_task[entry["task_id"]]
                sent = Path(task.media_paths[task.spec.media[0].url]).read_bytes()
                assert sent == last_frame(videos / f"{source}.mp4", tmp_path), (source, follower)


def test_a_link_whose_source_fails_is_not_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from storyc.emulator import Faults

    folder = project(tmp_path)
    config = FAST._replace(faults=Faults(fail_task=1.0, seed=1))  # every task fails
    app = create_app(config)
    with serve(config, app=app) as url:
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
        assert main(["render", str(folder / "film.story"), "--yes", "--json"]) == 1
        captured = capsys.readouterr()
        outcomes = {clip["clip"]: clip["outcome"] for clip in json.loads(captured.out)["clips"]}
        assert outcomes == {"one": "failed", "aside": "failed", "two": "not done", "three": "not done"}
        assert "clip `two` is not done: its source `one` has no video" in captured.err
        assert {clip_of(task) for task in app.state.emulator.tasks.billable()} == {"one", "aside"}


SCENE = """model wan2.7-i2v
resolution 720P
language en
seed 7

scene walk
  first-frame: refs/street.png
  shot 10s wide: The rain eases on the street.
  shot 10s wide: A girl walks into the frame.

clip after 2s
  continue walk
  She opens a red umbrella.
"""


def test_a_scene_chains_its_parts_and_a_clip_continues_its_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = project(tmp_path)
    (folder / "film.story").write_text(SCENE, "utf-8")
    assert main(["compile", str(folder / "film.story"), "--json"]) == 0
    bodies = json.loads(capsys.readouterr().out)
    assert [body["input"]["media"][0]["url"] for body in bodies] == [
        "file://refs/street.png", "storyc-continue:walk-1", "storyc-continue:walk"]
    with emulated(monkeypatch) as tasks:
        summary, _ = render(folder, capsys)
        assert [(clip["clip"], clip["outcome"]) for clip in summary["clips"]] == [
            ("walk-1", "rendered"), ("walk-2", "rendered"), ("after", "rendered")]
        made = sorted(tasks.billable(), key=lambda task: task.submitted)
        assert ["rain" in made[0].spec.prompt, "girl" in made[1].spec.prompt, "umbrella" in made[2].spec.prompt] == [
            True, True, True]
        assert made[1].submitted >= (made[0].finished or 0) > 0 and made[2].submitted >= (made[1].finished or 0)
        videos = folder / "renders" / "film"
        for source, follower in (("walk-1", "walk-2"), ("walk-2", "after")):
            _, last = frames(videos / f"{source}.mp4")
            first, _ = frames(videos / f"{follower}.mp4")
            assert difference(first, last) < 6, (source, follower)
            # what was uploaded is the source's last frame, pixel for pixel: `after` follows the last part
            task = made[["walk-1", "walk-2"].index(source) + 1]
            png = tmp_path / f"{source}-last.png"
            last_frame_png(str(videos / f"{source}.mp4"), str(png))
            assert Path(task.media_paths[task.spec.media[0].url]).read_bytes() == png.read_bytes()

        # editing the scene's second shot re-renders its second part and what follows, not its first
        (folder / "film.story").write_text(SCENE.replace("A girl walks", "A boy runs"), "utf-8")
        summary, _ = render(folder, capsys)
        assert {clip["clip"]: clip["outcome"] for clip in summary["clips"]} == {
            "walk-1": "cached", "walk-2": "rendered", "after": "rendered"}
        assert len(tasks.billable()) == 5


def seconds_of(video: Path) -> float:
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert stream.duration is not None
        return float(stream.duration * stream.time_base)


def normalised_lock(text: str) -> str:
    """The lock file with each task id, request and video hash replaced by a numbered name, in order of
    first appearance: what stays is the shape a chain with takes gives the file."""
    names: dict[str, str] = {}

    def name(match: re.Match[str]) -> str:
        field, value = match.group(1), match.group(2)
        kind = {"request": "request", "sha256": "video", "task_id": "task"}[field]
        names.setdefault(value, f"<{kind} {sum(1 for v in names.values() if v.startswith('<' + kind)) + 1}>")
        return f'"{field}": "{names[value]}"'

    return re.sub(r'"(request|sha256|task_id)": "([^"]+)"', name, text)


def test_the_lock_file_of_a_chain_with_takes_matches_its_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 update_golden: bool) -> None:
    """storyboards/bus-stop rendered offline (as a newcomer would): a picture, a scene of two chained parts,
    and a clip with two takes that continues the scene."""
    folder = tmp_path / "bus-stop"
    shutil.copytree(ROOT / "storyboards" / "bus-stop", folder)
    for name in ("DASHSCOPE_API_KEY", "DASHSCOPE_BASE_URL", "DASHSCOPE_REGION"):
        monkeypatch.delenv(name, raising=False)
    assert main(["render", str(folder / "main.story"), "--yes"]) == 0, capsys.readouterr().err
    text = normalised_lock((folder / "main.lock").read_text("utf-8"))
    golden = ROOT / "tests" / "golden" / "lock" / "chain.lock"
    if update_golden:
        golden.write_text(text, "utf-8")
    assert text == golden.read_text("utf-8")
    # every source's video is a different one, so each request names the frame it started from
    lock = json.loads((folder / "main.lock").read_text("utf-8"))["clips"]
    assert len({take["sha256"] for clip in lock.values() for take in clip["takes"]}) == 5


CLIP_STORY = """model {model}
resolution 720P
language en
seed 7

clip one 5s
{first}  The rain eases on the street.

clip two {seconds}s
  continue one clip
  A girl walks into the frame.
"""


@pytest.mark.parametrize(("model", "first", "seconds", "role"), [
    ("wan2.7-i2v", "  first-frame: refs/street.png\n", 10, "first_clip"),  # the duration includes the clip
    ("wan3.0-video", "", 5, "reference_video"),  # an extension: ratio adaptive, the intent in the prompt
])
def test_continue_clip_sends_the_source_video_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str], model: str, first: str,
                                                     seconds: int, role: str) -> None:
    folder = project(tmp_path)
    story = folder / "film.story"
    story.write_text(CLIP_STORY.format(model=model, first=first, seconds=seconds), "utf-8")
    assert main(["compile", str(story), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)[1]
    assert body["input"]["media"] == [{"type": role, "url": "storyc-continue:one"}]
    if role == "reference_video":
        assert body["parameters"]["ratio"] == "adaptive" and body["input"]["prompt"].startswith("Extend Video 1:")
    with emulated(monkeypatch) as tasks:
        summary, _ = render(folder, capsys)
        assert [clip["outcome"] for clip in summary["clips"]] == ["rendered", "rendered"]
        made = sorted(tasks.billable(), key=lambda task: task.submitted)
        assert made[1].submitted >= (made[0].finished or 0) > 0
        sent = made[1].spec.media[0]
        assert sent.role == role
        assert [task.spec.seed for task in made] == [7, 7]  # the emulator records what a media body sends
        video = folder / "renders" / "film" / "one.mp4"
        assert Path(made[1].media_paths[sent.url]).read_bytes() == video.read_bytes()  # the video itself
        # the cut: wan2.7-i2v's output begins with the clip it continues, so `two` stands in for both
        assert main(["cut", str(story), "-o", str(tmp_path / "cut.mp4")]) == 0
        assert "earlier version" not in capsys.readouterr().err  # a chain's clips are not reported stale
        lengths = {name: seconds_of(folder / "renders" / "film" / f"{name}.mp4") for name in ("one", "two")}
        expected = lengths["two"] if role == "first_clip" else lengths["one"] + lengths["two"]
        assert seconds_of(tmp_path / "cut.mp4") == pytest.approx(expected, abs=0.05)
        # re-rendering the source makes the continuation stale, and only that
        story.write_text(CLIP_STORY.format(model=model, first=first, seconds=seconds).replace("eases", "stops"), "utf-8")
        summary, _ = render(folder, capsys)
        assert [clip["outcome"] for clip in summary["clips"]] == ["rendered", "rendered"]
        summary, _ = render(folder, capsys)
        assert [clip["outcome"] for clip in summary["clips"]] == ["cached", "cached"] and len(tasks.billable()) == 4


EPISODE_1 = """model wan2.7-i2v
resolution 720P
language en
seed 7

clip opening 2s
  first-frame: refs/street.png
  The rain eases on the street.

scene finale
  continue opening
  shot 10s wide: A girl walks into the frame.
  shot 10s wide: She opens a red umbrella.
"""

EPISODE_2 = """model wan2.7-i2v
resolution 720P
language en
seed 7

clip next 2s
  continue "ep1.story" finale
  The umbrella fills the frame.
"""


def test_a_clip_continues_a_clip_of_another_storyboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = project(tmp_path)
    (folder / "story.toml").write_text("", "utf-8")
    (folder / "ep1.story").write_text(EPISODE_1, "utf-8")
    (folder / "ep2.story").write_text(EPISODE_2, "utf-8")
    ep1, ep2 = str(folder / "ep1.story"), str(folder / "ep2.story")
    assert main(["compile", ep2, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["input"]["media"] == [
        {"type": "first_frame", "url": "storyc-continue:ep1.story:finale"}]
    assert main(["plan", ep2]) == 0
    assert "720P from the last frame of `finale` in ep1.story" in capsys.readouterr().out
    with emulated(monkeypatch) as tasks:
        # `status` shows the clip to submit, waiting for its source
        assert main(["status", ep2]) == 0 and "next: to submit" in capsys.readouterr().out
        # alone, before its source exists: nothing is sent, and the message says what to do
        assert main(["render", ep2, "--yes"]) != 0
        err = capsys.readouterr().err
        assert "continues `finale` in `ep1.story`, which has no video yet" in err and "render" in err
        assert tasks.billable() == []
        # both in one run, the continuing one named first: its source is made first
        code = main(["render", ep2, ep1, "--yes", "--json"])
        assert code == 0, capsys.readouterr().err
        capsys.readouterr()
        made = {task.spec.prompt.split()[-1].rstrip("."): task for task in tasks.billable()}
        assert made["frame"].submitted >= (made["umbrella"].finished or 0) > 0  # `next` after `finale-2`
        png = tmp_path / "finale-last.png"
        last_frame_png(str(folder / "renders" / "ep1" / "finale-2.mp4"), str(png))
        sent = made["frame"]
        assert Path(sent.media_paths[sent.spec.media[0].url]).read_bytes() == png.read_bytes()
        # alone again: its source is the video ep1's lock file selects; nothing to pay
        summary, _ = render_file(ep2, capsys)
        assert [clip["outcome"] for clip in summary["clips"]] == ["cached"] and len(tasks.billable()) == 4
        assert main(["cut", ep2, "-o", str(tmp_path / "ep2.mp4")]) == 0
        assert "earlier version" not in capsys.readouterr().err  # its source's video is the one it started from
        # ep1's last part made again: `next` is stale and made again from the new frame
        (folder / "ep1.story").write_text(EPISODE_1.replace("red umbrella", "blue umbrella"), "utf-8")
        summary, _ = render_file(ep1, capsys)
        assert [clip["outcome"] for clip in summary["clips"]] == ["cached", "cached", "rendered"]
        assert main(["cut", ep2, "-o", str(tmp_path / "ep2.mp4")]) == 0
        assert "rendered from an earlier version of the storyboard: next" in capsys.readouterr().err
        summary, _ = render_file(ep2, capsys)
        assert [clip["outcome"] for clip in summary["clips"]] == ["rendered"] and len(tasks.billable()) == 6


def render_file(path: str, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    code = main(["render", path, "--yes", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out), captured.err
