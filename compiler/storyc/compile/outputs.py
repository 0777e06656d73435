"""Where a storyboard's outputs go: `out/<name>`, one folder per storyboard, for every command
that writes one (`compile`, `preview`, `animatic`, `cut`, `export`).

A name mirrors the storyboard's path without `.story`, so that the user recognises it and two
storyboards never share a folder: `storyboards/lantern-thief/main.story` -> `storyboards/lantern-thief/main`.
Paths are taken relative to the current folder; a storyboard outside it keeps as many of its last
path components (at least its folder and its name) as it takes to tell it apart from the others.
"""

from __future__ import annotations

import os
from typing import Sequence

OUTPUT_ROOT = "out"


def output_names(paths: Sequence[str]) -> dict[str, str]:
    """The folder name of each storyboard path, distinct for distinct files."""
    names: dict[str, str] = {}
    outside: dict[str, list[str]] = {}
    for path in paths:
        stem = os.path.abspath(os.path.splitext(path)[0])
        try:
            relative = os.path.relpath(stem)
        except ValueError:  # another drive
            relative = os.pardir
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            outside[path] = [part for part in stem.split(os.sep) if part]
        else:
            names[path] = relative
    for path, parts in outside.items():
        keep = 2
        inside = set(names.values())
        while keep < len(parts) and (os.path.join(*parts[-keep:]) in inside or any(
            other != path and other_parts[-keep:] == parts[-keep:] for other, other_parts in outside.items()
        )):
            keep += 1
        names[path] = os.path.join(*parts[-keep:])
    return names


def output_folder(path: str) -> str:
    """The folder a command writes one storyboard's outputs to by default: `out/<name>`."""
    return os.path.join(OUTPUT_ROOT, output_names([path])[path])
