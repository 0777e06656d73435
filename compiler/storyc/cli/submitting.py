"""What `story render`, `story status` and `story cancel` share: their command line, the storyboards
compiled with the region each resolves to, the key and service root, and the jobs prepared from them."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from .common import UsageError, profiles_option

if TYPE_CHECKING:
    import argparse

    from ..compile.emit import Compiled
    from ..compile.plan import Plan
    from ..submit.jobs import Prepared


def command_line(parser: argparse.ArgumentParser, network: bool = True) -> None:
    """The storyboards and options every command that talks to the service takes (`network`: its root)."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="storyboard files or folders")
    parser.add_argument("--region", metavar="REGION",
                        help="the service region when the storyboard sets none (else $DASHSCOPE_REGION, else singapore)")
    parser.add_argument("--offline", action="store_true",
                        help="use the built-in emulator (the default when DASHSCOPE_API_KEY is not set)")
    if network:
        parser.add_argument("--base-url", metavar="URL",
                            help="the service root, e.g. http://127.0.0.1:8000 (also $DASHSCOPE_BASE_URL)")
    parser.add_argument("--json", action="store_true", help="print a machine-readable summary")
    profiles_option(parser)


def compile_storyboards(options: argparse.Namespace) -> list[tuple[str, Plan, Compiled, str]]:
    """Check and compile each storyboard (as `story compile` does), with the region each resolves to.

    Each result is (path, plan, compiled, region): the region the plan priced, which clips may override.
    """
    from ..models.regions import RegionError, resolve_region
    from .compile import compile_storyboards as check_and_compile

    region_option = getattr(options, "region", None)
    try:
        return [(path, planned, compiled, resolve_region(compiled.region, region_option, os.environ))
                for path, planned, compiled in check_and_compile(options)]
    except RegionError as error:
        raise UsageError(str(error)) from None


def connection(options: argparse.Namespace) -> tuple[bool, str | None, str | None]:
    """(offline, key, base URL). No key means offline, with a one-line notice."""
    key = os.environ.get("DASHSCOPE_API_KEY", "").strip() or None
    offline = bool(options.offline) or key is None
    if key is None and not options.offline:
        print(f"story {options.command}: DASHSCOPE_API_KEY is not set: using the built-in emulator (offline); "
              "nothing is paid", file=sys.stderr)
    base = getattr(options, "base_url", None) or os.environ.get("DASHSCOPE_BASE_URL") or None
    if base:
        from ..models.regions import RegionError, normalise_base_url

        try:
            normalise_base_url(base)
        except RegionError as error:
            raise UsageError(str(error)) from None
    return offline, (None if offline else key), base


def prepared_jobs(options: argparse.Namespace, offline: bool, create: bool = True, record: bool = True) -> Prepared:
    from ..submit.jobs import OutputError, prepare
    from ..submit.journal import JournalError
    from ..submit.lock import LockError
    from ..submit.upload import SoundtrackMissing

    compiled = compile_storyboards(options)
    try:
        prepared = prepare(compiled, getattr(options, "output", None), create_journal=create, offline=offline,
                           record=record, takes=getattr(options, "takes", None))
    except (SoundtrackMissing, JournalError, OutputError, LockError) as error:
        raise UsageError(str(error)) from None
    for journal in prepared.journals:
        if journal.notice:
            print(f"story {options.command}: {journal.notice}", file=sys.stderr)
    return prepared


def shown_path(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith(".." + os.sep + "..") else relative


def takes_count(text: str) -> int:
    """`--takes N`: a whole number in the range the `takes` setting allows."""
    import argparse

    from ..compile.takes import takes_range

    low, high = takes_range()
    if not text.isdigit() or not low <= int(text) <= high:
        raise argparse.ArgumentTypeError(f"`{text}` is not a number of takes from {low} to {high}")
    return int(text)
