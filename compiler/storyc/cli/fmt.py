"""`story fmt`: rewrite storyboards in canonical layout."""

from __future__ import annotations

import argparse
import sys

from ..base.source import visible
from .common import EXIT_OK, EXIT_PROBLEMS, Command, read_stdin, storyboard_files, write_atomically


def define(fmt: argparse.ArgumentParser) -> None:
    fmt.add_argument("paths", nargs="+", metavar="PATH", help="files or folders; `-` formats standard input to standard output")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 and list the files that would change")
    fmt.set_defaults(run=run)


COMMANDS = {"fmt": Command(
    "rewrite storyboards in canonical layout",
    "Rewrite files in canonical layout, keeping prose and comments byte for byte.",
    define,
)}


def run(options: argparse.Namespace) -> int:
    from ..base.diagnostics import report
    from ..language.fmt import format_text
    from ..language.load import read_storyboard, source_from_bytes
    from ..language.parse import parse

    changed: list[str] = []
    status = EXIT_OK
    for path in storyboard_files(options.paths):
        if path == "-":
            data = read_stdin()
        else:
            read, unreadable = read_storyboard(path)  # bounded, and never through a symlink out of the project
            if read is None:
                sys.stderr.write(report(unreadable, {path: source_from_bytes(path, b"")[0]}, "concise"))
                status = EXIT_PROBLEMS
                continue
            data = read
        source, problems = source_from_bytes("<stdin>" if path == "-" else path, data)
        result = parse(source)
        problems.extend(result.diagnostics)
        if result.storyboard is None or any(d.level == "error" for d in problems):
            sys.stderr.write(report(problems, {source.path: source}, "concise"))
            status = EXIT_PROBLEMS
            if path == "-":
                sys.stdout.buffer.write(data)  # pass the input through untouched
            continue
        formatted = format_text(result)
        if path == "-":
            sys.stdout.write(formatted)
        elif formatted.encode("utf-8") != data:
            changed.append(path)
            if not options.check:
                write_atomically(path, formatted)
    for path in changed:
        print(f"{'would reformat' if options.check else 'reformatted'} {visible(path)}")
    if options.check and changed:
        return EXIT_PROBLEMS
    return status
