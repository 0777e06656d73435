"""Read a storyboard and everything it includes. The entry point is `load(path)`.

Include paths resolve relative to the including file and may not leave the storyboard's root folder:
the nearest folder above the entry file that holds a `story.toml`, or else the entry file's own
folder. "Inside" is judged after every symlink is followed (`storyc.base.paths`), for the entry file
too: a storyboard that is a symlink to a file elsewhere is refused. Cycles are reported, never
followed. Files are read through `paths.read_bytes`: at most 64 MB, regular files only for includes.
"""

from __future__ import annotations

import os
from typing import NamedTuple, Union

from ..base.diagnostics import Diagnostic, make
from ..base.paths import MAX_FILE_BYTES, FileProblem, contains, read_bytes
from ..base.source import Source, Span, decode
from .parse import ParseResult, parse

ROOT_MARKER = "story.toml"
MAX_INCLUDE_DEPTH = 64


class Program(NamedTuple):
    """A storyboard file with its includes, the sources for rendering, and reading diagnostics."""

    entry: ParseResult
    includes: tuple[ParseResult, ...]
    sources: dict[str, Source]
    diagnostics: tuple[Diagnostic, ...]


def read_source(path: str, *, regular_only: bool = True) -> tuple[Source, list[Diagnostic]]:
    """Read a file as UTF-8; unreadable, oversized or undecodable files come back as diagnostics.

    `regular_only=False` is for a path the user named (which may be `/dev/stdin`): it is still read
    at most `MAX_FILE_BYTES`, and never blocks on a FIFO that nobody writes to.
    """
    try:
        data = read_bytes(path, regular_only=regular_only)
    except FileProblem as problem:
        return Source(path, ""), [_unreadable(path, problem)]
    return source_from_bytes(path, data)


def read_storyboard(path: str) -> tuple[Union[bytes, None], list[Diagnostic]]:
    """The bytes of a storyboard named on the command line or found in a folder, or why not (SB104).

    A storyboard that is a symlink leading outside its project folder is not read: its bytes could
    otherwise reach a diagnostic excerpt or a request.
    """
    root = find_root(path)
    real = os.path.realpath(path)
    if not contains(os.path.realpath(root), real):
        return None, [make(
            "SB104", f"cannot read `{path}`: it leads outside its project folder, to `{real}`", Source(path, ""),
            Span(0, 0), help=f"storyboards are read only inside `{_display_root(root)}`; copy the file there instead of linking it",
        )]
    try:
        return read_bytes(path, regular_only=False), []
    except FileProblem as problem:
        return None, [_unreadable(path, problem)]


def _unreadable(path: str, problem: FileProblem) -> Diagnostic:
    source = Source(path, "")
    if os.path.isdir(path):
        return make("SB104", f"cannot read the folder `{path}`: {_folder_problem(path)}", source, Span(0, 0),
                    help="give storyc permission to list it, or move it away")
    large = str(problem).startswith("it is larger")
    return make("SB104", f"cannot read `{path}`: {problem}", source, Span(0, 0),
                help=f"split it into files under {MAX_FILE_BYTES // (1024 * 1024)} MB joined by `include`" if large else "")


def _folder_problem(path: str) -> str:
    try:
        os.listdir(path)
    except OSError as error:
        return (error.strerror or type(error).__name__).lower()
    return "it is a folder, not a storyboard"


def source_from_bytes(path: str, data: bytes) -> tuple[Source, list[Diagnostic]]:
    text, bad_offset = decode(data)
    source = Source(path, text)
    if bad_offset is None:
        return source, []
    return source, [make(
        "SB100", "the file is not valid UTF-8", source, Span(bad_offset, bad_offset + 1),
        label="this byte", help="re-save the file as UTF-8",
    )]


def find_root(path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    probe = folder
    while True:
        if os.path.isfile(os.path.join(probe, ROOT_MARKER)):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return folder
        probe = parent


def load(path: str, data: Union[bytes, None] = None) -> Program:
    """Parse `path` (or `data`, read as if it were that file) and the files it includes."""
    root = find_root(path)
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    source, diagnostics = Source(path, ""), list[Diagnostic]()
    if data is None:
        data, diagnostics = read_storyboard(path)
    if data is not None:
        source, diagnostics = source_from_bytes(path, data)
    entry = parse(source)
    sources = {source.path: source}
    diagnostics.extend(entry.diagnostics)
    includes: list[ParseResult] = []
    loading = _Loading(root, real_root, {real}, includes, sources, diagnostics)
    _follow(loading, entry, [real])
    return Program(entry, tuple(includes), sources, tuple(diagnostics))


class _Loading(NamedTuple):
    root: str
    real_root: str
    seen: set[str]  # real paths already loaded: a diamond loads a file once
    found: list[ParseResult]
    sources: dict[str, Source]
    diagnostics: list[Diagnostic]


def _follow(loading: _Loading, including: ParseResult, chain: list[str]) -> None:
    if including.storyboard is None:
        return
    diagnostics = loading.diagnostics
    for include in including.storyboard.includes:
        where = including.source
        shown = os.path.normpath(os.path.join(os.path.dirname(where.path), include.path))
        real = os.path.realpath(shown)
        if not include.path or not contains(loading.real_root, real):
            lexically = include.path and contains(os.path.abspath(loading.root), os.path.abspath(shown))
            diagnostics.append(make(
                "SB203", f"`{include.path}` leads outside the storyboard's root folder, to `{real}`" if lexically
                else f"`{include.path}` is outside the storyboard's root folder", where,
                include.path_span, label="outside the root",
                help=f"move the file under `{_display_root(loading.root)}` or add a `{ROOT_MARKER}` higher up",
            ))
            continue
        if real in chain:
            cycle = " -> ".join(os.path.basename(step) for step in chain[chain.index(real):])
            diagnostics.append(make(
                "SB202", f"include cycle: {cycle} -> {os.path.basename(real)}", where,
                include.path_span, label="includes a file that includes this one",
                help="move the shared declarations into a file that includes nothing",
            ))
            continue
        if real in loading.seen:
            continue  # a diamond: the file is already loaded
        if not os.path.lexists(shown) or not os.path.exists(real):
            diagnostics.append(make(
                "SB201", f"included file `{include.path}` does not exist", where, include.path_span,
                label="not found", help=f"looked for `{shown}`; paths are relative to the including file",
            ))
            continue
        if len(chain) >= MAX_INCLUDE_DEPTH:
            diagnostics.append(make(
                "SB202", f"includes nest deeper than {MAX_INCLUDE_DEPTH} files", where,
                include.path_span, label="too deep",
            ))
            continue
        loading.seen.add(real)
        source, problems = read_source(shown)
        diagnostics.extend(problems)
        result = parse(source)
        loading.sources[source.path] = source
        diagnostics.extend(result.diagnostics)
        loading.found.append(result)
        _follow(loading, result, [*chain, real])


def _display_root(root: str) -> str:
    relative = os.path.relpath(root)
    return relative if not relative.startswith("..") else root


def load_parsed(entry: ParseResult) -> Program:
    """`load` for an entry already parsed from text in memory: its includes are read and followed.

    The language server parses part of a buffer itself (a clip with the file's header) and needs
    the program that text makes, with the includes `load` would find for the buffer's path.
    """
    path = entry.source.path
    root = find_root(path)
    diagnostics = list(entry.diagnostics)
    includes: list[ParseResult] = []
    loading = _Loading(root, os.path.realpath(root), {os.path.realpath(path)}, includes,
                       {path: entry.source}, diagnostics)
    _follow(loading, entry, [os.path.realpath(path)])
    return Program(entry, tuple(includes), loading.sources, tuple(diagnostics))
