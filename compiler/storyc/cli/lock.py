"""`story lock merge BASE OURS THEIRS`: git's merge driver for lock files (docs/render.md shows the setup)."""

from __future__ import annotations

import argparse
import sys

from .common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, Command

SETUP = """set up once per clone (the .gitattributes line is committed):
  echo '*.lock merge=storyc-lock' >> .gitattributes
  git config merge.storyc-lock.name "storyc lock files, merged per clip"
  git config merge.storyc-lock.driver "story lock merge %O %A %B"
"""


def define(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    merge = actions.add_parser(
        "merge", help="merge two versions of a lock file clip by clip (git's merge driver)",
        description="Merge OURS and THEIRS, both changed from BASE, into OURS, clip by clip: a clip rendered on\n"
        "one side only is kept, the same render on both sides is kept once, and two different renders of\n"
        "the same clip stay a conflict for that clip alone (marked in OURS; exit 1). Files that are not\n"
        "storyc lock files get git's line merge. Git runs it as `story lock merge %O %A %B`.",
        epilog=SETUP, formatter_class=argparse.RawDescriptionHelpFormatter)
    merge.add_argument("base", metavar="BASE", help="the common ancestor's lock file (git's %%O; may be empty)")
    merge.add_argument("ours", metavar="OURS", help="this side's lock file; the result is written here (git's %%A)")
    merge.add_argument("theirs", metavar="THEIRS", help="the other side's lock file (git's %%B)")
    merge.set_defaults(run=run_merge)


COMMANDS = {"lock": Command(
    "work with lock files: `story lock merge` is git's merge driver for them",
    "Lock files (<storyboard>.lock) record each clip's render and are committed. `story lock merge BASE OURS "
    "THEIRS` merges two branches' lock files clip by clip; docs/render.md shows how to make git use it.",
    define,
)}


def run_merge(options: argparse.Namespace) -> int:
    from ..submit.lock import LockError, read_for_merge, replace_text
    from ..submit.lockmerge import merge_locks

    try:
        base = read_for_merge(options.base)
        ours = read_for_merge(options.ours)
        theirs = read_for_merge(options.theirs)
    except LockError as error:
        return _merge_lines(options, str(error))
    merged = merge_locks(base, ours, theirs)
    try:
        replace_text(options.ours, merged.text)
    except OSError as error:
        print(f"story lock merge: cannot write {options.ours}: {(error.strerror or str(error)).lower()}",
              file=sys.stderr)
        return EXIT_USAGE
    if merged.conflicts:
        print(f"story lock merge: {', '.join(merged.conflicts)}: rendered differently on both sides; keep one "
              "entry for each between the conflict markers (either is a paid render), then `git add` the file",
              file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


def _merge_lines(options: argparse.Namespace, problem: str) -> int:
    """Not storyc lock files (a `*.lock` pattern also matches other tools' lock files), or damaged ones:
    git's own line merge, so that nothing of either side is lost silently."""
    import subprocess

    print(f"story lock merge: {problem}\nstory lock merge: merging line by line instead (git merge-file)",
          file=sys.stderr)
    try:
        done = subprocess.run(["git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs", options.ours,
                               options.base, options.theirs], check=False, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        print(f"story lock merge: cannot run git merge-file ({error}); {options.ours} is left as it was",
              file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK if done.returncode == 0 else EXIT_PROBLEMS
