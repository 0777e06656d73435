"""Merging lock files: `story lock merge BASE OURS THEIRS`, git's merge driver for them.

Apart from `lock` (which every render, plan and status reads) so that those need not load it.
"""

from __future__ import annotations

import json
from typing import NamedTuple, TypeVar, Union

from .lock import LockFile, Takes, clip_document


class ClipTakes(NamedTuple):
    """One clip in a merge: its takes and the one selected."""

    select: int
    takes: Takes


class Conflict(NamedTuple):
    ours: ClipTakes
    theirs: ClipTakes


class Merged(NamedTuple):
    text: str  # the merged lock file; with conflict markers around each conflicting clip
    conflicts: tuple[str, ...]  # clips rendered differently on both sides


_Entry = TypeVar("_Entry")


def _three_way(mine: Union[_Entry, None], yours: Union[_Entry, None],
               was: Union[_Entry, None]) -> tuple[Union[_Entry, None], bool]:
    """(the merged value, whether both sides changed it differently)."""
    if mine == yours or yours == was:
        return mine, False
    if mine == was:
        return yours, False
    if mine is None or yours is None:  # removed on one side, rendered again on the other: keep the render
        return mine if mine is not None else yours, False
    return None, True


def _clip_states(lock: LockFile) -> dict[str, ClipTakes]:
    return {name: ClipTakes(lock.clips[name].take, takes) for name, takes in lock.every_take().items()}


def merge_locks(base: LockFile, ours: LockFile, theirs: LockFile) -> Merged:
    """A three-way merge, clip by clip and, within a clip, take by take.

    A take changed on one side only takes that side (a take added on one side is kept, so two branches
    that each rendered more takes of a clip keep all of them); the same take on both sides is kept once;
    a take one side removed and the other re-rendered keeps the render (the lock file is a record of paid
    work; `story render` drops clips the storyboard no longer has). The select merges the same way.
    Two different renders of the same take, or two different selects, are a conflict for that clip alone.
    """
    old, mine_all, yours_all = _clip_states(base), _clip_states(ours), _clip_states(theirs)
    chosen: dict[str, Union[ClipTakes, Conflict]] = {}
    for name in sorted({*old, *mine_all, *yours_all}):
        mine, yours, was = mine_all.get(name), yours_all.get(name), old.get(name)
        kept, clash = _three_way(mine, yours, was)
        if clash and mine is not None and yours is not None:
            merged = _merge_clip(mine, yours, was)
            if merged is None:
                chosen[name] = Conflict(mine, yours)
                continue
            kept = merged
        if kept is not None:
            chosen[name] = kept
    storyboard = theirs.storyboard if ours.storyboard in ("", base.storyboard) else ours.storyboard
    conflicts = tuple(name for name, entry in chosen.items() if isinstance(entry, Conflict))
    return Merged(_merged_text(storyboard, chosen), conflicts)


def _merge_clip(mine: ClipTakes, yours: ClipTakes, was: Union[ClipTakes, None]) -> Union[ClipTakes, None]:
    """Both sides changed a clip: merge take by take; None when one take or the select clashes."""
    before = was.takes if was is not None else {}
    takes: Takes = {}
    for number in sorted({*mine.takes, *yours.takes, *before}):
        entry, clash = _three_way(mine.takes.get(number), yours.takes.get(number), before.get(number))
        if clash:
            return None
        if entry is not None:
            takes[number] = entry
    select, clash = _three_way(mine.select, yours.select, was.select if was is not None else None)
    if clash or not takes:
        return None
    return ClipTakes(select if select in takes else min(takes), takes)


def _merged_text(storyboard: str, chosen: dict[str, Union[ClipTakes, Conflict]]) -> str:
    """`lock_text`'s layout, written clip by clip so that markers can sit around one clip's entry."""
    every = [side.takes for entry in chosen.values()
             for side in ((entry.ours, entry.theirs) if isinstance(entry, Conflict) else (entry,))]
    version = 1 if all(set(takes) == {1} for takes in every) else 2
    lines = ["{", '  "clips": {' if chosen else '  "clips": {},']
    names = list(chosen)
    for index, name in enumerate(names):
        comma = "," if index < len(names) - 1 else ""
        entry = chosen[name]
        if isinstance(entry, Conflict):
            lines += ["<<<<<<< ours", _entry_text(name, entry.ours, version) + comma, "=======",
                      _entry_text(name, entry.theirs, version) + comma, ">>>>>>> theirs"]
        else:
            lines.append(_entry_text(name, entry, version) + comma)
    if chosen:
        lines.append("  },")
    lines += [f'  "storyboard": {json.dumps(storyboard, ensure_ascii=False)},', f'  "version": {version}', "}"]
    return "\n".join(lines) + "\n"


def _entry_text(name: str, clip: ClipTakes, version: int) -> str:
    value = clip_document(clip.takes, clip.select, version)
    body = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).replace("\n", "\n    ")
    return f"    {json.dumps(name, ensure_ascii=False)}: {body}"
