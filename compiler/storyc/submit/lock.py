"""The lock file meant for git: `<storyboard>.lock` beside the storyboard.

Per clip it records what was generated and what it cost — request hash, model, region, seed, task id,
the video (relative to the lock file) and its sha256, seconds billed and cost — sorted by clip
name, with no secrets and no absolute paths, so a team reviews generation and spending in a diff.
Written whole through a temporary file and `os.replace`, with the permissions of any source file.

The lock file is an input like the storyboard: a teammate, a merge or a hand edit may have changed
it. `read_lock` validates it against `schemas/lock-v<version>.schema.json` and checks each video path
(relative, inside the lock file's folder after symlinks, a regular file when present); anything else
is a `LockError` whose message starts with `file:line:`. Nothing reads a lock file any other way.

Versions: each version a storyc can read has a schema and a reader in `_READERS`, which turns it into
the one in-memory `LockFile`. Version 2 records takes: per clip, every take rendered and the one
selected (`{"select": 2, "takes": [{"take": 1, ...}, {"take": 2, ...}]}`). `lock_text` writes version 1
while every clip has its first take only (so a project without takes keeps its lock file as it was,
readable by an older storyc) and version 2 as soon as one clip has another take or select.
"""

from __future__ import annotations

import json
import os
import re
import stat
from typing import Any, Callable, NamedTuple, Union

from ..base.paths import write_atomically

LOCK_VERSION = 2  # the newest version written; version 1 is still written when no clip has takes
MAX_LOCK_BYTES = 16 * 1024 * 1024  # thousands of clips fit in well under a megabyte
SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
CONFLICT_MARKERS = ("<<<<<<<", "|||||||", "=======", ">>>>>>>")
_CLIP_NAME = re.compile(r"[^\W\d][\w-]*")  # NAME in grammar/story.lark
_SHOWN = 60  # characters of a bad value quoted in a message


class LockedClip(NamedTuple):
    request: str  # "sha256:<hex>" of the request as compiled (see journal.request_hash)
    model: str
    region: str
    seed: Union[int, None]
    task_id: str
    video: str  # relative to the lock file's folder, "/" separated
    sha256: str  # of the video file
    seconds_billed: float
    cost: Union[float, None]  # None when the price is unknown
    currency: str
    emulated: bool = False  # made by the built-in emulator (offline), not paid for; a real run redoes it
    take: int = 1  # which take of the clip (compile/takes.py); 1 is the clip's request as compiled


Takes = dict[int, LockedClip]  # a clip's takes by number


class LockFile(NamedTuple):
    storyboard: str  # the storyboard's file name, relative to the lock file's folder
    clips: dict[str, LockedClip]  # the selected take of each clip: what cut, export and preview use
    takes: Union[dict[str, Takes], None] = None  # every take of each clip; None: the selected ones only

    def every_take(self) -> dict[str, Takes]:
        if self.takes is not None:
            return self.takes
        return {name: {clip.take: clip} for name, clip in self.clips.items()}


def lock_with_takes(storyboard: str, takes: dict[str, Takes], selects: dict[str, int]) -> LockFile:
    """A lock file from every clip's takes and the take each selects (its lowest when the select is gone)."""
    kept = {name: found for name, found in takes.items() if found}
    chosen = {name: found.get(selects.get(name, 0)) or found[min(found)] for name, found in kept.items()}
    return LockFile(storyboard, chosen, kept)


def select_problem(lock: Union[LockFile, None], path: str, clip: str, take: int) -> Union[str, None]:
    """Why `take` of `clip` cannot be selected in the lock file at `path` (None when it can)."""
    if lock is None:
        return f"{_printable(path)}: there is no lock file yet; render first (`story render --takes N`)"
    takes = lock.every_take()
    if clip not in takes:
        known = ", ".join(f"`{name}`" for name in sorted(takes)) or "none"
        return f"{_printable(path)}: no clip `{_shown(clip)}` is rendered (rendered clips: {known})"
    if take not in takes[clip]:
        known = ", ".join(str(number) for number in sorted(takes[clip]))
        return (f"{_printable(path)}: clip `{clip}` has no take {take} (its takes: {known}); render more with "
                f"`story render --takes {take}`")
    return None


def select_take(lock: LockFile, clip: str, take: int) -> LockFile:
    """The same lock file with `take` selected for `clip` (both must be in it: see `select_problem`)."""
    selects = {name: entry.take for name, entry in lock.clips.items()}
    selects[clip] = take
    return lock_with_takes(lock.storyboard, lock.every_take(), selects)


class LockError(Exception):
    """A lock file that cannot be read or does not follow the format; the message starts `file:line:`."""


def lock_path(storyboard_path: str) -> str:
    """`scenes/chase.story` -> `scenes/chase.lock`."""
    return os.path.splitext(storyboard_path)[0] + ".lock"


def read_lock(path: str) -> Union[LockFile, None]:
    """The lock file at `path`, validated, or None when there is none."""
    from ..base.paths import FileProblem, read_bytes

    try:
        data = read_bytes(path, limit=MAX_LOCK_BYTES)
    except FileProblem as problem:
        if not os.path.lexists(path):
            return None
        raise LockError(f"{_printable(path)}: cannot read the lock file: {problem}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise LockError(f"{_printable(path)}:{line}: the lock file is not UTF-8 text (byte {error.start})") from None
    return parse_lock(text, path)


def parse_lock(text: str, path: str, check_files: bool = True) -> LockFile:
    """Validate the text of a lock file; `path` names it in messages and anchors its video paths."""
    document = _document(text, path)
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise LockError(f"{_printable(path)}:{_line_of(text, ('version',))}: the lock file has no version number "
                        f"(`\"version\": {LOCK_VERSION}`); is it a storyc lock file?")
    if version not in _READERS:
        newest = max(_READERS)
        advice = "upgrade storyc to read it" if version > newest else "it was not written by storyc"
        raise LockError(f"{_printable(path)}:{_line_of(text, ('version',))}: lock file version {version} is unknown; this "
                        f"storyc reads versions {', '.join(map(str, sorted(_READERS)))}: {advice}")
    _validate(document, version, text, path)
    try:
        lock = _READERS[version](document)
    except _TakeProblem as problem:
        raise LockError(f"{_printable(path)}:{_line_of(text, ('clips', problem.clip))}: clip `{_shown(problem.clip)}`: "
                        f"{problem.message}") from None
    _check_clips(lock, text, path, check_files)
    return lock


def _document(text: str, path: str) -> Any:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(CONFLICT_MARKERS) and (len(line) == 7 or line[7] == " "):
            raise LockError(
                f"{_printable(path)}:{number}: the lock file holds git conflict markers (`{line[:7]}`): a merge left both "
                "sides. Each side's entry is a paid render: keep one entry per clip between `<<<<<<<` and "
                "`>>>>>>>`, delete the markers, then `git add` the file; `story lock merge` resolves this "
                "by itself when set up as git's merge driver (docs/render.md)")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _Duplicate as duplicate:
        raise LockError(f"{_printable(path)}:{_second_line(text, duplicate.key)}: `{_shown(duplicate.key)}` appears twice; "
                        "keep one of the two entries") from None
    except json.JSONDecodeError as error:
        raise LockError(f"{_printable(path)}:{error.lineno}:{error.colno}: the lock file is not valid JSON: {error.msg}; "
                        f"fix it by hand, or restore it with `git checkout -- {_printable(path)}`") from None
    except (ValueError, RecursionError) as error:
        raise LockError(f"{_printable(path)}: the lock file is not valid JSON: {str(error)[:_SHOWN]}") from None


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _Duplicate(key)
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _schema(version: int) -> dict[str, Any]:
    from ..compile.schema import load

    return load(os.path.join(SCHEMAS, f"lock-v{version}.schema.json"))


def _validate(document: Any, version: int, text: str, path: str) -> None:
    from ..compile.schema import errors

    schema = _schema(version)
    for where, message in errors(document, schema):
        raise LockError(f"{_printable(path)}:{_line_of(text, where)}: {_explain(document, schema, where, message)}")


def _explain(document: Any, schema: dict[str, Any], where: tuple[Union[str, int], ...], message: str) -> str:
    """A schema error in the lock file's own words: the clip, the field, what it must be, what it is."""
    clip = f"clip `{_shown(str(where[1]))}`: " if len(where) >= 2 and where[0] == "clips" else ""
    if len(where) >= 4 and where[2] == "takes" and isinstance(where[3], int):
        clip += f"take {where[3] + 1} in `takes`: "
    named = [step for step in where[2:] if isinstance(step, str)]
    field = named[-1] if named else (where[0] if len(where) == 1 else None)
    if message.endswith("is a required property"):
        return f"{clip}missing `{message.split(chr(39))[1]}`"
    if message.startswith("additional property"):
        return f"{clip}unknown field `{_shown(message.split(chr(39))[1])}`"
    rule: Any = schema
    value: Any = document
    for step in where:
        if isinstance(step, int):
            rule = rule.get("items", {}) if isinstance(rule, dict) else {}
            value = value[step] if isinstance(value, list) and 0 <= step < len(value) else None
            continue
        properties = rule.get("properties", {}) if isinstance(rule, dict) else {}
        rule = properties.get(step, rule.get("additionalProperties", {}) if isinstance(rule, dict) else {})
        value = value.get(step) if isinstance(value, dict) else None
    description = rule.get("description") if isinstance(rule, dict) else None
    name = f"`{field}`" if field is not None else "the lock file"
    shown = json.dumps(value, ensure_ascii=True)
    shown = shown if len(shown) <= _SHOWN else shown[:_SHOWN] + "..."
    return f"{clip}{name} {description or 'is not valid'}, not {shown}"


def _shown(text: str) -> str:
    """Text from the file, safe to print: control characters escaped, cut short."""
    escaped = _printable(text)
    return escaped if len(escaped) <= _SHOWN else escaped[:_SHOWN] + "..."


def _printable(text: str) -> str:
    """A file name or value with control characters (line breaks too) escaped, for a one-line message."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def _line_of(text: str, where: tuple[Union[str, int], ...]) -> int:
    """The line of the deepest key of `where` found in order in the text (1 when none is)."""
    position = 0
    found = 0
    for step in where:
        if not isinstance(step, str):
            continue
        match = re.compile(re.escape(json.dumps(step, ensure_ascii=False)) + r"\s*:").search(text, position)
        if match is None:
            break
        position = found = match.start()
    return text.count("\n", 0, found) + 1


def _second_line(text: str, key: str) -> int:
    pattern = re.compile(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:")
    matches = list(pattern.finditer(text))
    return text.count("\n", 0, matches[1].start()) + 1 if len(matches) > 1 else 1


def _entry(fields: dict[str, Any]) -> LockedClip:
    return LockedClip(**{**fields, "seconds_billed": float(fields["seconds_billed"]),
                         "cost": None if fields["cost"] is None else float(fields["cost"]),
                         "seed": None if fields["seed"] is None else int(fields["seed"])})


def _read_v1(document: dict[str, Any]) -> LockFile:
    clips = {name: _entry(fields) for name, fields in document["clips"].items()}
    return LockFile(document["storyboard"], clips)


def _read_v2(document: dict[str, Any]) -> LockFile:
    takes: dict[str, Takes] = {}
    selects: dict[str, int] = {}
    for name, clip in document["clips"].items():
        found: Takes = {}
        for fields in clip["takes"]:
            entry = _entry(fields)
            if entry.take in found:
                raise _TakeProblem(name, f"take {entry.take} appears twice in `takes`; keep one of the two entries")
            found[entry.take] = entry
        if clip["select"] not in found:
            raise _TakeProblem(name, f"`select` is take {clip['select']}, which is not in `takes` "
                               f"(takes {', '.join(map(str, sorted(found)))}); select one of them")
        takes[name], selects[name] = found, clip["select"]
    return lock_with_takes(document["storyboard"], takes, selects)


class _TakeProblem(ValueError):
    def __init__(self, clip: str, message: str) -> None:
        super().__init__(message)
        self.clip = clip
        self.message = message


# version -> reader to the in-memory LockFile; a new version adds its schema file and a reader here
_READERS: dict[int, Callable[[dict[str, Any]], LockFile]] = {1: _read_v1, 2: _read_v2}


def _check_clips(lock: LockFile, text: str, path: str, check_files: bool) -> None:
    if not _relative_path(lock.storyboard):
        raise LockError(f"{_printable(path)}:{_line_of(text, ('storyboard',))}: `storyboard` must be a relative path "
                        f"without `..`, not `{_shown(lock.storyboard)}`")
    root = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    for name, takes in lock.every_take().items():
        if _CLIP_NAME.fullmatch(name) is None or len(name) > 200:
            raise LockError(f"{_printable(path)}:{_line_of(text, ('clips', name))}: `{_shown(name)}` is not a clip "
                            "name (a letter, then letters, digits, `_` and `-`)")
        for clip in takes.values():
            _check_video(name, clip, text, path, root, check_files)


def _check_video(name: str, clip: LockedClip, text: str, path: str, root: str, check_files: bool) -> None:
    """One take's video path: relative, `/` separated, inside the lock file's folder, a regular file."""
    which = f"clip `{name}`" + (f" take {clip.take}" if clip.take != 1 else "")
    if not _relative_path(clip.video):
        raise LockError(f"{_where_video(text, path, name, clip.video)}: {which}: `video` must be a path relative "
                        f"to the lock file, `/` separated, without `..`, not `{_shown(clip.video)}`")
    if check_files:
        problem = video_problem(root, clip.video)
        if problem:
            raise LockError(f"{_where_video(text, path, name, clip.video)}: {which}: `video` "
                            f"`{_shown(clip.video)}` {problem}")


def _where_video(text: str, path: str, name: str, video: str) -> str:
    """`path:line` of a take's video, for a message (found only then: a regex per clip costs a valid
    lock file's reading more than the rest of it)."""
    return f"{_printable(path)}:{_video_line(text, name, video)}"


def _video_line(text: str, name: str, video: str) -> int:
    """The line of `"video": <video>` under the clip (the clip's first `video` when not found)."""
    start = text.find(json.dumps(name, ensure_ascii=False) + ":")
    pattern = re.compile(r'"video"\s*:\s*' + re.escape(json.dumps(video, ensure_ascii=False)))
    match = pattern.search(text, max(start, 0))
    return text.count("\n", 0, match.start()) + 1 if match else _line_of(text, ("clips", name, "video"))


def _relative_path(value: str) -> bool:
    parts = value.split("/")
    return not value.startswith("/") and ":" not in parts[0] and all(part not in ("", ".", "..") for part in parts)


def video_problem(root: str, video: str) -> Union[str, None]:
    """Why a lock file's video path cannot be read as a render (None when it can, or is simply absent).

    `root` is the lock file's folder, resolved; the path must stay inside it once symlinks are followed
    and, when it exists, be a regular file (never a FIFO or a device a hash would read forever).
    """
    from ..base.paths import contains, kind

    full = os.path.join(root, *video.split("/"))
    real = os.path.realpath(full)
    if not contains(root, real):
        return f"leads outside the lock file's folder (to `{_shown(real)}`)"
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return None  # not rendered here (yet): the clip is simply not cached
    if not stat.S_ISREG(mode):
        return f"is {kind(mode)}, not a regular file"
    return None


def lock_version(takes: dict[str, Takes]) -> int:
    """1 while every clip has its first take only; 2 once a clip has another take."""
    return 1 if all(set(found) == {1} for found in takes.values()) else 2


def clip_document(found: Takes, select: int, version: int) -> dict[str, Any]:
    """One clip's value in the lock file: its entry (version 1) or its select and takes (version 2)."""
    if version == 1:
        entry = found[1]._asdict()
        del entry["take"]
        return entry
    return {"select": select, "takes": [found[number]._asdict() for number in sorted(found)]}


def committed_video(lock: LockFile, path: str, clip: str, request: str, emulated: bool,
                    take: int = 1) -> Union[str, None]:
    """The video the lock file at `path` records for take `take` of `clip`, when that entry is for this
    request (made offline or not, as asked) and the file is there with the recorded sha256; else None."""
    from .journal import file_sha256

    entry = lock.every_take().get(clip, {}).get(take)
    if entry is None or entry.request != request or entry.emulated != emulated:
        return None
    video = os.path.join(os.path.dirname(os.path.abspath(path)), *entry.video.split("/"))
    try:
        return video if file_sha256(video) == entry.sha256 else None
    except OSError:  # not there: this clip is not rendered here
        return None


def lock_document(lock: LockFile) -> dict[str, Any]:
    takes = lock.every_take()
    version = lock_version(takes)
    return {
        "version": version,
        "storyboard": lock.storyboard,
        "clips": {name: clip_document(takes[name], lock.clips[name].take, version) for name in sorted(takes)},
    }


def lock_text(lock: LockFile) -> str:
    """Deterministic text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(lock_document(lock), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_lock(path: str, lock: LockFile) -> None:
    """Replace the lock file in one step; a new one gets the mode any new file would (the umask's)."""
    replace_text(path, lock_text(lock))


def replace_text(path: str, text: str) -> None:
    """Write `text` to a temporary file beside `path` (`.lock-*`, which `story render` sweeps after a
    kill), give it `path`'s permissions, and move it over `path` in one step."""
    write_atomically(path, text, prefix=".lock-", suffix="")


def read_for_merge(path: str) -> LockFile:
    """One side of a merge as git hands it over (a temporary copy, so its video paths are not checked).

    An empty file (git's BASE when both sides added the lock file) holds no clips.
    """
    from ..base.paths import FileProblem, read_bytes

    try:
        text = read_bytes(path, limit=MAX_LOCK_BYTES).decode("utf-8")
    except (FileProblem, UnicodeDecodeError) as error:
        raise LockError(f"{_printable(path)}: cannot read the lock file: {error}") from None
    if not text.strip():
        return LockFile("", {})
    return parse_lock(text, path, check_files=False)
