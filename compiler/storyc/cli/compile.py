"""`story compile`: write the request bodies and prompts; `compile_storyboards` is shared with `story render`."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from ..base.source import visible
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Command,
    Failed,
    UsageError,
    catalog,
    plural,
    profiles_option,
    storyboard_files,
    write_atomically,
)

if TYPE_CHECKING:
    import argparse

    from ..base.diagnostics import Diagnostic
    from ..compile.emit import Compiled
    from ..compile.plan import Plan


def define(compile: argparse.ArgumentParser) -> None:
    compile.add_argument("paths", nargs="+", metavar="PATH", help="storyboard files")
    compile.add_argument("-o", "--output", metavar="DIR",
                         help="where to write <clip>.json and <clip>.prompt.txt (default: out/<path without .story>, "
                         "so ep1/main.story and ep2/main.story never share a folder; with several storyboards, "
                         "DIR/<path without .story>)")
    compile.add_argument("--json", action="store_true",
                         help="print every request body as one JSON array on standard output instead (a local "
                         "soundtrack appears as `file://PATH`: `story render` uploads it and sends an `oss://` URL "
                         "in its place; a note on standard error says so)")
    compile.add_argument("--curl", action="store_true",
                         help="print a bash script that creates, polls and downloads every clip with curl and "
                         "jq (the key is read from $DASHSCOPE_API_KEY when it runs; local soundtracks are "
                         "uploaded to temporary storage)")
    compile.add_argument("--region", metavar="REGION",
                         help="the region for storyboards without a `region` setting (default: "
                         "$DASHSCOPE_REGION, else singapore): model ids, availability and the --curl host follow it")
    profiles_option(compile)
    compile.set_defaults(run=run)


COMMANDS = {"compile": Command(
    "write the request bodies and prompts",
    "Check storyboards, then write one request body (<clip>.json, exactly as POSTed) and one prompt "
    "(<clip>.prompt.txt) per clip. Nothing is written when there are errors.",
    define,
)}


def compile_storyboards(options: argparse.Namespace) -> list[tuple[str, Plan, Compiled]]:
    """Check then render each storyboard with clips; print diagnostics; raise Failed when any has errors.

    Shared by `story compile` and `story render`, so both refuse exactly what `story check` reports.
    """
    from ..base.diagnostics import has_errors, report
    from ..compile.diagnose import checked_plan
    from ..compile.emit import compile_plan
    from ..language.load import load
    from ..models.regions import RegionError, region_for

    region_option = getattr(options, "region", None)
    try:
        region_for(None, region_option)  # an unknown --region or $DASHSCOPE_REGION stops here
    except RegionError as error:
        raise UsageError(str(error)) from None
    profiles = catalog(options)
    results: list[tuple[str, Plan, Compiled]] = []
    diagnostics: list[Diagnostic] = []
    sources = {}
    for path in storyboard_files(options.paths):
        if path == "-":
            raise UsageError(f"{options.command} reads files, not standard input")
        program = load(path)
        sources.update(program.sources)
        found, planned = checked_plan(program, profiles, region_option)
        if planned is not None and not planned.clips:  # a file of declarations, for others to include
            print(f"{visible(path)}: no clips, nothing to {options.command}", file=sys.stderr)
        elif planned is not None:
            compiled = compile_plan(planned)
            found.extend(compiled.diagnostics)
            results.append((path, planned, compiled))
        diagnostics.extend(found)
    if diagnostics:
        sys.stderr.write(report(diagnostics, sources, "full"))
    if has_errors(diagnostics):
        raise Failed()
    return results


def _one_region_each(results: list[tuple[str, Plan, Compiled]]) -> None:
    """--curl writes a script for one region: a key works in one region."""
    for path, planned, _ in results:
        regions = sorted({planned.region_for(clip_plan) for clip_plan in planned.clips})
        if len(regions) > 1:
            raise UsageError(f"{path}: its clips go to several regions ({', '.join(regions)}); --curl "
                             "writes a script for one region (a key works in one region)")


def _inside_the_working_folder(folder: str, chosen: bool) -> None:
    """The default `out/` must not lead elsewhere: a cloned repository could ship it as a symlink."""
    from ..base.paths import outside

    leads = None if chosen else outside(folder, os.getcwd())
    if leads is not None:
        raise UsageError(f"`{visible(folder)}` leads outside the current folder, to `{visible(leads)}`; "
                         "remove the symlink, or choose a folder with -o")


def _note_local_files(results: list[tuple[str, Compiled]]) -> None:
    """Bodies naming a local file are not the bytes sent: `story render` (and the --curl script)
    upload the file first and send its `oss://` URL. Said on standard error, so that the bodies
    printed or written stay exactly as compiled."""
    from ..compile.sent import local_urls

    found = sorted({url for _, compiled in results for clip in compiled.clips for url in local_urls(clip.body)})
    if found:
        shown = ", ".join(f"`{visible(url)}`" for url in found)
        print(f"note: {shown} {'names a local file' if len(found) == 1 else 'name local files'}, not sent as "
              "written: `story render` (and the --curl script) uploads each to the service's temporary storage "
              "and sends its `oss://` URL in its place", file=sys.stderr)
    _note_continuing(results)


def _note_continuing(results: list[tuple[str, Compiled]]) -> None:
    """A continuing clip's first frame does not exist until its source is rendered: its body holds a placeholder."""
    from ..submit.chain import continued_source

    found = [(clip.name, source) for _, compiled in results for clip in compiled.clips
             if (source := continued_source(clip.body)) is not None]
    for name, source in found:
        print(f"note: clip `{name}` continues `{source}`: its body holds `storyc-continue:{source}` where the first "
              f"frame goes; `story render` sends the last frame of `{source}`'s video there (uploaded) once "
              f"`{source}` is rendered", file=sys.stderr)


def run(options: argparse.Namespace) -> int:
    import json

    try:
        compiled_storyboards = compile_storyboards(options)
    except Failed:
        return EXIT_PROBLEMS
    if options.curl:
        _one_region_each(compiled_storyboards)
    results = [(path, compiled) for path, _, compiled in compiled_storyboards]
    _note_local_files(results)
    if options.json:
        bodies = [clip.body for _, compiled in results for clip in compiled.clips]
        sys.stdout.write(json.dumps(bodies, ensure_ascii=False, indent=2) + "\n")
    if options.curl:
        from ..compile.curl import CurlError, curl_script

        try:
            sys.stdout.write(curl_script(results, catalog(options)))
        except CurlError as error:
            raise UsageError(str(error)) from None
    if (options.json or options.curl) and not options.output:
        return EXIT_OK
    from ..compile.outputs import OUTPUT_ROOT, output_names

    names = output_names([path for path, _ in results])
    for path, compiled in results:
        folder = os.path.join(options.output or OUTPUT_ROOT, names[path]) if (len(results) > 1 or not options.output) else options.output
        _inside_the_working_folder(folder, chosen=bool(options.output))
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as error:
            raise UsageError(f"cannot write to `{folder}`: {(error.strerror or str(error)).lower()}") from None
        for clip in compiled.clips:
            write_atomically(os.path.join(folder, f"{clip.name}.json"), clip.body_text(), only_if_changed=True)
            write_atomically(os.path.join(folder, f"{clip.name}.prompt.txt"), clip.prompt + "\n", only_if_changed=True)
        if not (options.json or options.curl):
            print(visible(f"{path}: {plural(len(compiled.clips), 'clip')} -> {folder}"))
    return EXIT_OK
