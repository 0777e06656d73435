"""`story check`: parse and validate storyboards, print diagnostics, optionally apply fixes."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Sequence, Union

from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Command,
    Options,
    catalog,
    plural,
    profiles_option,
    quick_options,
    read_stdin,
    storyboard_files,
    write_atomically,
)

if TYPE_CHECKING:
    import argparse

    from ..base.diagnostics import Diagnostic
    from ..base.source import Source
    from ..language.load import Program
    from ..models.profile import Catalog


def define(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="+", metavar="PATH", help="files or folders; `-` reads standard input")
    check.add_argument("--format", choices=("full", "concise", "json", "github"), default="full",
                       help="full: compiler-style with source excerpts (default); concise: one line "
                       "each; json: an array of objects for editors and scripts; github: GitHub "
                       "Actions annotations")
    check.add_argument("--deny-warnings", action="store_true", help="exit 1 on warnings too")
    check.add_argument("--fix", action="store_true",
                       help="apply the fixes that are certainly right (a missing `s`, a misspelt framing "
                       "or label) to the files, then report what is left; suggestions such as the "
                       "closest name or model are shown, never applied")
    check.add_argument("--stdin-filename", default="<stdin>", metavar="NAME",
                       help="the path to report (and resolve includes from) when reading `-`")
    profiles_option(check)
    check.set_defaults(run=run)


def quick(arguments: Sequence[str]) -> Union[Options, None]:
    """`story check PATH... [--fix] [--deny-warnings]` without argparse (see `Command.quick`)."""
    return quick_options(arguments, ("--deny-warnings", "--fix"), format="full", stdin_filename="<stdin>",
                         profiles=None, run=run, command="check")


COMMANDS = {"check": Command(
    "report syntax errors and problems in storyboards",
    "Parse and validate storyboards against the model's limits; folders are searched for *.story "
    "files. Exit code 0 when there are no errors (warnings allowed), 1 when there are, 2 on bad usage.",
    define,
    quick,
)}


def run(options: argparse.Namespace) -> int:
    from ..base.diagnostics import has_errors, report
    from ..compile.diagnose import diagnose
    from ..language.load import load

    files = storyboard_files(options.paths)
    profiles = catalog(options)
    diagnostics = []
    sources = {}
    for path in files:
        program = load(options.stdin_filename, read_stdin()) if path == "-" else load(path)
        found = diagnose(program, profiles)
        if options.fix and path != "-":
            program, found = _fix(path, program, found, profiles)
        diagnostics.extend(found)
        sources.update(program.sources)
    sys.stdout.write(report(diagnostics, sources, options.format))
    errors = sum(1 for d in diagnostics if d.level == "error")
    warnings = len(diagnostics) - errors
    if options.format != "json":
        sys.stdout.write(summary(len(files), errors, warnings))
    if has_errors(diagnostics) or (options.deny_warnings and warnings):
        return EXIT_PROBLEMS
    return EXIT_OK


def _fix(path: str, program: Program, found: list[Diagnostic], profiles: Catalog) -> tuple[Program, list[Diagnostic]]:
    """Apply machine-applicable fixes, round after round (a fix may uncover the next problem).

    Syntax fixes go first and alone, so that the other fixes see the whole file. A syntax fix can
    make readable a clip whose other errors then count, so rounds are judged together: the files
    are left as they were after the last round with no more errors than at the start, and never
    with more.
    """
    from ..compile.diagnose import diagnose
    from ..language.load import load

    start = _errors(found)
    originals: dict[str, str] = {}
    accepted: dict[str, str] = {}
    best = (program, found)
    for _ in range(5):
        safe = [d for d in found if d.fix is not None and d.fix.safe]
        syntax = [d for d in safe if d.code.startswith("SB1")]
        fixed = _fix_files(syntax or safe, found, program.sources)
        if not fixed:
            break
        for fixed_path, text in fixed.items():
            originals.setdefault(fixed_path, text)
        program = load(path)
        found = diagnose(program, profiles)
        if _errors(found) <= start:
            accepted = {changed: program.sources[changed].text for changed in originals if changed in program.sources}
            best = (program, found)
    if _errors(found) > start:  # --fix never leaves more errors than it found
        for changed, text in originals.items():
            write_atomically(changed, accepted.get(changed, text))
        print(f"{path}: fixes undone: they would leave {plural(_errors(found), 'error')} where there "
              f"{'was' if start == 1 else 'were'} {start}; make the changes by hand", file=sys.stderr)
        return best
    return program, found


def _errors(diagnostics: list[Diagnostic]) -> int:
    return sum(1 for d in diagnostics if d.level == "error")


def _fix_files(chosen: list[Diagnostic], diagnostics: list[Diagnostic], sources: dict[str, Source]) -> dict[str, str]:
    """Apply the chosen diagnostics' fixes to their files; return each changed file's previous text.

    Files that did not decode cleanly are left alone.
    """
    from ..base.diagnostics import apply_fixes
    from ..base.source import visible

    changed: dict[str, str] = {}
    for path, source in sources.items():
        if any(d.code == "SB100" and d.path == path for d in diagnostics):
            continue
        text, count = apply_fixes(source.text, [d.fix for d in chosen if d.path == path and d.fix and d.fix.safe])
        if count:
            write_atomically(path, text)
            print(f"{visible(path)}: applied {plural(count, 'fix', 'es')}", file=sys.stderr)
            changed[path] = source.text
    return changed


def summary(files: int, errors: int, warnings: int) -> str:
    checked = plural(files, "file")
    if not errors and not warnings:
        return f"{checked} checked: no problems\n"
    return f"{checked} checked: {plural(errors, 'error')}, {plural(warnings, 'warning')}\n"
