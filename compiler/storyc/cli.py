"""The `story` command. `main(argv) -> int` is thin: it calls the stages, prints, returns an exit code.

Exit codes: 0 clean (warnings allowed), 1 problems found, 2 usage or internal error.
Each sub-command imports only what it uses, so `story check` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence

from . import __version__

if TYPE_CHECKING:
    from .diagnostics import Diagnostic
    from .profile import Catalog
    from .render import Compiled
    from .source import Source

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad path, flag or value on the command line: reported in one line, exit code 2."""


def _define_check(check: argparse.ArgumentParser) -> None:
    check.add_argument("paths", nargs="+", metavar="PATH", help="files or folders; `-` reads standard input")
    check.add_argument("--format", choices=("full", "concise", "json"), default="full",
                       help="full: compiler-style with source excerpts (default); concise: one line "
                       "each; json: an array of objects for editors and scripts")
    check.add_argument("--deny-warnings", action="store_true", help="exit 1 on warnings too")
    check.add_argument("--fix", action="store_true",
                       help="apply the suggested fixes (closest name, framing or model; a missing `s`) "
                       "to the files, then report what is left")
    check.add_argument("--stdin-filename", default="<stdin>", metavar="NAME",
                       help="the path to report (and resolve includes from) when reading `-`")
    _profiles_option(check)
    check.set_defaults(run=_run_check)


def _define_models(models: argparse.ArgumentParser) -> None:
    models.add_argument("--json", action="store_true", help="print the full profiles as JSON for tools")
    models.add_argument("--markdown", action="store_true", help="as Markdown (docs/models.md)")
    _profiles_option(models)
    models.set_defaults(run=_run_models)


def _define_fmt(fmt: argparse.ArgumentParser) -> None:
    fmt.add_argument("paths", nargs="+", metavar="PATH", help="files or folders; `-` formats standard input to standard output")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 and list the files that would change")
    fmt.set_defaults(run=_run_fmt)


def _define_compile(compile: argparse.ArgumentParser) -> None:
    compile.add_argument("paths", nargs="+", metavar="PATH", help="storyboard files")
    compile.add_argument("-o", "--output", metavar="DIR",
                         help="where to write <clip>.json and <clip>.prompt.txt (default: out/<storyboard>; "
                         "with several storyboards, DIR/<storyboard>)")
    compile.add_argument("--json", action="store_true",
                         help="print every request body as one JSON array on standard output instead")
    compile.add_argument("--curl", action="store_true",
                         help="print ready-to-run curl commands (the key is read from $DASHSCOPE_API_KEY)")
    _profiles_option(compile)
    compile.set_defaults(run=_run_compile)


def _define_plan(plan: argparse.ArgumentParser) -> None:
    plan.add_argument("paths", nargs="+", metavar="PATH", help="storyboard files")
    plan.add_argument("--budget", type=float, metavar="AMOUNT",
                      help="exit 1 when the total for --region is over AMOUNT (in the profile's currency)")
    plan.add_argument("--region", metavar="REGION",
                      help="the region --budget applies to (default: the storyboard's `region`, else the "
                      "model's first region)")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON for tools")
    _profiles_option(plan)
    plan.set_defaults(run=_run_plan)


def _define_emulator(emulator: argparse.ArgumentParser) -> None:
    emulator.add_argument("--host", default="127.0.0.1", help="the address to bind (default 127.0.0.1: this machine only)")
    emulator.add_argument("--port", type=int, default=8000, help="the port (default 8000; 0 picks a free one)")
    emulator.add_argument("--speed", type=float, default=1.0, help="run the task lifecycle this many times faster")
    emulator.add_argument("--pending", type=float, default=1.0, metavar="SECONDS", help="time a task stays PENDING")
    emulator.add_argument("--running", type=float, default=4.0, metavar="SECONDS", help="time a task stays RUNNING")
    emulator.add_argument("--key", action="append", metavar="KEY",
                          help="an API key to accept (repeatable; default: any key starting with sk-)")
    emulator.add_argument("--storage", metavar="DIR", help="where uploads and videos are kept (default: a temporary folder)")
    emulator.add_argument("--no-video", action="store_true", help="skip rendering result videos")
    for name, text in (("throttle", "429 Throttling.RateQuota on submissions"), ("error-500", "500 InternalError"),
                       ("error-503", "503 ModelUnavailable on submissions"), ("drop", "responses cut off"),
                       ("slow", "responses delayed by --slow-seconds"), ("fail-task", "tasks that end FAILED"),
                       ("truncate-download", "downloads that stop half way")):
        emulator.add_argument(f"--fault-{name}", type=float, default=0.0, metavar="RATE", help=f"rate (0-1) of {text}")
    emulator.add_argument("--slow-seconds", type=float, default=2.0, metavar="SECONDS")
    emulator.add_argument("--seed", type=int, help="seed for fault injection, to repeat a chaos run")
    emulator.set_defaults(run=_run_emulator)


def _define_explain(explain: argparse.ArgumentParser) -> None:
    explain.add_argument("code", nargs="?", metavar="CODE", help="for example SB205")
    explain.add_argument("--all", action="store_true", help="explain every code")
    explain.add_argument("--markdown", action="store_true", help="as Markdown (docs/diagnostics.md)")
    explain.set_defaults(run=_run_explain)


class _Command(NamedTuple):
    help: str
    description: str
    define: Callable[[argparse.ArgumentParser], None]


COMMANDS: dict[str, _Command] = {
    "check": _Command(
        "report syntax errors and problems in storyboards",
        "Parse and validate storyboards against the model's limits; folders are searched for *.story "
        "files. Exit code 0 when there are no errors (warnings allowed), 1 when there are, 2 on bad usage.",
        _define_check,
    ),
    "fmt": _Command(
        "rewrite storyboards in canonical layout",
        "Rewrite files in canonical layout, keeping prose and comments byte for byte.",
        _define_fmt,
    ),
    "compile": _Command(
        "write the request bodies and prompts",
        "Check storyboards, then write one request body (<clip>.json, exactly as POSTed) and one prompt "
        "(<clip>.prompt.txt) per clip. Nothing is written when there are errors.",
        _define_compile,
    ),
    "plan": _Command(
        "list the clips a storyboard makes, with durations and prices",
        "Show each request: model, duration, resolution, shots, prompt length against its limit and the "
        "estimated price per region, with totals.",
        _define_plan,
    ),
    "models": _Command(
        "list the models storyc knows and their limits",
        "List the model profiles: durations, resolutions, prompt limits, audio, multi-shot, rate limits "
        "and prices.",
        _define_models,
    ),
    "emulator": _Command(
        "run a local emulator of the Wan text-to-video API",
        "Serve the DashScope text-to-video API locally: the same paths, headers, bodies, errors and task "
        "lifecycle, with real MP4 results (one card per shot). Point a client at http://HOST:PORT "
        "(the DashScope SDK: dashscope.base_http_api_url = 'http://HOST:PORT/api/v1').",
        _define_emulator,
    ),
    "explain": _Command(
        "explain a diagnostic code", "Print what a diagnostic code means and how to fix it.", _define_explain,
    ),
}


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's default formatter imports shutil (slow) to learn the width; os can tell us."""
    try:
        width = os.get_terminal_size().columns - 2
    except OSError:
        width = 78
    return argparse.HelpFormatter(prog, width=max(40, min(width, 118)))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="story", formatter_class=_help_formatter,
        description="Compile .story storyboards into Wan text-to-video requests.",
        epilog="Run `story COMMAND --help` for a command's options. Docs: docs/language.md",
    )
    parser.add_argument("--version", action="version", version=f"storyc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        command.define(commands.add_parser(
            name, help=command.help, description=command.description, formatter_class=_help_formatter
        ))
    return parser


def _command_parser(name: str) -> argparse.ArgumentParser:
    """One command's parser alone: building every sub-command's costs start-up time."""
    command = COMMANDS[name]
    parser = argparse.ArgumentParser(
        prog=f"story {name}", description=command.description, formatter_class=_help_formatter
    )
    command.define(parser)
    parser.set_defaults(command=name)
    return parser


def _profiles_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profiles", metavar="DIR",
                        help="a folder of extra model profiles (*.yaml) laid over the built-in ones; "
                        "also read from $STORYC_PROFILES")


def _catalog(options: argparse.Namespace) -> Catalog:
    from .profile import ProfileError, catalog

    try:
        return catalog(options.profiles)
    except ProfileError as error:
        raise UsageError(str(error)) from None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in COMMANDS:
        parser = _command_parser(arguments[0])
        arguments = arguments[1:]
    else:
        parser = _parser()
    try:
        options = parser.parse_args(arguments)
    except SystemExit as exit:  # argparse has printed its message
        return EXIT_OK if exit.code == 0 else EXIT_USAGE
    if options.command is None:
        parser.print_help()
        return EXIT_USAGE
    run: Callable[[argparse.Namespace], int] = options.run
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
        if os.environ.get("STORYC_DEBUG"):
            raise
        print(f"story {options.command}: internal error: {type(error).__name__}: {error}\n"
              "set STORYC_DEBUG=1 to see the traceback, and please report it", file=sys.stderr)
        return EXIT_USAGE


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


def _read_stdin() -> bytes:
    return sys.stdin.buffer.read()


def _run_check(options: argparse.Namespace) -> int:
    from .diagnostics import has_errors, render
    from .load import load
    from .pipeline import diagnose

    files = storyboard_files(options.paths)
    profiles = _catalog(options)
    diagnostics = []
    sources = {}
    for path in files:
        program = load(options.stdin_filename, _read_stdin()) if path == "-" else load(path)
        found = diagnose(program, profiles)
        for _ in range(5 if options.fix and path != "-" else 0):  # a fix may uncover the next problem
            if not _fix_files(found, program.sources):
                break
            program = load(path)
            found = diagnose(program, profiles)
        diagnostics.extend(found)
        sources.update(program.sources)
    sys.stdout.write(render(diagnostics, sources, options.format))
    errors = sum(1 for d in diagnostics if d.level == "error")
    warnings = len(diagnostics) - errors
    if options.format != "json":
        sys.stdout.write(_summary(len(files), errors, warnings))
    if has_errors(diagnostics) or (options.deny_warnings and warnings):
        return EXIT_PROBLEMS
    return EXIT_OK


def _fix_files(diagnostics: list[Diagnostic], sources: dict[str, Source]) -> bool:
    """Apply the diagnostics' fixes to their files; files that did not decode cleanly are left alone."""
    from .diagnostics import apply_fixes

    changed = False
    for path, source in sources.items():
        if any(d.code == "SB100" and d.path == path for d in diagnostics):
            continue
        text, count = apply_fixes(source.text, [d.fix for d in diagnostics if d.path == path and d.fix])
        if count:
            _write_atomically(path, text)
            print(f"{path}: applied {count} fix{'es' if count != 1 else ''}", file=sys.stderr)
            changed = True
    return changed


def _summary(files: int, errors: int, warnings: int) -> str:
    def count(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    checked = count(files, "file")
    if not errors and not warnings:
        return f"{checked} checked: no problems\n"
    return f"{checked} checked: {count(errors, 'error')}, {count(warnings, 'warning')}\n"


def _run_fmt(options: argparse.Namespace) -> int:
    from .diagnostics import render
    from .fmt import format_text
    from .load import source_from_bytes
    from .parse import parse

    changed: list[str] = []
    status = EXIT_OK
    for path in storyboard_files(options.paths):
        if path == "-":
            data = _read_stdin()
        else:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as error:
                print(f"{path}: cannot read: {(error.strerror or str(error)).lower()}", file=sys.stderr)
                status = EXIT_PROBLEMS
                continue
        source, problems = source_from_bytes("<stdin>" if path == "-" else path, data)
        result = parse(source)
        problems.extend(result.diagnostics)
        if result.storyboard is None or any(d.level == "error" for d in problems):
            sys.stderr.write(render(problems, {source.path: source}, "concise"))
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
                _write_atomically(path, formatted)
    for path in changed:
        print(f"{'would reformat' if options.check else 'reformatted'} {path}")
    if options.check and changed:
        return EXIT_PROBLEMS
    return status


def _write_atomically(path: str, text: str) -> None:
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


def _compile_all(options: argparse.Namespace) -> list[tuple[str, Compiled]]:
    """Check then render each storyboard; print diagnostics; raise _Failed when any has errors."""
    from .diagnostics import has_errors, render
    from .load import load
    from .pipeline import checked_plan
    from .render import compile_plan

    profiles = _catalog(options)
    results: list[tuple[str, Compiled]] = []
    diagnostics: list[Diagnostic] = []
    sources = {}
    for path in storyboard_files(options.paths):
        if path == "-":
            raise UsageError("compile reads files, not standard input")
        program = load(path)
        sources.update(program.sources)
        found, planned = checked_plan(program, profiles)
        if planned is not None:
            compiled = compile_plan(planned)
            found.extend(compiled.diagnostics)
            results.append((path, compiled))
        diagnostics.extend(found)
    if diagnostics:
        sys.stderr.write(render(diagnostics, sources, "full"))
    if has_errors(diagnostics):
        raise _Failed()
    return results


class _Failed(Exception):
    """Problems were found and reported; exit 1."""


def _run_compile(options: argparse.Namespace) -> int:
    import json

    try:
        results = _compile_all(options)
    except _Failed:
        return EXIT_PROBLEMS
    if options.json:
        bodies = [clip.body for _, compiled in results for clip in compiled.clips]
        sys.stdout.write(json.dumps(bodies, ensure_ascii=False, indent=2) + "\n")
    if options.curl:
        from .curl import curl_commands

        sys.stdout.write(curl_commands([compiled for _, compiled in results]))
    if (options.json or options.curl) and not options.output:
        return EXIT_OK
    for path, compiled in results:
        stem = os.path.splitext(os.path.basename(path))[0]
        folder = os.path.join(options.output or "out", stem) if (len(results) > 1 or not options.output) else options.output
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as error:
            raise UsageError(f"cannot write to `{folder}`: {(error.strerror or str(error)).lower()}") from None
        for clip in compiled.clips:
            _write_atomically(os.path.join(folder, f"{clip.name}.json"), clip.body_text())
            _write_atomically(os.path.join(folder, f"{clip.name}.prompt.txt"), clip.prompt + "\n")
        if not (options.json or options.curl):
            print(f"{path}: {len(compiled.clips)} clip{'s' if len(compiled.clips) != 1 else ''} -> {folder}")
    return EXIT_OK


def _run_plan(options: argparse.Namespace) -> int:
    from .diagnostics import has_errors, render
    from .load import load
    from .pipeline import checked_plan
    from .plan_table import plan_json, plan_rows, plan_text

    profiles = _catalog(options)
    tables = []
    for path in storyboard_files(options.paths):
        program = load(path)
        found, planned = checked_plan(program, profiles)
        if planned is None or has_errors(planned.diagnostics):
            sys.stderr.write(render([*found, *(planned.diagnostics if planned else ())], program.sources, "full"))
            return EXIT_PROBLEMS
        tables.append((path, plan_rows(planned, options.region)))
    if options.json:
        sys.stdout.write(plan_json(tables))
    else:
        sys.stdout.write(plan_text(tables))
    if options.budget is not None:
        total = sum(table.total for _, table in tables)
        if total > options.budget:
            print(f"over budget: {total:.2f} > {options.budget:.2f}", file=sys.stderr)
            return EXIT_PROBLEMS
    return EXIT_OK


def _run_models(options: argparse.Namespace) -> int:
    from .models_table import as_json, as_markdown, as_table

    profiles = _catalog(options)
    if options.json:
        sys.stdout.write(as_json(profiles))
    elif options.markdown:
        sys.stdout.write(as_markdown(profiles))
    else:
        sys.stdout.write(as_table(profiles))
    return EXIT_OK


def _run_emulator(options: argparse.Namespace) -> int:
    import uvicorn

    from .emulator import EmulatorConfig, Faults, create_app

    rates = {name: getattr(options, f"fault_{name}") for name in
             ("throttle", "error_500", "error_503", "drop", "slow", "fail_task", "truncate_download")}
    if any(not 0 <= rate <= 1 for rate in rates.values()) or options.speed <= 0:
        raise UsageError("fault rates are between 0 and 1, and --speed is above 0")
    config = EmulatorConfig(
        pending_seconds=options.pending, running_seconds=options.running, speed=options.speed,
        api_keys=frozenset(options.key) if options.key else None, storage=options.storage or "",
        render_videos=not options.no_video,
        faults=Faults(**rates, slow_seconds=options.slow_seconds, seed=options.seed),
    )
    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.servers:  # say where, once bound: --port 0 picks the port
                host, port = self.servers[0].sockets[0].getsockname()[:2]
                base = f"http://{host}:{port}"
                print(f"storyc emulator on {base}  (DashScope SDK: dashscope.base_http_api_url = "
                      f"'{base}/api/v1')", flush=True)

    server = Server(uvicorn.Config(create_app(config), host=options.host, port=options.port, log_level="warning"))
    try:
        server.run()
    except OSError as error:
        raise UsageError(f"cannot serve on {options.host}:{options.port}: {error.strerror or error}") from None
    except SystemExit:  # uvicorn exits after logging why it could not bind
        raise UsageError(f"cannot serve on {options.host}:{options.port}") from None
    return EXIT_OK


def _run_explain(options: argparse.Namespace) -> int:
    from .codes import CODES

    if options.all:
        chosen = list(CODES.values())
    elif options.code:
        code = options.code.upper()
        if code not in CODES:
            raise UsageError(f"unknown code `{options.code}`; `story explain --all` lists them")
        chosen = [CODES[code]]
    else:
        raise UsageError("name a code (for example `story explain SB205`) or pass --all")
    if options.markdown:
        print("# Diagnostics\n\nGenerated by `story explain --all --markdown`; do not edit.\n")
        for entry in chosen:
            print(f"## {entry.code} `{entry.name}` ({entry.severity})\n\n{entry.explanation}\n")
    else:
        for entry in chosen:
            print(f"{entry.code} {entry.name} ({entry.severity})\n  {entry.explanation}\n")
    return EXIT_OK
