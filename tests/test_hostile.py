"""A repository written by someone else: nothing hangs, nothing escapes the project, nothing passes
that should fail.

Every command runs in a child process held to 10 s and 1 GB (`resource.setrlimit`), so a
regression fails the test instead of hanging or exhausting the machine. Where permissions matter
the child drops to an unprivileged user (uid 65534) when the suite runs as root, after importing
what it needs (the interpreter may live in a folder that user cannot read), so the tests run, and
pass, the same way in CI as root and on a laptop.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Iterator, NamedTuple

import pytest

import storyc
from storyc.cli import main

COMPILER = str(Path(storyc.__file__).resolve().parent.parent)
NOBODY = 65534
TIMEOUT = 10
MEMORY = 1024 * 1024 * 1024
SECRET = "TOP-SECRET-OUTSIDE-7d1f"  # written only outside the project: must never be printed
ESCAPE = "\x1b]0;PWNED\x07"

# The child: limits first, then every module storyc may import (a warm-up run loads the lazy
# ones), then drop privileges, then the command.
CHILD = textwrap.dedent("""
    import contextlib, importlib, io, os, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
    resource.setrlimit(resource.RLIMIT_CPU, ({timeout}, {timeout}))
    sys.path.insert(0, {compiler!r})
    for name in ("difflib", "tempfile", "shutil", "unicodedata", "urllib.parse", "jinja2", "jinja2.sandbox",
                 "jinja2.ext", "jsonschema", "mutagen", "yaml", "storyc.cli", "storyc.compile.sandbox", "storyc.compile.emit",
                 "storyc.compile.estimate", "storyc.compile.diagnose", "storyc.language.fmt", "storyc.compile.curl", "storyc.models.profile"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    from storyc.cli import COMMANDS, main
    for command in COMMANDS:
        importlib.import_module("storyc.cli." + COMMANDS[command])
    if {drop!r}:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main(["compile", "--json", {warm!r}])
            main(["plan", {warm!r}])
        os.setgroups([])
        os.setgid({nobody})
        os.setuid({nobody})
    os.chdir({cwd!r})
    sys.exit(main({argv!r}))
""")


class Run(NamedTuple):
    status: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


@pytest.fixture(scope="module")
def warm() -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix="storyc-warm-")
    path = os.path.join(folder, "warm.story")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("cast fox: a fox\nclip a 5s\n  shot 5s wide\n    @fox runs\n")
    os.chmod(folder, 0o755)
    yield path
    shutil.rmtree(folder)


def story(warm: str, cwd: Path, *argv: str, unprivileged: bool = False) -> Run:
    """`python -m storyc ARGV` in `cwd`, within 10 s and 1 GB, as uid 65534 when asked and root."""
    drop = unprivileged and os.geteuid() == 0
    script = CHILD.format(memory=MEMORY, timeout=TIMEOUT, compiler=COMPILER, warm=warm, drop=drop,
                          nobody=NOBODY, cwd=str(cwd), argv=list(argv))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=TIMEOUT,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "STORYC_DEBUG": ""})
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


@pytest.fixture
def place(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A world-readable folder holding `outside/` (secrets) and `repo/` (the cloned repository)."""
    base = Path(tempfile.mkdtemp(prefix="storyc-hostile-"))
    os.chmod(base, 0o755)
    (base / "outside").mkdir()
    (base / "outside" / "secret.story").write_text(f"cast spy: {SECRET}\n", encoding="utf-8")
    (base / "outside" / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    (base / "outside" / "templates").mkdir()
    (base / "outside" / "templates" / "prompt-en.j2").write_text(f"{SECRET} {{{{ clip.name }}}}\n", encoding="utf-8")
    (base / "repo").mkdir()
    yield base
    for folder, subfolders, _ in os.walk(base):
        for name in subfolders:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755)
    shutil.rmtree(base)


def give_away(base: Path) -> None:
    """Hand the repository to the unprivileged user, as a clone of theirs would be."""
    if os.geteuid() != 0:
        return
    for folder, subfolders, files in os.walk(base / "repo"):
        for name in [*subfolders, *files]:
            os.lchown(os.path.join(folder, name), NOBODY, NOBODY)
    os.lchown(base / "repo", NOBODY, NOBODY)


CLEAN = "language en\ncast fox: a red fox\n\nclip a 5s\n  shot 5s wide\n    @fox runs\n"


def project(root: Path, name: str, template: str) -> Path:
    """A project of its own (`story.toml`) whose English prompt template is `template`."""
    folder = root / name
    (folder / "templates").mkdir(parents=True)
    (folder / "story.toml").write_text("", encoding="utf-8")
    (folder / "templates" / "prompt-en.j2").write_text(template, encoding="utf-8")
    (folder / "main.story").write_text(CLEAN + "clip b 5s\n  A hare waits\n", encoding="utf-8")
    return folder


BOMBS = {
    "huge-range": ("{% for i in range(10**9) %}{% endfor %}", "100,000"),
    "nested-loops": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "2s"),
    "recursive-macro": ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "64 levels"),
    "self-include": ('{% include "prompt-en.j2" %}', "recursed"),
    "string-times": ("{{ 'x' * 10**10 }}", "1,000,000"),
    "list-doubling": ("{% set l = [1] %}{% for i in range(64) %}{% do l.extend(l) %}{% endfor %}", "100,000"),
    "lipsum": ("{{ lipsum(10**7) }}", "lipsum"),
    "center": ("{{ 'x'|center(10**9) }}", "100,000"),
    "percent-width": ("{{ '%*s' % (10**9, 'x') }}", "100,000"),
    "format-width": ("{{ '{:>1000000000}'.format('x') }}", "100,000"),
    "power": ("{{ 2 ** (10 ** 9) }}", "exponent"),
    "namespace-doubling": ("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
                           "{% endfor %}", "1,000,000"),
}


def test_template_bombs_are_diagnostics(place: Path, warm: str) -> None:
    for name, (template, _) in BOMBS.items():
        project(place / "repo", name, template)
    run = story(warm, place / "repo", "check", "--format", "concise", ".")  # one process for all: fast
    assert run.status == 1, run.output
    assert "internal error" not in run.output and "Traceback" not in run.output
    for name, (_, limit) in BOMBS.items():
        lines = [line for line in run.out.splitlines() if line.startswith(f"./{name}/main.story:")]
        assert len(lines) == 2, (name, run.output)  # one per clip; the second fails at once
        assert all("SB501" in line and "`prompt-en.j2`" in line and limit in line for line in lines), lines


def test_compile_plan_never_raises(tmp_path: Path) -> None:
    from storyc.compile.emit import compile_plan
    from storyc.compile.plan import plan
    from storyc.language.load import load

    folder = project(tmp_path, "p", "{{ 1 // 0 }}{{ clip.name }}")
    planned = plan(load(str(folder / "main.story")))
    assert planned is not None
    compiled = compile_plan(planned)
    assert [d.code for d in compiled.diagnostics] == ["SB501", "SB501"]
    assert "ZeroDivisionError" in compiled.diagnostics[0].message


def test_a_project_template_within_the_limits_still_renders(tmp_path: Path) -> None:
    from storyc.compile.emit import compile_plan
    from storyc.compile.plan import plan
    from storyc.language.load import load

    template = ("{% set parts = [] %}{% for line in clip.lines %}{% do parts.append(line) %}{% endfor %}"
                "{{ '%s: %s' % (clip.name, parts | join(' ')) }}{{ ' ({} shots)'.format(clip.shots | length) }}")
    folder = project(tmp_path, "p", template)
    planned = plan(load(str(folder / "main.story")))
    assert planned is not None
    compiled = compile_plan(planned)
    assert not compiled.diagnostics
    first, second = (clip.prompt for clip in compiled.clips)
    assert first == "a:  (1 shots)"
    assert second.startswith("b: A hare waits") and second.endswith(" (0 shots)")


def test_template_symlinked_out_of_the_project_is_refused(place: Path, warm: str) -> None:
    folder = project(place / "repo", "p", "unused")
    (folder / "templates" / "prompt-en.j2").unlink()
    (folder / "templates" / "prompt-en.j2").symlink_to(place / "outside" / "templates" / "prompt-en.j2")
    run = story(warm, folder, "compile", "--json", "main.story")
    assert run.status == 1
    assert "leads outside the project" in run.err and str(place / "outside") in run.err
    assert SECRET not in run.output


def test_templates_folder_symlinked_out_of_the_project_is_refused(place: Path, warm: str) -> None:
    folder = project(place / "repo", "p", "unused")
    shutil.rmtree(folder / "templates")
    (folder / "templates").symlink_to(place / "outside" / "templates")
    run = story(warm, folder, "compile", "--json", "main.story")
    assert run.status == 1 and "SB501" in run.err
    assert SECRET not in run.output


def test_unreadable_subfolder_is_an_error_for_an_unprivileged_user(place: Path, warm: str) -> None:
    repo = place / "repo"
    (repo / "ok.story").write_text(CLEAN, encoding="utf-8")
    (repo / "locked").mkdir()
    (repo / "locked" / "hidden.story").write_text("clip broken\n", encoding="utf-8")
    give_away(place)
    os.chmod(repo / "locked", 0)
    for argv in (["check", "."], ["fmt", "--check", "."]):
        run = story(warm, repo, *argv, unprivileged=True)
        assert run.status == 1, (argv, run.output)
        assert "locked" in run.output and "permission denied" in run.output, run.output
        assert "no problems" not in run.output


def test_unreadable_file_is_an_error_for_an_unprivileged_user(place: Path, warm: str) -> None:
    repo = place / "repo"
    (repo / "secret.story").write_text(CLEAN, encoding="utf-8")
    give_away(place)
    os.chmod(repo / "secret.story", 0)
    run = story(warm, repo, "check", ".", unprivileged=True)
    assert run.status == 1 and "SB104" in run.out and "permission denied" in run.out, run.output


def test_fifo_in_a_folder_is_skipped_with_a_warning(place: Path, warm: str) -> None:
    repo = place / "repo"
    (repo / "ok.story").write_text(CLEAN, encoding="utf-8")
    os.mkfifo(repo / "pipe.story")
    for argv in (["check", "."], ["fmt", "--check", "."]):
        run = story(warm, repo, *argv)
        assert run.status == 0, (argv, run.output)
        assert "warning" in run.err and "pipe.story" in run.err and "FIFO" in run.err


def test_fifo_include_is_refused(place: Path, warm: str) -> None:
    repo = place / "repo"
    os.mkfifo(repo / "pipe.story")
    (repo / "main.story").write_text('include "pipe.story"\n' + CLEAN, encoding="utf-8")
    run = story(warm, repo, "check", "main.story")
    assert run.status == 1 and "SB104" in run.out and "FIFO" in run.out


def test_dev_zero_is_refused_cleanly(place: Path, warm: str) -> None:
    run = story(warm, place / "repo", "check", "/dev/zero")
    assert run.status == 1 and "SB104" in run.out and "64 MB" in run.out, run.output


def test_control_characters_are_shown_visibly(place: Path, warm: str) -> None:
    repo = place / "repo"
    (repo / f"title{ESCAPE}.story").write_text(f"clip a 5s\n  {ESCAPE} A fox @nobody\n", encoding="utf-8")
    for argv in (["check", "."], ["check", "--format", "concise", "."], ["fmt", "--check", "."], ["plan", "."],
                 ["compile", "."]):
        run = story(warm, repo, *argv)
        assert run.status == 1, (argv, run.output)
        assert "\x1b" not in run.output and "\x07" not in run.output, (argv, run.output)
        assert "␛]0;PWNED␇" in run.output, (argv, run.output)
    run = story(warm, repo, "check", "--format", "json", ".")
    files = {record["file"] for record in json.loads(run.out)}
    assert files == {f"./title{ESCAPE}.story"}  # JSON stays exact


def test_fmt_does_not_write_through_a_planted_temporary_name(place: Path, warm: str) -> None:
    repo = place / "repo"
    (repo / "a.story").write_text("clip a 5s\n    A fox\n", encoding="utf-8")
    os.chmod(repo / "a.story", 0o640)
    victim = place / "outside" / "secret.txt"
    (repo / "a.story.storyc.tmp").symlink_to(victim)
    run = story(warm, repo, "fmt", "a.story")
    assert run.status == 0, run.output
    assert victim.read_text(encoding="utf-8") == f"{SECRET}\n"
    assert not (repo / "a.story").is_symlink()
    assert (repo / "a.story").read_text(encoding="utf-8") == "clip a 5s\n  A fox\n"
    assert stat.S_IMODE((repo / "a.story").stat().st_mode) == 0o640
    assert sorted(p.name for p in repo.iterdir()) == ["a.story", "a.story.storyc.tmp"]


def hostile_repository(base: Path) -> Path:
    """One repository with every attack at once."""
    repo = base / "repo"
    (repo / "story.toml").write_text("", encoding="utf-8")
    (repo / "templates").mkdir()
    (repo / "templates" / "prompt-en.j2").write_text("{{ 'x' * 10**10 }}{{ clip.name }}", encoding="utf-8")
    (repo / "templates" / "prompt-zh.j2").symlink_to(base / "outside" / "templates" / "prompt-en.j2")
    (repo / "bomb.story").write_text(CLEAN, encoding="utf-8")
    (repo / "template-leak.story").write_text("clip a 5s\n  A fox\n", encoding="utf-8")  # prompt-zh.j2
    (repo / "escape.story").write_text(f"clip a 5s\n  {ESCAPE} A fox @ghost\n", encoding="utf-8")
    (repo / "include.story").write_text('include "linked.story"\nclip a 5s\n  @spy runs\n', encoding="utf-8")
    (repo / "linked.story").symlink_to(base / "outside" / "secret.story")
    (repo / "audio.story").write_text(f"clip a 5s\n  soundtrack: {base / 'outside' / 'x.wav'}\n  A fox\n",
                                      encoding="utf-8")
    (repo / "elsewhere").symlink_to(base / "outside")
    os.mkfifo(repo / "a-pipe.story")  # first in the walk: reading it would hang every command
    (repo / "locked").mkdir()
    (repo / "locked" / "hidden.story").write_text(CLEAN, encoding="utf-8")
    give_away(base)
    os.chmod(repo / "locked", 0)
    return repo


@pytest.mark.parametrize("argv", [["check", "."], ["fmt", "--check", "."], ["compile", "."], ["plan", "."]],
                         ids=["check", "fmt-check", "compile", "plan"])
def test_hostile_repository(argv: list[str], place: Path, warm: str) -> None:
    repo = hostile_repository(place)
    run = story(warm, repo, *argv, unprivileged=True)
    assert run.status == 1, run.output
    assert "error" in run.output and "Traceback" not in run.output and "internal error" not in run.output
    assert SECRET not in run.output
    assert "\x1b" not in run.output and "\x07" not in run.output
    if argv[0] != "plan":  # plan stops at the first storyboard with errors
        assert "locked" in run.output  # the unreadable folder is named, not skipped
    if argv[0] == "check":
        for code in ("SB104", "SB203", "SB413", "SB103"):
            assert code in run.out, (code, run.output)


def test_control_characters_in_the_names_of_clean_files(place: Path, warm: str) -> None:
    repo = place / "repo"
    (repo / f"ok{ESCAPE}.story").write_text("clip a 5s\n    A fox runs\n", encoding="utf-8")
    for argv, status in ((["fmt", "--check", "."], 1), (["compile", "-o", "out", "."], 0), (["check", "."], 0)):
        run = story(warm, repo, *argv)
        assert run.status == status, (argv, run.output)
        assert "\x1b" not in run.output and "\x07" not in run.output, (argv, run.output)
        assert argv[0] == "check" or "ok␛]0;PWNED␇.story" in run.output, (argv, run.output)


def test_a_fifo_among_the_profiles_is_a_usage_error(place: Path, warm: str) -> None:
    repo = place / "repo"
    (repo / "a.story").write_text(CLEAN, encoding="utf-8")
    (repo / "profiles").mkdir()
    os.mkfifo(repo / "profiles" / "wan-custom.yaml")
    run = story(warm, repo, "check", "--profiles", "profiles", "a.story")
    assert run.status == 2 and "wan-custom.yaml` is a FIFO" in run.err, run.output


def test_a_template_over_one_megabyte_is_refused(tmp_path: Path) -> None:
    from storyc.compile.emit import compile_plan
    from storyc.compile.plan import plan
    from storyc.language.load import load

    folder = project(tmp_path, "p", "{{ clip.name }}" + " " * (1024 * 1024))
    planned = plan(load(str(folder / "main.story")))
    assert planned is not None
    messages = [d.message for d in compile_plan(planned).diagnostics]
    assert len(messages) == 2 and all("larger than 1 MB" in message for message in messages), messages


def test_a_soundtrack_path_with_a_nul_byte_is_a_diagnostic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A NUL byte made os.path.realpath raise inside the confinement check: an internal error."""
    story = tmp_path / "nul.story"
    story.write_bytes(b"clip a 5s\n  soundtrack: a\x00b.wav\n  shot 5s wide\n    x\n")
    assert main(["check", "--format", "concise", str(story)]) == 1
    out = capsys.readouterr()
    assert "SB409" in out.out and "NUL byte" in out.out and "internal error" not in out.err


def test_render_refuses_symlinked_journal_and_videos_folders_and_replaces_a_planted_gitignore(tmp_path: Path) -> None:
    """A repository could ship `.story` or `.story/.gitignore` as a symlink to send storyc's writes elsewhere."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    shutil.copy(Path(__file__).resolve().parent.parent / "storyboards" / "cheetah-chase.story", project)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DASHSCOPE_")}

    def render() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "storyc", "render", "--yes", "cheetah-chase.story"],
                              cwd=project, env=environment, capture_output=True, text=True, timeout=120)

    (project / ".story").symlink_to(elsewhere)
    done = render()
    assert done.returncode == 2 and "is a symlink" in done.stderr and "Traceback" not in done.stderr
    assert list(elsewhere.iterdir()) == []
    (project / ".story").unlink()
    (project / ".story").mkdir()
    (project / ".story" / ".gitignore").symlink_to(elsewhere / "planted")
    done = render()
    assert done.returncode == 0, done.stderr
    assert list(elsewhere.iterdir()) == []
    ignore = project / ".story" / ".gitignore"
    assert not ignore.is_symlink() and ignore.read_text() == "*\n"
    # the videos folder, planted as a symlink out of the project, is refused before anything is sent
    shutil.rmtree(project / "renders")
    (project / "cheetah-chase.story").write_text(
        (project / "cheetah-chase.story").read_text(encoding="utf-8").replace("15s", "15s\n  seed 7", 1), "utf-8")
    (project / "renders").symlink_to(elsewhere)
    done = render()
    assert done.returncode == 2 and "leads outside the storyboard's folder" in done.stderr, done.stderr
    assert list(elsewhere.iterdir()) == []


def test_compile_refuses_a_default_out_folder_planted_as_a_symlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    shutil.copy(Path(__file__).resolve().parent.parent / "storyboards" / "cheetah-chase.story", project)
    (project / "out").symlink_to(elsewhere)
    monkeypatch.chdir(project)
    assert main(["compile", "cheetah-chase.story"]) == 2
    assert "leads outside the current folder" in capsys.readouterr().err
    assert list(elsewhere.iterdir()) == []
    assert main(["compile", "cheetah-chase.story", "-o", str(elsewhere)]) == 0  # a folder the user names is theirs
    assert (elsewhere / "chase.json").is_file()

