"""`story watch`: check storyboards again whenever a `.story` file under the paths is saved."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING, TextIO

from .common import EXIT_OK, Command, catalog, profiles_option, storyboard_files

if TYPE_CHECKING:
    from ..models.profile import Catalog

CLEAR = "\x1b[2J\x1b[H"


def define(watch: argparse.ArgumentParser) -> None:
    watch.add_argument("paths", nargs="+", metavar="PATH", help="storyboard files or folders to watch")
    watch.add_argument("--no-clear", action="store_true", help="do not clear the screen before each run")
    profiles_option(watch)
    watch.set_defaults(run=run)


COMMANDS = {"watch": Command(
    "check storyboards again on every save, showing diagnostics and the plan",
    "Run `story check` on the files, then again whenever a .story file under the paths changes "
    "(includes too); when a file is clean, show its plan. The screen is cleared before each run "
    "on a terminal. Stop with Ctrl-C.",
    define,
)}


def run(options: argparse.Namespace) -> int:
    from watchfiles import watch

    storyboard_files(options.paths)  # a missing path is a usage error before anything is watched
    profiles = catalog(options)
    out = sys.stdout
    clear = out.isatty() and not options.no_clear
    roots = sorted({path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
                    for path in options.paths})
    check_once(options.paths, profiles, out, clear)
    try:
        for _ in watch(*roots, watch_filter=lambda _change, path: path.endswith(".story"),
                       debounce=200, step=50, rust_timeout=0, yield_on_timeout=False):
            check_once(options.paths, profiles, out, clear)
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def check_once(paths: list[str], profiles: Catalog, out: TextIO, clear: bool) -> None:
    """One run: every file's diagnostics (as `story check` prints them), then the plan of clean files."""
    from ..base.diagnostics import has_errors, report
    from ..compile.diagnose import checked_plan
    from ..compile.emit import prompt_diagnostics
    from ..compile.estimate import plan_rows, plan_text
    from ..language.load import load
    from .check import summary

    chunks = [CLEAR] if clear else []
    chunks.append(f"story watch: {time.strftime('%H:%M:%S')}\n\n")
    try:
        files = storyboard_files(paths)
    except Exception as error:  # noqa: BLE001 - a deleted file between two saves is shown, not fatal
        out.write("".join([*chunks, f"{error}\n"]))
        out.flush()
        return
    errors = warnings = 0
    tables = []
    for path in files:
        program = load(path)
        found, planned = checked_plan(program, profiles)
        if planned is not None:
            found.extend(prompt_diagnostics(planned))
        chunks.append(report(found, program.sources, "full"))
        file_errors = sum(1 for d in found if d.level == "error")
        errors += file_errors
        warnings += len(found) - file_errors
        if planned is not None and planned.clips and not has_errors(found):  # not for a file of declarations
            tables.append((path, plan_rows(planned)))
    chunks.append(summary(len(files), errors, warnings))
    if tables:
        chunks.append("\n" + plan_text(tables))
    out.write("".join(chunks))
    out.flush()
