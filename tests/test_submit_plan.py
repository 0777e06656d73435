"""`story plan` marks clips cached / in flight / to submit from the journal, and `--against GIT_REF` lists
the clips whose requests changed since a revision with what regenerating them costs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_render_e2e import KEY, emulator, render
from test_submit_resume import create_directly, jobs_of, storyboard

from storyc.cli import main


def plan(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["plan", *args, "--json"]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def test_plan_marks_cached_in_flight_and_to_submit(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    story = storyboard(tmp_path, clips=3)
    before = plan([str(story)], capsys)["storyboards"][0]
    assert all("status" not in row for row in before["clips"])  # never rendered: no journal, no column
    with emulator() as (url, _):
        monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
        monkeypatch.setenv("DASHSCOPE_BASE_URL", url)
        code, _, err = render([str(story), "--yes"], capsys)
        assert code == 0, err
        story.write_text(story.read_text(encoding="utf-8").replace("lantern number 2", "lantern number two")
                         .replace("lantern number 3", "lantern number three"), encoding="utf-8")
        third = next(job for job in jobs_of(story) if job.targets[0].name == "part3")
        third.journal.submitted(third.hash, create_directly(url, third.body))
    after = plan([str(story)], capsys)["storyboards"][0]
    status = {row["clip"]: row["status"] for row in after["clips"]}
    assert status == {"part1": "cached", "part2": "to submit", "part3": "in flight"}
    part2 = next(row for row in after["clips"] if row["clip"] == "part2")
    assert after["total"]["amount"] == part2["price"]["amount"] > 0


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(folder), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


def test_against_lists_the_changed_requests_and_their_cost(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = storyboard(tmp_path, clips=3)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    text = story.read_text(encoding="utf-8")
    story.write_text("# a comment changes no request\n" + text.replace("lantern number 2", "lantern number two")
                     + "\nclip part4 3s\n  A lantern falls.\n", encoding="utf-8")
    document = plan([str(story), "--against", "HEAD"], capsys)
    changes = {row["clip"]: row["change"] for row in document[0]["clips"]}
    assert changes == {"part1": "unchanged", "part2": "changed", "part3": "unchanged", "part4": "new"}
    prices = plan([str(story)], capsys)["storyboards"][0]["clips"]
    wanted = sum(row["price"]["amount"] for row in prices if row["clip"] in ("part2", "part4"))
    shown = [row["price"]["amount"] for row in document[0]["clips"] if row["price"]]
    assert sum(shown) == pytest.approx(wanted)
    assert main(["plan", str(story), "--against", "HEAD"]) == 0
    assert "regenerating 2 clips changed since HEAD: CNY " in capsys.readouterr().out
    # --budget with --against gates what regenerating costs: under it passes, over it refuses
    assert main(["plan", str(story), "--against", "HEAD", "--budget", str(wanted + 0.01)]) == 0
    capsys.readouterr()
    assert main(["plan", str(story), "--against", "HEAD", "--budget", str(wanted - 0.01)]) == 1
    assert "over budget: regenerating costs CNY " in capsys.readouterr().err
    assert main(["plan", str(story), "--against", "no-such-ref"]) == 2
    assert "`no-such-ref` is not a revision" in capsys.readouterr().err
