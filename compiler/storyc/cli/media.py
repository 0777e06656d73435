"""`story preview`, `story animatic`, `story cut` and `story export`: the storyboard as a picture,
a placeholder film, the final film, and a timeline or subtitles for an editing program."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Callable

from .common import EXIT_OK, EXIT_PROBLEMS, Command, UsageError, catalog, plural, profiles_option

if TYPE_CHECKING:
    from ..media.board import Board


def _common(parser: argparse.ArgumentParser, run: Callable[[argparse.Namespace], int], output: str) -> None:
    parser.add_argument("path", metavar="PATH", help="a storyboard file")
    parser.add_argument("-o", "--output", metavar="FILE", help=f"where to write it (default: {output})")
    profiles_option(parser)
    parser.set_defaults(run=run)


def define_preview(parser: argparse.ArgumentParser) -> None:
    _common(parser, run_preview, "out/<path without .story>/preview.html")
    parser.add_argument("--open", action="store_true", help="open the sheet in the web browser")


def define_animatic(parser: argparse.ArgumentParser) -> None:
    _common(parser, run_animatic, "out/<path without .story>/animatic.mp4")
    parser.add_argument("--height", type=int, default=360, metavar="PIXELS",
                        help="picture height; the width follows the storyboard's ratio (default: 360)")


def define_cut(parser: argparse.ArgumentParser) -> None:
    _common(parser, run_cut, "out/<path without .story>/cut.mp4")
    parser.add_argument("--crossfade", type=float, default=0.0, metavar="SECONDS",
                        help="dissolve between clips (never inside a scene) for this long (default: 0, a straight cut)")


def define_export(parser: argparse.ArgumentParser) -> None:
    from ..media.export import FORMATS

    _common(parser, run_export, "out/<path without .story>/<name>.<format's extension>")
    parser.add_argument("--to", required=True, choices=FORMATS, metavar="FORMAT",
                        help=f"one of {', '.join(FORMATS)}")
    parser.add_argument("--crossfade", type=float, default=0.0, metavar="SECONDS",
                        help="srt/vtt: time the subtitles for `story cut --crossfade SECONDS` (default: 0)")


COMMANDS = {
    "preview": Command(
        "write an HTML storyboard sheet to look at before paying",
        "Write one self-contained HTML page (no network): a timeline with a block per shot, as wide as the "
        "shot is long, grouped by clip; each clip's shots, prompt and price; rendered clips play inline.",
        define_preview,
    ),
    "animatic": Command(
        "make a free placeholder film: a card per shot, soundtracks laid in",
        "Render a placeholder MP4 of the whole storyboard locally, at no cost: a card per shot with its text "
        "and timing, clip boundaries marked, each clip's soundtrack laid in at its place.",
        define_animatic,
    ),
    "cut": Command(
        "join the rendered clips into one film",
        "Join the rendered clips (from the lock file) in storyboard order into one MP4, normalising picture "
        "size, frame rate and audio so sound stays in sync; a scene's parts join seamlessly.",
        define_cut,
    ),
    "export": Command(
        "export the rendered clips as an editor's timeline, or the dialogue as subtitles",
        "Write the timeline of rendered clips for an editing program (OpenTimelineIO, Final Cut X and 7, "
        "EDL), each clip carrying its prompt, seed, model, region, task id and cost; or srt/vtt subtitles.",
        define_export,
    ),
}


def _board(options: argparse.Namespace) -> Board:
    from ..base.diagnostics import report
    from ..media.board import BoardError, load_board

    if not os.path.isfile(options.path):
        raise UsageError(f"no such file: {options.path}")
    try:
        return load_board(options.path, catalog(options))
    except BoardError as error:
        if error.diagnostics:
            sys.stderr.write(report(list(error.diagnostics), error.sources, "full"))
            raise _Problems() from None
        raise UsageError(str(error)) from None


def _warn_changed(options: argparse.Namespace, board: Board) -> None:
    stale = board.stale()
    if stale:
        print(f"story {options.command}: warning: rendered from an earlier version of the storyboard: "
              f"{', '.join(stale)}; run `story render {options.path}` to bring them up to date", file=sys.stderr)
    changed = board.changed()
    if changed:
        print(f"story {options.command}: warning: not the files the lock file records (changed since "
              f"rendered): {', '.join(changed)}", file=sys.stderr)


class _Problems(Exception):
    """Reported already; exit 1."""


def _output(options: argparse.Namespace, name: str) -> str:
    from ..compile.outputs import output_folder

    if options.output:
        return str(options.output)
    folder = output_folder(options.path)  # where `story compile` writes it too
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot write to `{folder}`: {(error.strerror or str(error)).lower()}") from None
    return os.path.join(folder, name)


def _guarded(action: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the media errors into one-line messages and exit 1."""

    def run(options: argparse.Namespace) -> int:
        from ..media.cut import NotRendered
        from ..media.ffmpeg import MediaError
        from ..media.probe import ProbeError

        try:
            return action(options)
        except _Problems:
            return EXIT_PROBLEMS
        except NotRendered as missing:
            print(f"story {options.command}: not rendered yet: {', '.join(missing.names)}\n"
                  f"run `story render {options.path}` first", file=sys.stderr)
            return EXIT_PROBLEMS
        except (MediaError, ProbeError) as error:
            print(f"story {options.command}: {error}", file=sys.stderr)
            return EXIT_PROBLEMS

    return run


@_guarded
def run_preview(options: argparse.Namespace) -> int:
    from pathlib import Path

    from ..media.preview import sheet
    from .common import write_atomically

    board = _board(options)
    output = _output(options, "preview.html")
    write_atomically(output, sheet(board, output))
    print(f"{options.path}: preview -> {output}")
    if options.open:
        import webbrowser

        webbrowser.open(Path(os.path.abspath(output)).as_uri())
    return EXIT_OK


@_guarded
def run_animatic(options: argparse.Namespace) -> int:
    from ..media.animatic import animatic, default_size

    if not 32 <= options.height <= 2160:
        raise UsageError("--height must be between 32 and 2160 pixels")
    board = _board(options)
    output = _output(options, "animatic.mp4")
    film = animatic(board, output, default_size(board, options.height - options.height % 2),
                    note=lambda text: print(f"story animatic: {text}", file=sys.stderr))
    print(f"{options.path}: animatic of {plural(len(board.clips), 'clip')}, {film.seconds:.2f}s -> {output}")
    return EXIT_OK


@_guarded
def run_cut(options: argparse.Namespace) -> int:
    from ..media.cut import cut

    if options.crossfade < 0:
        raise UsageError("--crossfade cannot be negative")
    board = _board(options)
    output = _output(options, "cut.mp4")
    if not board.missing():
        _warn_changed(options, board)
    film = cut(board, output, options.crossfade)
    print(f"{options.path}: {plural(len(film.pieces), 'clip')}, {film.seconds:.2f}s -> {output}")
    return EXIT_OK


@_guarded
def run_export(options: argparse.Namespace) -> int:
    from ..media import export
    from .common import write_atomically

    if options.crossfade < 0:
        raise UsageError("--crossfade cannot be negative")
    if options.crossfade and options.to not in export.SUBTITLE_FORMATS:
        raise UsageError("--crossfade applies to subtitles; a timeline keeps its clips end to end "
                         "(add dissolves in the editor)")
    board = _board(options)
    stem = os.path.splitext(os.path.basename(options.path))[0]
    output = _output(options, stem + export.EXTENSIONS[options.to])
    if options.to in export.SUBTITLE_FORMATS:
        from fractions import Fraction

        from ..media.cut import crossfade_frames, film_lengths

        lengths, rate = film_lengths(board)
        fade = Fraction(crossfade_frames(options.crossfade, rate) * 1000) / rate if rate else \
            Fraction(options.crossfade).limit_denominator(1000) * 1000
        cues = export.subtitle_cues(board, lengths, fade)
        if not cues:  # an empty .srt is not a file players open
            print(f"story export: no dialogue (`say` or `voiceover`) in {options.path}: no subtitles written",
                  file=sys.stderr)
            return EXIT_OK
        write_atomically(output, export.srt(cues) if options.to == "srt" else export.vtt(cues))
        print(f"{options.path}: {plural(len(cues), 'subtitle')} -> {output}")
        return EXIT_OK
    from ..media.cut import pieces

    found = pieces(board)
    _warn_changed(options, board)
    write_atomically(output, export.timeline_text(board, found, options.to))
    print(f"{options.path}: {plural(len(found), 'clip')} ({options.to}) -> {output}")
    return EXIT_OK
