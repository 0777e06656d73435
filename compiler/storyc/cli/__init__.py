"""The `story` command. `main(argv) -> int` is thin: it calls the stages, prints, returns an exit code.

Exit codes: 0 clean (warnings allowed), 1 problems found, 2 usage or internal error.
Each sub-command lives in its own module here and imports only what it uses, so `story check`
starts fast: `COMMANDS` maps a command's name to the module that defines it.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .. import __version__
from .common import EXIT_OK, EXIT_USAGE, Command, UsageError

if TYPE_CHECKING:
    import argparse

# command name -> module in this package whose COMMANDS dict defines it, in `story --help` order
COMMANDS: dict[str, str] = {
    "check": "check",
    "fmt": "fmt",
    "compile": "compile",
    "plan": "plan",
    "render": "render",
    "status": "status",
    "cancel": "cancel",
    "preview": "media", "animatic": "media", "cut": "media", "export": "media",
    "models": "models",
    "emulator": "emulator",
    "explain": "explain",
    "lsp": "lsp",
    "watch": "watch",
    "lock": "lock",
    "select": "select",
}


def _command(name: str) -> Command:
    module = importlib.import_module(f".{COMMANDS[name]}", __name__)
    command: Command = module.COMMANDS[name]
    return command


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's default formatter imports shutil (slow) to learn the width; os can tell us."""
    import argparse

    try:
        width = os.get_terminal_size().columns - 2
    except OSError:
        width = 78
    return argparse.HelpFormatter(prog, width=max(40, min(width, 118)))


def _parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="story", formatter_class=_help_formatter,
        description="Compile .story storyboards into Wan text-to-video requests.",
        epilog="Run `story COMMAND --help` for a command's options. Docs: docs/language.md",
    )
    parser.add_argument("--version", action="version", version=f"storyc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        # Only the list of commands: `story COMMAND` gets its own parser (`_command_parser`), so the
        # options of every command need not be defined (nor their modules' imports paid) here.
        commands.add_parser(name, help=_command(name).help, formatter_class=_help_formatter)  # not shutil's
    return parser


def _command_parser(name: str) -> argparse.ArgumentParser:
    """One command's parser alone: building every sub-command's costs start-up time."""
    import argparse

    command = _command(name)
    parser = argparse.ArgumentParser(
        prog=f"story {name}", description=command.description, formatter_class=_help_formatter
    )
    command.define(parser)
    parser.set_defaults(command=name)
    return parser


def _collect_for_a_command() -> None:
    """The garbage collector's settings while this process is the `story` command.

    Starting a command allocates tens of thousands of objects that live until it ends (modules,
    functions, the tables, the syntax tree) and little garbage; with Python's default threshold (a
    young-generation collection every 700 allocations) the collector runs some thirty times, walking
    these survivors again, about 1-2 ms of `story check`. Collections now wait for 20,000 allocations.
    At exit, Python's last collection would walk every object still alive, 3-5 ms that free nothing
    the ending process needs: everything is frozen first (the command has returned by then, having
    closed what it wrote; the standard streams are still flushed after this)."""
    gc.set_threshold(20_000, 10, 10)
    atexit.register(gc.freeze)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # this process is the `story` command: it ends when main returns
        _collect_for_a_command()
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = _command(arguments[0]) if arguments and arguments[0] in COMMANDS else None
    options: Any = command.quick(arguments[1:]) if command is not None and command.quick else None
    if options is None:  # argparse: every other command line, its help and its usage errors
        parser = _command_parser(arguments[0]) if command is not None else _parser()
        try:
            options = parser.parse_args(arguments[1:] if command is not None else arguments)
        except SystemExit as exit:  # argparse has printed its message
            return EXIT_OK if exit.code == 0 else EXIT_USAGE
        if options.command is None:
            parser.print_help()
            return EXIT_USAGE
    run: Callable[[Any], int] = options.run
    try:
        return run(options)
    except UsageError as error:
        print(f"story {options.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # noqa: BLE001 - the last line of defence: no tracebacks for users
        from ..models.regions import RegionError

        if isinstance(error, RegionError):  # a bad --region, $DASHSCOPE_REGION or base URL
            print(f"story {options.command}: {error}", file=sys.stderr)
            return EXIT_USAGE
        if os.environ.get("STORYC_DEBUG"):
            raise
        print(f"story {options.command}: internal error: {type(error).__name__}: {error}\n"
              "set STORYC_DEBUG=1 to see the traceback, and please report it", file=sys.stderr)
        return EXIT_USAGE
