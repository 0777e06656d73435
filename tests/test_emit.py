"""Compile: prompts and bodies match the vendor guide, golden files, determinism, safety."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from storyc.check.rules import check
from storyc.cli import main
from storyc.cli.common import storyboard_files
from storyc.compile.emit import Compiled, compile_plan
from storyc.compile.plan import plan
from storyc.language.load import load

ROOT = Path(__file__).resolve().parent.parent
STORYBOARDS = [Path(path) for path in storyboard_files([str(ROOT / "storyboards")])]  # not `.story/`
GOLDEN = Path(__file__).parent / "golden"
GUIDE = sorted((Path(__file__).parent / "fixtures" / "guide").glob("*.json"))
SHOT = re.compile(r"第(\d+)個鏡頭(\[[0-9.]+-[0-9.]+秒\])?\s*")


def compiled(path: Path) -> Compiled:
    program = load(str(path))
    assert not check(program)
    planned = plan(program)
    assert planned is not None
    result = compile_plan(planned)
    assert not result.diagnostics
    return result


def shot_texts(prompt: str) -> list[tuple[str, str]]:
    """(time range, text) of each numbered shot; the text before shot 1 is shot "0"."""
    pieces = SHOT.split(prompt)
    out = [("", pieces[0].strip())]
    for index in range(1, len(pieces), 3):
        out.append((pieces[index + 1] or "", pieces[index + 2].strip()))
    return out


@pytest.mark.parametrize("fixture", GUIDE, ids=[p.stem for p in GUIDE])
def test_guide_examples_compile_to_the_guides_request(fixture: Path) -> None:
    guide = json.loads(fixture.read_text(encoding="utf-8"))
    [clip] = compiled(ROOT / "storyboards" / f"{fixture.stem}.story").clips
    expected = guide["body"]
    assert clip.body["model"] == expected["model"]
    assert clip.body["parameters"] == expected["parameters"]
    expected_input = {k: v for k, v in expected["input"].items() if v != ""}  # documented: empty fields omitted
    assert {k: v for k, v in clip.body["input"].items() if k != "prompt"} == {
        k: v for k, v in expected_input.items() if k != "prompt"
    }
    ours, theirs = shot_texts(clip.prompt), shot_texts(expected["input"]["prompt"])
    assert [text for _, text in ours] == [text for _, text in theirs]
    for (our_range, _), (their_range, _) in zip(ours, theirs, strict=True):
        assert their_range in ("", our_range)  # where the guide gives times, they are ours


def test_untimed_guide_shots_get_the_times_of_their_durations() -> None:
    [clip] = compiled(ROOT / "storyboards" / "cheetah-chase.story").clips
    assert [r for r, _ in shot_texts(clip.prompt)[1:]] == ["[0-3秒]", "[3-6秒]", "[6-9秒]", "[9-12秒]", "[12-15秒]"]


def _golden_files(path: Path) -> dict[str, str]:
    result = compiled(path)
    files = {}
    for clip in result.clips:
        files[f"{clip.name}.json"] = clip.body_text()
        files[f"{clip.name}.prompt.txt"] = clip.prompt + "\n"
    return files


WITH_CLIPS = [p for p in STORYBOARDS if load(str(p)).entry.storyboard.clips]  # type: ignore[union-attr]
# Small storyboards that show how prompts read: lines without final punctuation, clause descriptions.
SOURCES = Path(__file__).parent / "golden-sources"
GOLDEN_CASES = [*WITH_CLIPS, *sorted(SOURCES.glob("*.story"))]


def _golden_folder(path: Path) -> Path:
    if path.parent == SOURCES:
        return GOLDEN / "sources" / path.stem
    return GOLDEN / path.relative_to(ROOT / "storyboards").with_suffix("")


@pytest.mark.parametrize("path", GOLDEN_CASES, ids=[str(_golden_folder(p).relative_to(GOLDEN)) for p in GOLDEN_CASES])
def test_golden(path: Path, update_golden: bool) -> None:
    folder = _golden_folder(path)
    files = _golden_files(path)
    if update_golden:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()} if folder.exists() else {}
    assert on_disk == files, "golden files differ: review, then rewrite with pytest --update-golden"


def test_compilation_is_byte_identical_across_paths_and_hash_seeds(tmp_path: Path) -> None:
    outputs = []
    for index, seed in enumerate(("1", "2")):
        copy = tmp_path / f"copy{index}" / "deep" / "er"
        shutil.copytree(ROOT / "storyboards", copy)
        out = tmp_path / f"out{index}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        for story in ("lantern-thief/main.story", "new-york-detective.story"):
            result = subprocess.run(
                [sys.executable, "-m", "storyc", "compile", str(copy / story), "-o", str(out / story)],
                capture_output=True, text=True, env=env,
            )
            assert result.returncode == 0, result.stderr
        outputs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 8
    for data in outputs[0].values():
        assert str(tmp_path).encode() not in data and data.endswith(b"\n")


def test_bodies_keep_cjk_unescaped() -> None:
    [clip] = compiled(ROOT / "storyboards" / "new-york-detective.story").clips
    assert "雨夜的紐約街頭" in clip.body_text() and "\\u" not in clip.body_text()


def _project(tmp_path: Path, template: str, story: str = "language en\nclip a 5s\n  A fox runs\n") -> Path:
    (tmp_path / "story.toml").write_text("", encoding="utf-8")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "prompt-en.j2").write_text(template, encoding="utf-8")
    path = tmp_path / "a.story"
    path.write_text(story, encoding="utf-8")
    return path


def test_project_template_overrides_the_prompt(tmp_path: Path) -> None:
    path = _project(tmp_path, "Custom: {{ clip.shots | length }} shot(s) {{ clip.lines | join(' ') }}")
    [clip] = compile_plan(plan(load(str(path)))).clips  # type: ignore[arg-type]
    assert clip.prompt == "Custom: 0 shot(s) A fox runs."  # each line comes as a finished sentence


@pytest.mark.parametrize("template", ["{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ clip.__class__ }}{{ cycler.__init__.__globals__ }}"])
def test_project_template_cannot_reach_python_internals(
    tmp_path: Path, template: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _project(tmp_path, template)
    assert main(["compile", str(path), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "SB501" in err and "unsafe" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_template_with_an_undefined_variable_is_a_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _project(tmp_path, "{{ clip.nonexistent }}")
    assert main(["compile", str(path), "-o", str(tmp_path / "out")]) == 1
    assert "SB501" in capsys.readouterr().err


def test_prompt_too_long_is_reported_by_check_and_blocks_compile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "long.story"
    path.write_text("model wan2.6-t2v\nsize 1280*720\nclip a 5s\n  " + "長" * 1599 + "。\n", encoding="utf-8")
    assert main(["check", "--format", "json", str(path)]) == 1
    [record] = json.loads(capsys.readouterr().out)
    assert (record["code"], record["line"], record["column"]) == ("SB313", 3, 6)
    assert "1600 characters" in record["message"] and "1500" in record["message"]
    assert main(["compile", str(path), "-o", str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out").exists()


def test_prompt_just_inside_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "long.story"
    path.write_text("model wan2.6-t2v\nsize 1280*720\nclip a 5s\n  " + "長" * 1499 + "。\n", encoding="utf-8")
    assert main(["check", str(path)]) == 0


def test_compile_json_prints_exactly_the_bodies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = ROOT / "storyboards" / "lantern-thief" / "main.story"
    assert main(["compile", "--json", str(story)]) == 0
    bodies = json.loads(capsys.readouterr().out)
    assert [b["parameters"]["duration"] for b in bodies] == [10, 13, 11]
    assert bodies == [clip.body for clip in compiled(story).clips]


def test_compile_writes_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    story = ROOT / "storyboards" / "lantern-thief" / "main.story"
    assert main(["compile", str(story), "-o", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"{n}.{e}" for n in ("chase-1", "chase-2", "opening") for e in ("json", "prompt.txt")]


def test_scene_split_is_stable_when_shots_are_added(tmp_path: Path) -> None:
    shots = ["3s", "4s", "5s", "2s", "6s", "3s", "4s"]
    names = []
    for count in range(3, len(shots) + 1):
        text = "model wan2.7-t2v\nscene s\n" + "".join(f"  shot {d}: Shot {i}\n" for i, d in enumerate(shots[:count]))
        path = tmp_path / f"s{count}.story"
        path.write_text(text, encoding="utf-8")
        planned = plan(load(str(path)))
        assert planned is not None
        names.append([(c.name, c.millis) for c in planned.clips])
    assert names[-1] == [("s-1", 14000), ("s-2", 13000)]
    for earlier, later in zip(names, names[1:], strict=False):
        assert later[: len(earlier) - 1] == earlier[:-1]


def test_compile_to_an_unwritable_place_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    story = ROOT / "storyboards" / "future-garden.story"
    assert main(["compile", str(story), "-o", str(blocker / "out")]) == 2
    err = capsys.readouterr().err
    assert "cannot write to" in err and "internal error" not in err


def test_compile_names_output_folders_after_the_storyboards_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "storyboards", tmp_path / "storyboards")
    (tmp_path / "storyboards" / "main.story").write_text("clip a 5s\n  A fox\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["compile", "storyboards"]) == 0
    folders = {str(p.parent.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.json")}
    # Two `main.story` files, each recognisable; the include-only file makes no folder.
    assert {"storyboards/main", "storyboards/lantern-thief/main", "storyboards/cheetah-chase"} <= folders
    assert not any("shared" in folder or "cast" in folder for folder in folders)
    assert "storyboards/lantern-thief/shared/cast.story: no clips, nothing to compile" in capsys.readouterr().err


def test_plan_prints_no_table_for_an_include_only_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(ROOT / "storyboards" / "lantern-thief")]) == 0
    captured = capsys.readouterr()
    assert "cast.story" not in captured.out and captured.out.count("(region ") == 1
    assert "cast.story: no clips, nothing to plan" in captured.err


def test_output_names_outside_the_current_folder_stay_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storyc.compile.outputs import output_names

    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    paths = [str(tmp_path / "a" / "x" / "main.story"), str(tmp_path / "b" / "x" / "main.story"),
             str(tmp_path / "c" / "solo.story"), "x/main.story"]
    names = output_names(paths)
    assert names == {paths[0]: "a/x/main", paths[1]: "b/x/main", paths[2]: "c/solo", paths[3]: "x/main"}


def test_per_clip_settings_reach_the_bodies_and_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    story = Path(__file__).parent / "cases" / "clip-settings" / "ok-SB306-per-clip.story"
    program = load(str(story))
    planned = plan(program)
    assert planned is not None
    bodies = {clip.name: clip.body for clip in compile_plan(planned).clips}
    assert (bodies["opening"]["model"], bodies["opening"]["parameters"]["ratio"]) == ("wan2.7-t2v", "16:9")
    assert bodies["legacy"]["model"] == "wan2.2-t2v-plus"
    assert bodies["legacy"]["parameters"] == {"size": "832*480", "prompt_extend": True, "watermark": True, "seed": 42}
    assert bodies["legacy"]["input"]["negative_prompt"] == "blur, text"
    assert (bodies["chase-1"]["model"], bodies["chase-1"]["parameters"]["size"]) == ("wan2.6-t2v", "1920*1080")
    assert bodies["chase-1"]["input"]["prompt"].startswith("Shot 1 [0-5s] A fox runs.")  # its own `language en`
    assert main(["plan", "--json", str(story)]) == 0
    rows = {row["clip"]: row for row in json.loads(capsys.readouterr().out)["storyboards"][0]["clips"]}
    assert {name: (row["model"], row["picture"]) for name, row in rows.items()} == {
        "opening": ("wan2.7-t2v", "720P 16:9"), "legacy": ("wan2.2-t2v-plus", "832*480"),
        "chase-1": ("wan2.6-t2v", "1920*1080"),
    }


FORMATTED = sorted((Path(__file__).parent / "cases" / "clip-settings").glob("*.story")) + sorted(SOURCES.glob("*.story"))


@pytest.mark.parametrize("path", FORMATTED, ids=[p.name for p in FORMATTED])
def test_fmt_keeps_clip_settings_and_the_compiled_output(path: Path, tmp_path: Path) -> None:
    from storyc.base.source import Source
    from storyc.language.fmt import format_text
    from storyc.language.parse import parse

    text = path.read_text(encoding="utf-8")
    formatted = format_text(parse(Source(str(path), text)))
    again = format_text(parse(Source(str(path), formatted)))
    assert again == formatted
    assert parse(Source(str(path), formatted)).storyboard == parse(Source(str(path), text)).storyboard
    copy = tmp_path / path.name
    copy.write_text(formatted, encoding="utf-8")
    before, after = plan(load(str(path))), plan(load(str(copy)))
    if before is not None and not check(load(str(path))):
        assert after is not None
        assert [c.body for c in compile_plan(before).clips] == [c.body for c in compile_plan(after).clips]
