"""Names across includes (definition, references, rename), the outline and folding ranges."""

from __future__ import annotations

import os
import re
from typing import Union

from lsprotocol import types

from ..language.nodes import Clip, Declaration, Setting, Shot
from ..language.timeline import seconds, timing
from .analysis import Analysis

NAME = re.compile(r"[^\W\d][\w-]*")  # the grammar's NAME: letters of any script, then letters, digits, `_`, `-`


def definition(analysis: Analysis, offset: int) -> Union[types.Location, None]:
    storyboard = analysis.storyboard
    if storyboard is not None:
        for include in storyboard.includes:
            if include.path_span.start <= offset <= include.path_span.end:
                target = os.path.normpath(os.path.join(os.path.dirname(analysis.path), include.path))
                if os.path.isfile(target):
                    return types.Location(uri=analysis.uri_for(target), range=types.Range(
                        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)))
    name = analysis.name_at(analysis.path, offset)
    if name is None:
        return None
    found = analysis.declarations().get(name)
    if found is None:
        return None
    declaration, source = found
    return types.Location(uri=analysis.uri_for(source.path), range=analysis.lines(source.path).range(declaration.name_span))


def references(analysis: Analysis, offset: int, include_declaration: bool) -> Union[list[types.Location], None]:
    name = analysis.name_at(analysis.path, offset)
    if name is None:
        return None
    return [
        types.Location(uri=analysis.uri_for(found.path), range=analysis.lines(found.path).range(found.span))
        for found in analysis.occurrences(name)
        if include_declaration or not found.is_declaration
    ]


def prepare_rename(analysis: Analysis, offset: int) -> Union[types.Range, None]:
    name = analysis.name_at(analysis.path, offset)
    if name is None or name not in analysis.declarations():
        return None
    for found in analysis.occurrences(name):
        if found.path == analysis.path and found.span.start <= offset <= found.span.end:
            return analysis.lines(found.path).range(found.span)
    return None


class RenameError(ValueError):
    """The new name is not a name the language accepts."""


def rename(analysis: Analysis, offset: int, new_name: str) -> types.WorkspaceEdit:
    """Every occurrence of the name at `offset` renamed; a `RenameError` says why not (the editor shows it)."""
    if not NAME.fullmatch(new_name):
        raise RenameError(f"`{new_name}` is not a name: use letters (of any script), digits, `_` and `-`, starting with a letter")
    name = analysis.name_at(analysis.path, offset)
    declared = analysis.declarations()
    if name is None or name not in declared:
        where = analysis.lines(analysis.path).position(offset)
        at = f"line {where.line + 1}, column {where.character + 1}"
        raise RenameError(f"no declared name at {at} to rename" if name is None else
                          f"`{name}` at {at} is not declared (declare it with `cast {name}: ...` first)")
    if new_name != name and new_name in declared:
        declaration, source = declared[new_name]
        line = analysis.lines(source.path).position(declaration.name_span.start).line + 1
        raise RenameError(f"`{new_name}` is already declared ({os.path.basename(source.path)}:{line}): "
                          "renaming would make two names one")
    changes: dict[str, list[types.TextEdit]] = {}
    for found in analysis.occurrences(name):
        changes.setdefault(analysis.uri_for(found.path), []).append(
            types.TextEdit(range=analysis.lines(found.path).range(found.span), new_text=new_name))
    return types.WorkspaceEdit(changes=changes)


# -- outline


_DECLARATION_KIND = {"cast": types.SymbolKind.Class, "place": types.SymbolKind.Struct,
                     "style": types.SymbolKind.Constant}


def symbols(analysis: Analysis) -> list[types.DocumentSymbol]:
    storyboard = analysis.storyboard
    if storyboard is None:
        return []
    lines = analysis.lines(analysis.path)
    found = []
    for item in storyboard.items:
        if isinstance(item, Setting):
            found.append(types.DocumentSymbol(
                name=item.key, detail=item.value.value, kind=types.SymbolKind.Property,
                range=lines.range(item.span), selection_range=lines.range(item.span)))
        elif isinstance(item, Declaration):
            found.append(types.DocumentSymbol(
                name=item.name, detail=item.kind + (f' "{item.label}"' if item.label is not None else ""),
                kind=_DECLARATION_KIND.get(item.kind, types.SymbolKind.Variable),
                range=lines.range(item.span), selection_range=lines.range(item.name_span)))
        elif isinstance(item, Clip):
            found.append(_clip_symbol(analysis, item))
    return found


def _clip_symbol(analysis: Analysis, clip: Clip) -> types.DocumentSymbol:
    lines = analysis.lines(analysis.path)
    times = analysis.shot_times(clip)
    children = []
    for number, shot in enumerate(clip.shots, 1):
        timed, part = times.get(shot.span.start, (None, None))
        detail = f"[{seconds(timed.start)}-{seconds(timed.end)}s]" if timed else timing(shot.timing)
        if part:
            detail += f" in {part}"
        name = f"shot {number}" + (f" {shot.framing.value}" if shot.framing else "")
        children.append(types.DocumentSymbol(
            name=name, detail=detail, kind=types.SymbolKind.Event,
            range=lines.range(shot.span), selection_range=lines.range(shot.timing.span)))
    detail = clip.kind + (f" {timing(clip.duration)}" if clip.duration else "")
    return types.DocumentSymbol(
        name=clip.name, detail=detail, kind=types.SymbolKind.Module, range=lines.range(clip.span),
        selection_range=lines.range(clip.name_span), children=children or None)


def folding_ranges(analysis: Analysis) -> list[types.FoldingRange]:
    storyboard = analysis.storyboard
    if storyboard is None:
        return []
    lines = analysis.lines(analysis.path)
    found = []

    def add(start: int, end: int, kind: Union[str, None] = None) -> None:
        first, last = lines.line_of(start), lines.line_of(end)
        if last > first:
            found.append(types.FoldingRange(start_line=first, end_line=last, kind=kind))

    for clip in storyboard.clips:
        add(clip.span.start, clip.span.end)
        for line in clip.lines:
            if isinstance(line, Shot):
                add(line.span.start, line.span.end)
    run: list[int] = []
    for comment in analysis.program.entry.comments:
        if not comment.own_line:
            continue
        if run and lines.line_of(comment.span.start) != lines.line_of(run[-1]) + 1:
            add(run[0], run[-1], types.FoldingRangeKind.Comment)
            run = []
        run.append(comment.span.start)
    if run:
        add(run[0], run[-1], types.FoldingRangeKind.Comment)
    return found
