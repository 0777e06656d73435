"""What the commands share: exit codes, usage errors, the folder walk, atomic writes, `--profiles`."""

from __future__ import annotations

import os
import stat
import sys
from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence, Union

from ..base.source import visible

if TYPE_CHECKING:
    import argparse

    from ..models.profile import Catalog

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad path, flag or value on the command line: reported in one line, exit code 2."""


class Failed(Exception):
    """Problems were found and reported already; exit 1."""


class Command(NamedTuple):
    """One sub-command: its one-line help, its description, and the function that adds its options.

    `define` also sets `run` (a function of the parsed options returning an exit code) as a default.
    `quick`, when given, parses the command's most common arguments without argparse (importing and
    building argparse is 2-3 ms, a tenth of `story check`): it returns the options argparse would
    (`tests/test_cli.py` compares them), or None for anything else, which argparse then parses.
    """

    help: str
    description: str
    define: Callable[[argparse.ArgumentParser], None]
    quick: Union[Callable[[Sequence[str]], Union[Options, None]], None] = None


class Options:
    """Parsed options, as `argparse.Namespace` holds them (what `Command.quick` returns)."""

    def __init__(self, **values: object) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Options({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"


def quick_options(arguments: Sequence[str], flags: Sequence[str], **values: object) -> Union[Options, None]:
    """For a `Command.quick`: the options of a command line of paths and on/off `flags` alone (the
    others take `values`, their defaults), as argparse parses it; None for anything else (another
    option, `--`, an argument that starts with `-` but is no flag, no path at all)."""
    paths = []
    on = dict.fromkeys(flags, False)
    for argument in arguments:
        if argument in on:
            on[argument] = True
        elif argument == "-" or not argument.startswith("-"):
            paths.append(argument)
        else:
            return None
    if not paths:
        return None  # argparse says what is missing
    return Options(paths=paths, **{flag[2:].replace("-", "_"): value for flag, value in on.items()}, **values)


def profiles_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profiles", metavar="DIR",
                        help="a folder of extra model profiles (*.yaml) laid over the built-in ones; "
                        "also read from $STORYC_PROFILES")


def catalog(options: argparse.Namespace) -> Catalog:
    from ..models.profile import ProfileError
    from ..models.profile import catalog as load_catalog

    given = getattr(options, "profiles", None)
    if given == "":
        raise UsageError("--profiles needs a folder")
    folder = given or os.environ.get("STORYC_PROFILES")
    if folder:
        _check_profile_folder(folder)
    try:
        return load_catalog(given)
    except ProfileError as error:
        raise UsageError(visible(str(error))) from None  # YAML errors quote the file


def _check_profile_folder(folder: str) -> None:
    """Refuse, before YAML reads them, profiles that are FIFOs, devices or over the size cap."""
    from ..base.paths import MAX_FILE_BYTES, kind

    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return  # the profile loader says what is wrong with the folder itself
    for entry in entries:
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        try:
            info = os.stat(entry.path)
        except OSError:
            continue  # a dangling link: the loader reports it when it reads the file
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"profile `{visible(entry.path)}` is {kind(info.st_mode)}, not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise UsageError(f"profile `{visible(entry.path)}` is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")


def storyboard_files(paths: Sequence[str]) -> list[str]:
    """Expand folders into their *.story files, sorted; a missing path is a usage error.

    Nothing in a folder is skipped silently: an unreadable folder, and a symlink whose target lies
    outside the folder given, are listed like files, so that loading them reports the problem as
    an error (exit 1). FIFOs, sockets and devices named *.story are skipped with a warning on
    standard error, since opening one could hang. Symlinked folders are followed only when they
    lead inside the folder given, after every real folder, and each folder is walked once.
    """
    found: list[str] = []
    for path in paths:
        if path == "-":
            found.append(path)
        elif os.path.isdir(path):
            real = os.path.realpath(path)
            walked: set[str] = set()
            linked = [path]  # symlinked folders wait until every real folder has been walked
            while linked:
                folder = linked.pop(0)
                if os.path.realpath(folder) not in walked:
                    _walk(folder, real, walked, found, linked)
        elif os.path.lexists(path):
            found.append(path)
        else:
            raise UsageError(f"no such file or folder: {visible(path)}")
    return found


def _walk(folder: str, real_root: str, walked: set[str], found: list[str], linked: list[str]) -> None:
    from ..base.paths import contains, kind

    walked.add(os.path.realpath(folder))
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        found.append(folder)  # loading it reports why it cannot be read
        return
    files: list[str] = []
    folders: list[str] = []
    for entry in entries:
        if entry.name.startswith(".") and not entry.name.endswith(".story"):
            continue
        try:
            is_link = entry.is_symlink()
            mode = os.stat(entry.path).st_mode if is_link else entry.stat(follow_symlinks=False).st_mode
        except OSError:  # a dangling symlink or a vanished entry: report it when it looks like ours
            if entry.name.endswith(".story"):
                files.append(entry.path)
            continue
        if stat.S_ISDIR(mode):
            if entry.name.startswith("."):
                continue
            if is_link:
                if not contains(real_root, os.path.realpath(entry.path)):
                    files.append(entry.path)  # loading it reports where it leads
                else:
                    linked.append(entry.path)
                continue
            folders.append(entry.path)
        elif entry.name.endswith(".story"):
            if stat.S_ISREG(mode):
                files.append(entry.path)
            else:
                warn(f"skipping {visible(entry.path)}: it is {kind(mode)}, not a regular file")
    found.extend(files)
    for path in folders:
        _walk(path, real_root, walked, found, linked)


def warn(message: str) -> None:
    """A warning on standard error that does not change the exit code."""
    print(f"story: warning: {message}", file=sys.stderr)


def read_stdin() -> bytes:
    """Standard input, at most `paths.MAX_FILE_BYTES` of it: `story check - < /dev/zero` ends at once."""
    from ..base.paths import MAX_FILE_BYTES

    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise UsageError(f"standard input is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, the most storyc reads")
    return data


def write_atomically(path: str, text: str, only_if_changed: bool = False) -> None:
    """Replace the file in one step through a private temporary file (see `storyc.base.paths`);
    with `only_if_changed`, a file that already holds `text` is left as it is."""
    from ..base.paths import write_atomically as write
    from ..base.paths import write_if_changed

    try:
        if only_if_changed:
            write_if_changed(path, text)
        else:
            write(path, text)
    except OSError as error:
        raise UsageError(f"cannot write `{visible(path)}`: {(error.strerror or str(error)).lower()}") from None


def plural(n: int, word: str, suffix: str = "s") -> str:
    return f"{n} {word}{'' if n == 1 else suffix}"
