"""One price path: the editor, the preview sheet and the `--curl` script price what `story plan` prices.

`models.pricing.body_price` reads each clip's final request body, after the project's templates. A
project whose body template sends 15 s at 1080P, whatever the storyboard says (5 s and 3 s at 720P),
must show that price in every place a price appears, and the same one as `story plan --json`.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from test_budget_templates import PROFILES, new_template, project, run
from test_lsp import session

from storyc.media.board import load_board
from storyc.models.profile import catalog

STORY = ("model wan2.7-t2v\nresolution 720P\n"
         "clip a 5s\n  A lantern over the market\n"
         "clip b 3s\n  The lantern goes out\n")
TEMPLATE = new_template('"1080P"', "15")  # every clip: 15 s at 1080P
RATES = PROFILES["wan2.7-t2v"].data["pricing"]["singapore"]["tiers"]


@pytest.fixture(autouse=True)
def _singapore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)


@pytest.fixture
def templated(tmp_path: Path) -> Path:
    return project(tmp_path / "p", STORY, {"body-new.json.j2": TEMPLATE})


def planned(capsys: pytest.CaptureFixture[str], story: Path) -> dict[str, Any]:
    """`story plan --json` for one storyboard: its rows by clip, and its total."""
    code, out, err = run(capsys, "plan", "--json", str(story))
    assert code == 0, err
    document = json.loads(out)
    [table] = document["storyboards"]
    [total] = document["totals"]
    return {"clips": {row["clip"]: row["price"] for row in table["clips"]}, "total": total["amount"]}


def test_the_plan_prices_the_templated_body(templated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The reference the other tests hold to: 15 s at 1080P, not the storyboard's 5 s and 3 s at 720P."""
    plan = planned(capsys, templated)
    assert {name: (price["tier"], price["seconds"]) for name, price in plan["clips"].items()} == \
        {"a": ("1080P", 15), "b": ("1080P", 15)}
    assert plan["clips"]["a"]["amount"] == pytest.approx(RATES["1080P"] * 15)
    assert plan["total"] == pytest.approx(RATES["1080P"] * 30)


# -- the editor --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_editor_price_hints_and_hover_match_the_plan(templated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = planned(capsys, templated)
    text = templated.read_text("utf-8")
    async with session(templated.parent) as started:
        uri = started.open(templated)
        hints = await started.client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=99, character=0))))
        hover = await started.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=2, character=6)))
    assert hints is not None
    prices = {hint.position.line: hint.label for hint in hints if str(hint.label).startswith("CNY")}
    lines = text.splitlines()
    assert prices == {lines.index("clip a 5s"): f"CNY {plan['clips']['a']['amount']:.2f}",
                      lines.index("clip b 3s"): f"CNY {plan['clips']['b']['amount']:.2f}"}
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert f"CNY {plan['clips']['a']['amount']:.2f} (singapore, 1080P)" in hover.contents.value


# -- the preview sheet --------------------------------------------------------------------------------


def test_preview_sheet_prices_match_the_plan(templated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = planned(capsys, templated)
    board = load_board(str(templated), catalog())
    assert {clip.name: clip.price.amount for clip in board.clips} == \
        {name: price["amount"] for name, price in plan["clips"].items()}
    assert {clip.price.tier for clip in board.clips} == {"1080P"}
    sheet = templated.parent / "sheet.html"
    code, _, err = run(capsys, "preview", str(templated), "-o", str(sheet))
    assert code == 0, err
    text = html.unescape(sheet.read_text("utf-8"))
    shown = re.findall(r"· (\w+) · estimated (CNY [0-9.]+)", text)
    assert shown == [("1080P", f"CNY {plan['clips'][name]['amount']:.2f}") for name in ("a", "b")]
    assert f"CNY {plan['total']:.2f}" in text


# -- the --curl script ---------------------------------------------------------------------------------


def test_curl_script_total_and_clip_prices_match_the_plan(templated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = planned(capsys, templated)
    code, script, err = run(capsys, "compile", "--curl", str(templated))
    assert code == 0, err
    [total] = re.findall(r"^# Estimated cost: (CNY [0-9.]+) ", script, re.MULTILINE)
    assert total == f"CNY {plan['total']:.2f}"
    clips = dict(re.findall(r"^# (\w+): wan2\.7-t2v, 15s, 1080P [0-9:]+: (CNY [0-9.]+) in singapore$", script, re.MULTILINE))
    assert clips == {name: f"CNY {price['amount']:.2f}" for name, price in plan["clips"].items()}


def test_curl_and_plan_agree_without_a_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The storyboard's own values, in another region: the one price path gives one answer there too."""
    story = project(tmp_path / "q", STORY.replace("resolution 720P", "region beijing\nresolution 1080P"), {})
    plan = planned(capsys, story)
    code, script, err = run(capsys, "compile", "--curl", str(story))
    assert code == 0, err
    [total] = re.findall(r"^# Estimated cost: (CNY [0-9.]+) ", script, re.MULTILINE)
    assert total == f"CNY {plan['total']:.2f}"
    assert plan["clips"]["a"]["seconds"] == 5 and plan["clips"]["b"]["seconds"] == 3


# -- the --curl script's local files pass the one gate ---------------------------------------------------


def _compiled_with_audio(story: Path, url: str) -> list[tuple[str, Any]]:
    """The storyboard compiled as `story compile` does, with `url` put in as a body's soundtrack after the
    compile-time checks (a file swapped or named between compiling and writing the script)."""
    from storyc.compile.diagnose import diagnosed_plan
    from storyc.compile.emit import compile_plan
    from storyc.language.load import load

    _, plan = diagnosed_plan(load(str(story)), catalog(), None)
    assert plan is not None
    compiled = compile_plan(plan)
    first = compiled.clips[0]
    body = {**first.body, "input": {**first.body["input"], "audio_url": url}}
    return [(str(story), compiled._replace(clips=(first._replace(body=body), *compiled.clips[1:])))]


def _sparse(path: Path, size: int) -> None:
    with open(path, "wb") as handle:
        handle.truncate(size)


@pytest.mark.parametrize(("make", "says"), [
    (lambda root: "file://../outside.wav", "which leads outside the project"),
    (lambda root: os.mkfifo(root / "pipe.wav") or "file://pipe.wav", "which is a FIFO, not a regular file"),
    (lambda root: "file://missing.wav", "no such file or directory"),
    (lambda root: _sparse(root / "huge.wav", 65 * 1024 * 1024) or "file://huge.wav",
     "which is larger than 64 MB, the most storyc sends"),
    (lambda root: (root / "link.wav").symlink_to(root.parent / "outside.wav") or "file://link.wav",
     "which leads outside the project"),
], ids=["dot-dot", "fifo", "missing", "over-the-cap", "symlink-out"])
def test_curl_refuses_through_the_one_gate(make: Any, says: str, templated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storyc.compile.curl import CurlError, curl_script

    root = templated.parent
    (root.parent / "outside.wav").write_bytes(b"RIFF")
    monkeypatch.chdir(root)
    url = make(root)
    with pytest.raises(CurlError) as refused:
        curl_script(_compiled_with_audio(Path("a.story"), url), catalog())
    message = str(refused.value)
    assert message.startswith("a.story: clip `a`: `input.audio_url` (from the storyboard's soundtrack or a project "
                              "template) names `")
    assert says in message and message.endswith("--curl uploads only regular files inside the project")


def test_curl_passes_a_file_inside_the_project_through_the_gate(templated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storyc.compile.curl import curl_script

    root = templated.parent
    (root / "-dash.wav").write_bytes(b"RIFF")
    monkeypatch.chdir(root)
    script = curl_script(_compiled_with_audio(Path("a.story"), "file://-dash.wav"), catalog())
    assert "upload ./-dash.wav wan2.7-t2v" in script


@pytest.mark.asyncio
async def test_editor_shows_no_price_for_a_body_that_is_refused(tmp_path: Path) -> None:
    """A template that changes the model is refused (SB501): no body is sent, so none is priced — the
    hint says the price is unknown rather than showing the storyboard's."""
    from test_budget_templates import STORY_26, legacy_template

    story = project(tmp_path / "p", STORY_26, {"body-legacy.json.j2": legacy_template(model='"wanx2.1-t2v-turbo"')})
    async with session(story.parent) as started:
        uri = started.open(story)
        diagnostics = await started.diagnostics(uri)
        hints = await started.client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=99, character=0))))
    assert any(d.code == "SB501" for d in diagnostics)
    assert hints is not None
    assert [hint.label for hint in hints if "price" in str(hint.label) or "CNY" in str(hint.label)] == \
        ["price unknown in singapore"]
