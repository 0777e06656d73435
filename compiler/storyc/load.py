"""Read a storyboard and everything it includes. The entry point is `load(path)`.

Include paths resolve relative to the including file and may not leave the storyboard's root folder:
the nearest folder above the entry file that holds a `story.toml`, or else the entry file's own
folder. Cycles are reported, never followed.
"""

from __future__ import annotations

import os
from typing import NamedTuple, Union

from .diagnostics import Diagnostic, make
from .parse import ParseResult, parse
from .source import Source, Span, decode

ROOT_MARKER = "story.toml"
MAX_INCLUDE_DEPTH = 64


class Program(NamedTuple):
    """A storyboard file with its includes, the sources for rendering, and reading diagnostics."""

    entry: ParseResult
    includes: tuple[ParseResult, ...]
    sources: dict[str, Source]
    diagnostics: tuple[Diagnostic, ...]


def read_source(path: str) -> tuple[Source, list[Diagnostic]]:
    """Read a file as UTF-8; unreadable or undecodable files come back as diagnostics."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        source = Source(path, "")
        reason = error.strerror or type(error).__name__
        return source, [make("SB104", f"cannot read `{path}`: {reason.lower()}", source, Span(0, 0))]
    return source_from_bytes(path, data)


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
    if data is None:
        source, diagnostics = read_source(path)
    else:
        source, diagnostics = source_from_bytes(path, data)
    entry = parse(source)
    sources = {source.path: source}
    diagnostics.extend(entry.diagnostics)
    includes: list[ParseResult] = []
    _follow(entry, find_root(path), [os.path.abspath(path)], includes, sources, diagnostics)
    return Program(entry, tuple(includes), sources, tuple(diagnostics))


def _follow(
    including: ParseResult, root: str, chain: list[str], found: list[ParseResult],
    sources: dict[str, Source], diagnostics: list[Diagnostic],
) -> None:
    if including.storyboard is None:
        return
    seen = {os.path.abspath(result.source.path) for result in found}
    for include in including.storyboard.includes:
        where = including.source
        shown = os.path.normpath(os.path.join(os.path.dirname(where.path), include.path))
        absolute = os.path.abspath(shown)
        if not include.path or not _inside(absolute, root):
            diagnostics.append(make(
                "SB203", f"`{include.path}` is outside the storyboard's root folder", where,
                include.path_span, label="outside the root",
                help=f"move the file under `{_display_root(root)}` or add a `{ROOT_MARKER}` higher up",
            ))
            continue
        if absolute in chain:
            cycle = " -> ".join(os.path.basename(step) for step in chain[chain.index(absolute):])
            diagnostics.append(make(
                "SB202", f"include cycle: {cycle} -> {os.path.basename(absolute)}", where,
                include.path_span, label="includes a file that includes this one",
                help="move the shared declarations into a file that includes nothing",
            ))
            continue
        if absolute in seen:
            continue  # a diamond: the file is already loaded
        if not os.path.isfile(absolute):
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
        source, problems = read_source(shown)
        diagnostics.extend(problems)
        result = parse(source)
        sources[source.path] = source
        diagnostics.extend(result.diagnostics)
        found.append(result)
        seen.add(absolute)
        _follow(result, root, [*chain, absolute], found, sources, diagnostics)


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives
        return False


def _display_root(root: str) -> str:
    relative = os.path.relpath(root)
    return relative if not relative.startswith("..") else root
