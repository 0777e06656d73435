"""What the commands share: exit codes, usage errors, the folder walk, atomic writes, `--profiles`."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence

if TYPE_CHECKING:
    from ..profile import Catalog

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad path, flag or value on the command line: reported in one line, exit code 2."""


class Failed(Exception):
    """Problems were found and reported already; exit 1."""


class Command(NamedTuple):
    """One sub-command: its one-line help, its description, and the function that adds its options.

    `define` also sets `run` (a function of the parsed options returning an exit code) as a default.
    """

    help: str
    description: str
    define: Callable[[argparse.ArgumentParser], None]


def profiles_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profiles", metavar="DIR",
                        help="a folder of extra model profiles (*.yaml) laid over the built-in ones; "
                        "also read from $STORYC_PROFILES")


def catalog(options: argparse.Namespace) -> Catalog:
    from ..profile import ProfileError
    from ..profile import catalog as load_catalog

    try:
        return load_catalog(options.profiles)
    except ProfileError as error:
        raise UsageError(str(error)) from None


def storyboard_files(paths: Sequence[str]) -> list[str]:
    """Expand folders into their *.story files, sorted; a missing path is a usage error."""
    found: list[str] = []
    for path in paths:
        if path == "-":
            found.append(path)
        elif os.path.isdir(path):
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                found.extend(os.path.join(folder, name) for name in sorted(files) if name.endswith(".story"))
        elif os.path.exists(path):
            found.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return found


def read_stdin() -> bytes:
    return sys.stdin.buffer.read()


def write_atomically(path: str, text: str) -> None:
    """Replace the file in one step, so an interrupted write never leaves it half written."""
    temporary = f"{path}.storyc.tmp"
    try:
        with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise UsageError(f"cannot write `{path}`: {(error.strerror or str(error)).lower()}") from None


def plural(n: int, word: str, suffix: str = "s") -> str:
    return f"{n} {word}{'' if n == 1 else suffix}"
