"""`story check --fix`: only certain fixes are applied, and fixing never leaves more errors than before.

Storyboards are generated from the mistakes writers make (a misspelt model, name, framing or cue
label, a duration without its unit, a ratio on a model that takes a size, per-clip settings that do
not suit the clip's model) mixed with correct lines.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyc.base.diagnostics import MACHINE_APPLICABLE, apply_fixes
from storyc.check.suggest import closest_model, typo_distance, unique_typo
from storyc.cli import main
from storyc.compile.diagnose import diagnose
from storyc.language.load import load

EXAMPLES = min(int(os.environ.get("STORYC_EXAMPLES", "100")), 100)

MODELS = ["wan2.7-t2v", "wan2.7-t2v-plus", "wan2.2-t2v-plus", "wan2.2-t2v", "wan2.6-t2v", "wan27-t2v"]
PICTURE = ["ratio 16:9", "ratio 4:3", "size 1280*720", "size 1920*1080", "resolution 480P", "resolution 1080P"]
FRAMINGS = ["wide", "wdie", "close-up", "closeup", "medum", "trakcing", "pov", "noir"]
LABELS = ["camera", "camrea", "sfx", "sfxx", "music", "musci", "Music", "ambiance", "sountrack", "Cameo"]
NAMES = ["fox", "foxx", "heroine", "hero", "owl"]
DURATIONS = ["5s", "5", "10s", "8s", "15", "16s"]


@st.composite
def mistaken(draw: st.DrawFn) -> str:
    lines = [f"model {draw(st.sampled_from(MODELS))}"]
    lines += draw(st.lists(st.sampled_from(PICTURE), max_size=2, unique=True))
    lines += ["cast fox: a red fox in a trench coat", "cast hero: a tall knight", "place office: a dusty office"]
    for index in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["clip", "clip", "scene"]))
        header = f"{kind} c{index}"
        if kind == "clip" and draw(st.booleans()):
            header += f" {draw(st.sampled_from(DURATIONS))}"
        lines.append(header)
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"  model {draw(st.sampled_from(MODELS))}")
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"  {draw(st.sampled_from(PICTURE))}")
        for _ in range(draw(st.integers(0, 2))):
            label = draw(st.sampled_from(LABELS))
            lines.append(f"  {label}: @{draw(st.sampled_from(NAMES))} in @office")
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"  {draw(st.sampled_from(['sya', 'say', 'Say', 'voicover']))} {draw(st.sampled_from(NAMES))}: hi")
        if draw(st.booleans()):
            lines.append(f"  @{draw(st.sampled_from(NAMES))} waits")
        for _ in range(draw(st.integers(0 if kind == "clip" else 1, 3))):
            lines.append(f"  shot {draw(st.sampled_from(['2s', '3s', '5s', '3']))} {draw(st.sampled_from(FRAMINGS))}")
            lines.append(f"    @{draw(st.sampled_from(NAMES))} turns")
            if draw(st.booleans()):
                lines.append(f"    {draw(st.sampled_from(LABELS))}: rain")
    return "\n".join(lines) + "\n"


def errors(path: Path) -> int:
    return sum(1 for d in diagnose(load(str(path))) if d.level == "error")


@settings(max_examples=EXAMPLES)
@given(text=mistaken())
def test_fix_never_raises_the_error_count(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("fix") / "a.story"
    path.write_text(text, encoding="utf-8")
    before = errors(path)
    main(["check", "--fix", "--format", "json", str(path)])
    assert errors(path) <= before, (text, path.read_text(encoding="utf-8"))


@settings(max_examples=EXAMPLES)
@given(text=mistaken())
def test_machine_applicable_fixes_are_safe_without_the_safety_net(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    """The labels themselves, not only --fix's undo: one round of the certain fixes of a file that
    parses adds no error."""
    path = tmp_path_factory.mktemp("fix") / "a.story"
    path.write_text(text, encoding="utf-8")
    program = load(str(path))
    found = diagnose(program)
    if any(d.code.startswith("SB1") for d in found):
        return  # a syntax fix makes more of the file readable: what it reveals was there all along
    fixed, count = apply_fixes(text, [d.fix for d in found if d.fix is not None and d.fix.safe])
    path.write_text(fixed, encoding="utf-8")
    assert errors(path) <= sum(1 for d in found if d.level == "error"), (text, fixed)


def test_the_issue_storyboard_keeps_its_model_name_and_ratio(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("model wan2.7-t2v-plus\nratio 16:9\ncast hero: a tall knight\ncast heroine: a young archer\n"
            "clip a 5s\n  shot 5s wdie\n    @heroin draws her bow\n")
    path = tmp_path / "a.story"
    path.write_text(text, encoding="utf-8")
    assert main(["check", "--fix", "--format", "json", str(path)]) == 1
    left = json.loads(capsys.readouterr().out)
    assert path.read_text(encoding="utf-8") == text.replace("wdie", "wide")
    suggested = {r["code"]: r["fix"] for r in left if r["fix"]}
    assert suggested["SB315"]["replacement"] == "wan2.7-t2v"  # the same generation, not wan2.2-t2v-plus
    assert suggested["SB315"]["applicability"] == suggested["SB205"]["applicability"] == "maybe-incorrect"


def test_a_syntax_fix_that_uncovers_more_errors_is_held_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "clip a 5\n  @nobody waits for @noone\n"  # `5s` makes the clip readable: two undeclared names
    path = tmp_path / "a.story"
    path.write_text(text, encoding="utf-8")
    assert main(["check", "--fix", str(path)]) == 1
    assert path.read_text(encoding="utf-8") == text
    assert "fixes undone: they would leave 2 errors where there was 1" in capsys.readouterr().err


def test_model_suggestions_prefer_the_same_generation() -> None:
    known = ["wan2.2-t2v-plus", "wan2.5-t2v-preview", "wan2.6-t2v", "wan2.7-t2v", "wan2.7-t2v-2026-06-12"]
    assert closest_model("wan2.7-t2v-plus", known) == "wan2.7-t2v"
    assert closest_model("wan2.2-t2v", known) == "wan2.2-t2v-plus"
    assert closest_model("wan27-t2v", known) == "wan2.7-t2v"


def test_typos_are_one_slip_and_unique() -> None:
    assert typo_distance("camrea", "camera") == 1  # two neighbours swapped
    assert typo_distance("sountrack", "soundtrack") == 1
    assert unique_typo("musci", ["camera", "sfx", "music", "ambience"]) == "music"
    assert unique_typo("Cameo", ["camera", "sfx", "music", "ambience"]) is None
    assert unique_typo("note", ["camera", "sfx", "music", "ambience"]) is None


def test_label_fix_is_applied_and_changes_the_prompt(tmp_path: Path) -> None:
    path = tmp_path / "a.story"
    path.write_text("language en\nclip a 5s\n  A fox waits\n  camrea: slow push in\n", encoding="utf-8")
    [warning] = diagnose(load(str(path)))
    assert (warning.code, warning.fix and warning.fix.applicability) == ("SB221", MACHINE_APPLICABLE)
    assert main(["check", "--fix", str(path)]) == 0
    assert path.read_text(encoding="utf-8").endswith("  camera: slow push in\n")
    out = tmp_path / "out"
    assert main(["compile", str(path), "-o", str(out)]) == 0
    assert (out / "a.prompt.txt").read_text(encoding="utf-8") == "A fox waits. Camera: slow push in.\n"


def test_a_label_fix_that_would_empty_the_clip_is_only_offered(tmp_path: Path) -> None:
    path = tmp_path / "a.story"
    path.write_text("clip a 5s\n  camrea: slow push in\n", encoding="utf-8")
    [warning] = diagnose(load(str(path)))
    assert warning.fix is not None and warning.fix.applicability == "maybe-incorrect"


def test_a_clip_duration_hint_is_about_the_clip(tmp_path: Path) -> None:
    path = tmp_path / "a.story"
    path.write_text("model wan2.2-t2v-plus\nclip a 8s\n  A fox\nclip b\n  shot 4s: One\n  shot 4s: Two\n", encoding="utf-8")
    hints = {d.span.start: d.help for d in diagnose(load(str(path))) if d.code == "SB301"}
    assert list(hints.values())[0].startswith("change the clip's own duration")
