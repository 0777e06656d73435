"""The `story` command, in-process through `main(argv)`, plus one run of the installed script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from storyc.cli import main

ROOT = Path(__file__).resolve().parent.parent
CLEAN = "model wan2.7-t2v\ncast fox: a fox\n\nclip a 3s\n  shot 3s wide\n    @fox runs\n"
BROKEN = "cast fox: a fox\nclip a 3s\n  @fox meets @owl\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_check_clean_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(write(tmp_path, "a.story", CLEAN))]) == 0
    assert capsys.readouterr().out == "1 file checked: no problems\n"


def test_check_reports_full_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.story", BROKEN)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert out == (
        "error[SB205]: `@owl` is not declared\n"
        f" --> {path}:3:14\n"
        "  |\n"
        "3 |   @fox meets @owl\n"
        "  |              ^^^^ unknown name\n"
        "  |\n"
        "  = help: declare it, e.g. `cast owl: …`, or include the file that does\n"
        "\n"
        "1 file checked: 1 error, 0 warnings\n"
    )


def test_check_json_has_the_documented_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.story", BROKEN)
    assert main(["check", "--format", "json", str(path)]) == 1
    [record] = json.loads(capsys.readouterr().out)
    assert record == {
        "code": "SB205", "severity": "error", "message": "`@owl` is not declared", "file": str(path),
        "line": 3, "column": 14, "end_line": 3, "end_column": 18,
        "help": "declare it, e.g. `cast owl: …`, or include the file that does", "fix": None,
    }


def test_check_concise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.story", BROKEN)
    main(["check", "--format", "concise", str(path)])
    assert capsys.readouterr().out.splitlines()[0] == f"{path}:3:14: error SB205 `@owl` is not declared"


def test_check_walks_folders_in_sorted_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "b/z.story", BROKEN)
    write(tmp_path, "a.story", BROKEN)
    write(tmp_path, "b/notes.txt", "not a storyboard")
    assert main(["check", "--format", "concise", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == [str(tmp_path / "a.story"), str(tmp_path / "b/z.story")]
    assert lines[-1] == "2 files checked: 2 errors, 0 warnings"


def test_warnings_pass_unless_denied(tmp_path: Path) -> None:
    path = write(tmp_path, "a.story", CLEAN + "cast owl: an owl\n")
    assert main(["check", str(path)]) == 0
    assert main(["check", "--deny-warnings", str(path)]) == 1


def test_check_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BROKEN.encode())))
    assert main(["check", "--format", "concise", "-"]) == 1
    assert capsys.readouterr().out.startswith("<stdin>:3:14: error SB205")


@pytest.mark.parametrize("argv", [["check"], ["check", "/no/such/file.story"], ["frobnicate"], ["check", "--format", "xml", "x"], []])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--help"]) == 0
    assert "--format" in capsys.readouterr().out


def test_fmt_rewrites_and_check_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy = "model   wan2.7-t2v\ncast fox：a fox\nclip a 3s\n    shot 3s wide\n        @fox runs   # fast\n"
    path = write(tmp_path, "a.story", messy)
    assert main(["fmt", "--check", str(path)]) == 1
    assert capsys.readouterr().out == f"would reformat {path}\n"
    assert path.read_text(encoding="utf-8") == messy
    assert main(["fmt", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == (
        "model wan2.7-t2v\ncast fox: a fox\n\nclip a 3s\n  shot 3s wide\n    @fox runs  # fast\n"
    )
    assert main(["fmt", "--check", str(path)]) == 0


def test_fmt_refuses_broken_files_and_keeps_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.story", "clip a 15\n")
    assert main(["fmt", str(path)]) == 1
    assert path.read_text(encoding="utf-8") == "clip a 15\n"
    assert "SB101" in capsys.readouterr().err


def test_fmt_stdin_to_stdout(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"clip a  3s\n   Text\n")))
    assert main(["fmt", "-"]) == 0
    assert capsys.readouterr().out == "clip a 3s\n  Text\n"


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "sb205"]) == 0
    assert capsys.readouterr().out.startswith("SB205 undeclared-name (error)")
    assert main(["explain", "SB999"]) == 2


def test_installed_script_runs() -> None:
    story = shutil.which("story", path=os.path.dirname(sys.executable)) or shutil.which("story")
    assert story, "the `story` console script is not installed"
    result = subprocess.run([story, "check", str(ROOT / "storyboards")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("checked: no problems\n")


def test_check_imports_only_what_it_uses(tmp_path: Path) -> None:
    path = write(tmp_path, "a.story", CLEAN)
    probe = (
        "import sys\nfrom storyc.cli import main\n"
        f"status = main(['check', {str(path)!r}])\n"
        "print(','.join(sorted(m for m in sys.modules)))\nsys.exit(status)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.strip().splitlines()[-1].split(","))
    heavy = {"lark", "jinja2", "httpx", "jsonschema", "yaml", "dataclasses", "pathlib", "inspect", "asyncio",
             "starlette", "uvicorn", "PIL", "mutagen", "shutil"}
    assert loaded & heavy == set()
    # what issue 24 took out of its start: argparse (with gettext and locale) for a plain command line,
    # json (the data tables load from their marshal copies), the request bodies' emitter (no prompt
    # here can be too long), and hashlib's OpenSSL
    gone = {"argparse", "gettext", "locale", "json", "storyc.compile.emit", "storyc.compile.templating",
            "hashlib", "_hashlib", "unicodedata"}
    assert loaded & gone == set()


@pytest.mark.parametrize("argv", [
    ["a.story"], ["a.story", "b", "-"], ["--fix", "a.story"], ["a.story", "--deny-warnings", "--fix", "--fix"],
    [""], ["--format", "json", "a.story"], ["--format=json", "a.story"], ["--fi", "a.story"], ["--", "-a.story"],
    ["-x", "a.story"], ["--deny-warnings"], [], ["-h"], ["--profiles", "p", "a.story"], ["a b", "-1"],
])
def test_check_without_argparse_parses_as_argparse(argv: list[str]) -> None:
    """`Command.quick` gives exactly the options argparse would, or leaves the command line to argparse."""
    from storyc.cli import _command, _command_parser

    quick = _command("check").quick
    assert quick is not None
    options = quick(argv)
    if options is None:
        return
    assert vars(options) == vars(_command_parser("check").parse_args(argv))


@pytest.mark.parametrize("argv", [
    ["a.story"], ["--offline", "a.story", "b"], ["--json", "--yes", "--resubmit-expired", "--offline", "a.story"],
    ["--budget", "3", "a.story"], ["-o", "out", "a.story"], ["--takes", "2", "a.story"], ["--offline"],
    ["--off", "a.story"], ["-", "--json"],
])
def test_render_without_argparse_parses_as_argparse(argv: list[str]) -> None:
    from storyc.cli import _command, _command_parser

    quick = _command("render").quick
    assert quick is not None
    options = quick(argv)
    if options is None:
        assert argv not in (["a.story"], ["--offline", "a.story", "b"])  # the common lines take the quick path
        return
    assert vars(options) == vars(_command_parser("render").parse_args(argv))


def test_the_common_command_lines_skip_argparse() -> None:
    from storyc.cli import _command

    for name, argv in (("check", ["a.story", "--fix"]), ("render", ["--offline", "--json", "a.story"])):
        quick = _command(name).quick
        assert quick is not None and quick(argv) is not None


@pytest.mark.parametrize("command", ["plan", "compile"])
def test_plan_and_compile_import_no_client(tmp_path: Path, command: str) -> None:
    """`plan` reads the render journal to mark clips cached: that must not pull in the HTTP client."""
    path = write(tmp_path, "a.story", CLEAN)
    argv = [command, str(path), *(["-o", str(tmp_path / "out")] if command == "compile" else ["--json"])]
    probe = (
        "import sys\nfrom storyc.cli import main\n"
        f"status = main({argv!r})\n"
        "print(','.join(sorted(m for m in sys.modules)))\nsys.exit(status)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    loaded = {name.split(".")[0] for name in result.stdout.strip().splitlines()[-1].split(",")}
    heavy = {"httpx", "rich", "asyncio", "jinja2", "jsonschema", "tarfile", "starlette", "uvicorn", "av"}
    assert loaded & heavy == set()


def test_help_imports_no_command_and_no_shutil() -> None:
    """argparse's own formatter imports shutil (and zlib, bz2, lzma) to learn the terminal's width."""
    probe = "import sys\nfrom storyc.cli import main\nstatus = main(['--help'])\nprint(','.join(sorted(sys.modules)))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: story")
    loaded = set(result.stdout.strip().splitlines()[-1].split(","))
    heavy = {"shutil", "zlib", "bz2", "lzma", "asyncio", "httpx", "rich", "starlette", "storyc.language.parse",
             "storyc.emulator"}
    assert loaded & heavy == set()


TWINS = "model wan2.7-t2v\ncast fox: a fox\n\nclip a 3s\n  shot 3s wide\n    @fox runs\n\n" \
        "clip b 3s\n  shot 3s wide\n    @fox runs\n"
SENDING = {"httpx", "asyncio", "rich", "starlette", "uvicorn", "anyio"}


def render_in_subprocess(path: Path) -> tuple[int, dict[str, object], set[str]]:
    """`story render --offline --json` in a fresh interpreter: exit code, summary, top-level modules loaded."""
    probe = (
        "import sys\nfrom storyc.cli import main\n"
        f"status = main(['render', '--offline', '--json', {str(path)!r}])\n"
        "print(','.join(sorted(m for m in sys.modules)))\nsys.exit(status)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=path.parent)
    *summary, modules = result.stdout.strip().splitlines()
    return result.returncode, json.loads("\n".join(summary)), {name.split(".")[0] for name in modules.split(",")}


def test_a_cached_render_imports_neither_client_nor_asyncio_nor_rich(tmp_path: Path) -> None:
    path = write(tmp_path, "a.story", TWINS)
    assert main(["render", "--offline", str(path)]) == 0
    video = tmp_path / "renders" / "a" / "b.mp4"
    made = video.read_bytes()
    lock = path.with_suffix(".lock").read_text(encoding="utf-8")
    video.unlink()  # b's request is a's: its file is copied back from a's, nothing is sent
    (video.parent / ".storyc-part-a-x.mp4").write_bytes(b"half")  # what a killed download leaves
    status, summary, loaded = render_in_subprocess(path)
    assert status == 0
    assert loaded & SENDING == set()
    assert [clip["outcome"] for clip in summary["clips"]] == ["cached", "cached"]  # type: ignore[index]
    assert summary["requests"] == dict.fromkeys(  # type: ignore[comparison-overlap]
        ("creates", "queries", "lists", "throttled", "retries", "downloads", "uploads"), 0)
    assert video.read_bytes() == made
    assert sorted(p.name for p in video.parent.iterdir()) == ["a.mp4", "b.mp4"]
    assert path.with_suffix(".lock").read_text(encoding="utf-8") == lock


def test_a_cached_render_writes_nothing_to_the_journal(tmp_path: Path) -> None:
    """No write means nothing to checkpoint when the journal closes: no fsync in a cached run (under load
    the fsyncs were most of what a cached render cost beyond `story check`)."""
    path = write(tmp_path, "a.story", CLEAN)
    assert main(["render", "--offline", str(path)]) == 0
    journal = tmp_path / ".story" / "offline.sqlite"
    before = journal.read_bytes()
    status, summary, loaded = render_in_subprocess(path)
    assert status == 0
    assert [clip["outcome"] for clip in summary["clips"]] == ["cached"]  # type: ignore[index]
    assert journal.read_bytes() == before  # not even the file change counter moved
    assert not (tmp_path / ".story" / "offline.sqlite-wal").exists()
    assert loaded & {"argparse", "hashlib", "_hashlib", "unicodedata"} == set()


def test_a_render_whose_video_changed_is_not_taken_for_cached(tmp_path: Path) -> None:
    path = write(tmp_path, "a.story", CLEAN)
    assert main(["render", "--offline", str(path)]) == 0
    video = tmp_path / "renders" / "a" / "a.mp4"
    made = video.read_bytes()
    video.write_bytes(made[:-1] + bytes([made[-1] ^ 1]))
    status, summary, loaded = render_in_subprocess(path)
    assert status == 0
    assert [clip["outcome"] for clip in summary["clips"]] == ["rendered"]  # type: ignore[index]
    assert "asyncio" in loaded  # the render loop ran
    assert video.read_bytes() != made[:-1] + bytes([made[-1] ^ 1])


def test_check_fix_applies_safe_fixes_and_only_suggests_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ("model wan2.7-t2v-2026-04-2\r\ncast antelope: an antelope  # keep me\r\n"
            "clip a 6\r\n  shot 3s trakcing: @antlope runs\r\n  shot 3s wide: 羚羊\r\n")
    path = write(tmp_path, "a.story", "")
    path.write_bytes(text.encode())
    assert main(["check", "--fix", "--format", "json", str(path)]) == 1
    left = json.loads(capsys.readouterr().out)
    # The closest model and the closest name are another model and maybe another character: offered only.
    assert [(r["code"], r["fix"] and r["fix"]["applicability"]) for r in left] == [
        ("SB315", "maybe-incorrect"), ("SB206", None), ("SB205", "maybe-incorrect"),
    ]
    assert path.read_bytes().decode() == (
        "model wan2.7-t2v-2026-04-2\r\ncast antelope: an antelope  # keep me\r\n"
        "clip a 6s\r\n  shot 3s tracking: @antlope runs\r\n  shot 3s wide: 羚羊\r\n"
    )


def test_json_carries_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "a.story", "clip a 15\n  One\n")
    main(["check", "--format", "json", str(path)])
    [record] = json.loads(capsys.readouterr().out)
    assert record["fix"] == {"line": 1, "column": 8, "end_line": 1, "end_column": 10, "replacement": "15s",
                             "applicability": "machine-applicable"}
