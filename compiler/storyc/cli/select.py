"""`story select FILE CLIP TAKE`: which take of a clip cut, export, preview and the animatic use."""

from __future__ import annotations

import argparse
import os
import sys

from .common import EXIT_OK, EXIT_PROBLEMS, Command, UsageError


def _take(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"`{text}` is not a take number (1, 2, ...)")
    return int(text)


def define(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="FILE", help="the storyboard; its lock file beside it (film.story: film.lock) is changed")
    parser.add_argument("clip", metavar="CLIP", help="the clip's name, as in `story status` (`chase`, `chase-2`)")
    parser.add_argument("take", metavar="TAKE", type=_take, help="the take to use: 1 is `CLIP.mp4`, "
                        "2 is `CLIP.take2.mp4`, ...")
    parser.set_defaults(run=run)


COMMANDS = {"select": Command(
    "choose which take of a clip cut, export, preview and the animatic use",
    "Record in the storyboard's lock file that CLIP uses take TAKE (see `story status` for the takes "
    "rendered). Nothing is rendered, paid or deleted: every take stays on disk and in the lock file, and "
    "the select is one line of the lock file, so it is reviewed and merged like any other change. "
    "Example: `story select film.story chase 2` makes cut and export use renders/film/chase.take2.mp4.",
    define,
)}


def run(options: argparse.Namespace) -> int:
    from ..submit.lock import LockError, lock_path, read_lock, select_problem, select_take, write_lock

    path = lock_path(options.path)
    if not os.path.isfile(options.path):
        raise UsageError(f"{options.path}: no such storyboard")
    try:
        lock = read_lock(path)
    except LockError as error:
        print(f"story select: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    problem = select_problem(lock, path, options.clip, options.take)
    if problem or lock is None:
        print(f"story select: {problem}", file=sys.stderr)
        return EXIT_PROBLEMS
    chosen = lock.every_take()[options.clip][options.take]
    if lock.clips[options.clip].take == options.take:
        print(f"{options.clip}: take {options.take} is already selected ({chosen.video})")
        return EXIT_OK
    write_lock(path, select_take(lock, options.clip, options.take))
    print(f"{options.clip}: take {options.take} selected ({chosen.video}); was take {lock.clips[options.clip].take}")
    return EXIT_OK
