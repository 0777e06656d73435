"""Lock-file fuzz (issue 19): random damage, conflict markers, field mutations and hostile strings in a
teammate's clone of a rendered project. Every command ends with a message or success within 10 s, never
an internal error, and `story render` never creates a task (in the loopback emulator's own record) for
a clip whose committed video matches the lock file's entry.

STORYC_LOCK_FUZZ sets the number of damaged lock files (default 16, about 30 s); STORYC_LOCK_FUZZ_SEED
the first seed, to replay a case a failure names.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from test_lock import COMMANDS, clone, rendered, service, tasks  # noqa: F401 - `rendered` is a fixture

CASES = int(os.environ.get("STORYC_LOCK_FUZZ", "16"))
FIRST_SEED = int(os.environ.get("STORYC_LOCK_FUZZ_SEED", "1900"))
SECONDS = 10.0
HOSTILE_STRINGS = [
    "abc\n002  AX       V     C        00:00:00:00 00:00:01:00 00:00:00:00 00:00:01:00", "../../../etc/passwd",
    "/dev/zero", "renders/film/../../../x.mp4", "a\u0000b", "line\u2028break", "\x1b[31mred", "$(touch PWNED)",
    "'\"<>&]]>", "x" * 5000, "", " ", "C:\\film\\a.mp4", "file:///etc/passwd", "renders/film/b.mp4",
    "renders/film/a.mp4", "NaN", "\ufffe\uffff", "雪" * 40, "sha256:" + "0" * 64, "0" * 64,
    "0385dc79-5ff8-4d82-bcb6-0123456789ab", "renders", ".", "renders//film/a.mp4",
]
HOSTILE_VALUES: list[Any] = [-1, 0, 1e308, 10**30, True, False, None, [], {}, "1", 1.5, [1, 2], {"a": 1}]
JUNK = ["}", "{", ",", "]", "\"", "\\", "\x00", "\ufeff", "<<<<<<< HEAD\n", "=======\n", ">>>>>>> theirs\n",
        "\"version\": 9,", "NaN", "1e999", "\"clips\": null,", "\n", "\t", "\u2028"]


def _truncate(text: str, rng: random.Random) -> str:
    return text[:rng.randrange(len(text))]


def _cut_span(text: str, rng: random.Random) -> str:
    start = rng.randrange(len(text))
    return text[:start] + text[start + rng.randrange(1, 40):]


def _insert_junk(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text))
    return text[:at] + rng.choice(JUNK + HOSTILE_STRINGS) + text[at:]


def _conflict(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    start = rng.randrange(1, len(lines) - 2)
    end = min(len(lines) - 1, start + rng.randrange(1, 14))
    block = lines[start:end]
    theirs = [line.replace("a", "b", 1) for line in block]
    markers = ["<<<<<<< HEAD", *block, "=======", *theirs, ">>>>>>> other"]
    if rng.random() < 0.3:  # diff3 style
        markers[len(block) + 1:len(block) + 1] = ["||||||| base", *block]
    return "\n".join([*lines[:start], *markers, *lines[end:]])


def _mutate_field(text: str, rng: random.Random) -> str:
    document = json.loads(text)
    clip = document["clips"][rng.choice(sorted(document["clips"]))]
    field = rng.choice(sorted(clip))
    clip[field] = rng.choice(HOSTILE_STRINGS + HOSTILE_VALUES)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=rng.random() < 0.5)


def _drop_or_add_field(text: str, rng: random.Random) -> str:
    document = json.loads(text)
    target = document if rng.random() < 0.3 else document["clips"][rng.choice(sorted(document["clips"]))]
    if rng.random() < 0.5:
        target.pop(rng.choice(sorted(target)))
    else:
        target[rng.choice(HOSTILE_STRINGS)[:30] or "extra"] = rng.choice(HOSTILE_VALUES)
    return json.dumps(document, indent=2, sort_keys=True)


def _rename_clip(text: str, rng: random.Random) -> str:
    document = json.loads(text)
    name = rng.choice(sorted(document["clips"]))
    document["clips"][rng.choice(HOSTILE_STRINGS)[:80]] = document["clips"].pop(name)
    return json.dumps(document, indent=2, sort_keys=True)


def _version(text: str, rng: random.Random) -> str:
    document = json.loads(text)
    document["version"] = rng.choice([0, 2, 99, "1", 1.5, None, -1, 10**40])
    return json.dumps(document, indent=2, sort_keys=True)


def _whole(text: str, rng: random.Random) -> str:
    return rng.choice(["", "null", "[]", "{}", "[" * 100_000, "1" * 5000, "\x00" * 64, text + text,
                       text.replace('"clips"', '"clips": {}, "clips"', 1), "\ufeff" + text])


def _swap_entries(text: str, rng: random.Random) -> str:
    """Valid but wrong: each clip's entry given to the other clip."""
    document = json.loads(text)
    names = sorted(document["clips"])
    document["clips"] = {name: document["clips"][other] for name, other in zip(names, reversed(names), strict=True)}
    return json.dumps(document, indent=2, sort_keys=True)


def _valid_edit(text: str, rng: random.Random) -> str:
    """Still valid and still the same renders: another task id, price or layout; nothing to render again."""
    document = json.loads(text)
    clip = document["clips"][rng.choice(sorted(document["clips"]))]
    clip["task_id"] = f"{rng.getrandbits(32):08x}-0000-4000-8000-{rng.getrandbits(48):012x}"
    clip["cost"] = rng.choice([None, 0, 0.5, 12.25])
    clip["seed"] = rng.choice([None, 0, 2147483647])
    items = list(document.items())
    rng.shuffle(items)
    return json.dumps(dict(items), indent=rng.choice([None, 1, 4]), ensure_ascii=rng.random() < 0.5)


DAMAGE: list[Callable[[str, random.Random], str]] = [_valid_edit,
    _truncate, _cut_span, _insert_junk, _conflict, _mutate_field, _mutate_field, _drop_or_add_field,
    _rename_clip, _version, _whole, _swap_entries,
]


def unchanged_clips(folder: Path, text: str, original: dict[str, Any]) -> set[str]:
    """Clips whose committed video still matches the damaged lock file's entry: a valid-looking entry with
    the original request, pointing at a regular file inside the folder whose sha256 it names, not emulated."""
    try:
        document = json.loads(text)
        clips = document["clips"]
        assert isinstance(clips, dict)
    except (ValueError, KeyError, TypeError, AssertionError, RecursionError):
        return set()
    found = set()
    for name, entry in clips.items():
        if name not in original or not isinstance(entry, dict):
            continue
        video = entry.get("video")
        if entry.get("request") != original[name]["request"] or entry.get("emulated", False) is not False \
                or not isinstance(video, str):
            continue
        path = folder / video
        try:
            inside = path.resolve().is_relative_to(folder.resolve()) and path.is_file()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if inside else None
        except (OSError, ValueError):
            continue
        if digest == entry.get("sha256"):
            found.add(name)
    return found


def test_damaged_lock_files_end_in_a_message_or_success_and_never_pay_for_a_matching_clip(
    rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str]
) -> None:
    from storyc.cli import main

    text = (rendered / "film.lock").read_text(encoding="utf-8")
    original = json.loads(text)["clips"]
    slowest = 0.0
    outcomes = {"refused": 0, "rendered again": 0, "cached": 0}
    with service(monkeypatch) as app:
        for seed in range(FIRST_SEED, FIRST_SEED + CASES):
            rng = random.Random(seed)
            damage = DAMAGE[seed % len(DAMAGE)]
            damaged = damage(text, rng)
            if rng.random() < 0.3 and damaged.strip():  # a second blow; the structural ones need valid JSON
                with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
                    damaged = rng.choice(DAMAGE)(damaged, rng)
            story = clone(rendered, tmp_path / f"case-{seed}")
            lock = story.with_suffix(".lock")
            lock.write_text(damaged, encoding="utf-8", errors="surrogatepass")
            keep = unchanged_clips(story.parent, damaged, original)
            videos = {name: (story.parent / "renders" / "film" / f"{name}.mp4").read_bytes() for name in keep}
            monkeypatch.chdir(story.parent)
            case = f"seed {seed} ({damage.__name__}); replay with STORYC_LOCK_FUZZ=1 STORYC_LOCK_FUZZ_SEED={seed}"
            before = tasks(app)
            for command in COMMANDS:
                started = time.monotonic()
                code = main([*command[:1], story.name, *command[1:]])
                took = time.monotonic() - started
                slowest = max(slowest, took)
                err = capsys.readouterr().err
                assert took < SECONDS, (case, command, took)
                assert "internal error" not in err and "Traceback" not in err, (case, command, err)
                assert code in (0, 1, 2), (case, command, code)
                if code != 0:
                    assert err.strip(), (case, command)
                if command[0] == "render":
                    created = tasks(app) - before
                    if code == 2:
                        assert created == 0, (case, err)
                    else:
                        assert created == 2 - len(keep), (case, keep, err)
                    outcomes["refused" if code == 2 else "rendered again" if created else "cached"] += 1
            for name, content in videos.items():
                assert (story.parent / "renders" / "film" / f"{name}.mp4").read_bytes() == content, (case, name)
    print(f"{CASES} damaged lock files x {len(COMMANDS)} commands; render: {outcomes}; slowest command "
          f"{slowest:.2f}s")
