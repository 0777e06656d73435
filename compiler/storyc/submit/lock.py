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
the one in-memory `LockFile`; `lock_text` always writes `LOCK_VERSION`. A later version (takes per
clip and a selected take) adds a schema and a reader, and version 1 files stay readable.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from typing import Any, Callable, NamedTuple, Union

LOCK_VERSION = 1
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


class LockFile(NamedTuple):
    storyboard: str  # the storyboard's file name, relative to the lock file's folder
    clips: dict[str, LockedClip]


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
        raise LockError(f"{path}: cannot read the lock file: {problem}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise LockError(f"{path}:{line}: the lock file is not UTF-8 text (byte {error.start})") from None
    return parse_lock(text, path)


def parse_lock(text: str, path: str, check_files: bool = True) -> LockFile:
    """Validate the text of a lock file; `path` names it in messages and anchors its video paths."""
    document = _document(text, path)
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise LockError(f"{path}:{_line_of(text, ('version',))}: the lock file has no version number "
                        f"(`\"version\": {LOCK_VERSION}`); is it a storyc lock file?")
    if version not in _READERS:
        newest = max(_READERS)
        advice = "upgrade storyc to read it" if version > newest else "it was not written by storyc"
        raise LockError(f"{path}:{_line_of(text, ('version',))}: lock file version {version} is unknown; this "
                        f"storyc reads versions {', '.join(map(str, sorted(_READERS)))}: {advice}")
    _validate(document, version, text, path)
    lock = _READERS[version](document)
    _check_clips(lock, text, path, check_files)
    return lock


def _document(text: str, path: str) -> Any:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(CONFLICT_MARKERS) and (len(line) == 7 or line[7] == " "):
            raise LockError(
                f"{path}:{number}: the lock file holds git conflict markers (`{line[:7]}`): a merge left both "
                "sides. Each side's entry is a paid render: keep one entry per clip between `<<<<<<<` and "
                "`>>>>>>>`, delete the markers, then `git add` the file; `story lock merge` resolves this "
                "by itself when set up as git's merge driver (docs/render.md)")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _Duplicate as duplicate:
        raise LockError(f"{path}:{_second_line(text, duplicate.key)}: `{_shown(duplicate.key)}` appears twice; "
                        "keep one of the two entries") from None
    except json.JSONDecodeError as error:
        raise LockError(f"{path}:{error.lineno}:{error.colno}: the lock file is not valid JSON: {error.msg}; "
                        "fix it by hand, or restore it with `git checkout -- FILE`") from None
    except (ValueError, RecursionError) as error:
        raise LockError(f"{path}: the lock file is not valid JSON: {str(error)[:_SHOWN]}") from None


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
        raise LockError(f"{path}:{_line_of(text, where)}: {_explain(document, schema, where, message)}")


def _explain(document: Any, schema: dict[str, Any], where: tuple[Union[str, int], ...], message: str) -> str:
    """A schema error in the lock file's own words: the clip, the field, what it must be, what it is."""
    clip = f"clip `{_shown(str(where[1]))}`: " if len(where) >= 2 and where[0] == "clips" else ""
    field = where[2] if len(where) >= 3 else (where[0] if len(where) == 1 else None)
    if message.endswith("is a required property"):
        return f"{clip}missing `{message.split(chr(39))[1]}`"
    if message.startswith("additional property"):
        return f"{clip}unknown field `{_shown(message.split(chr(39))[1])}`"
    rule: Any = schema
    value: Any = document
    for step in where:
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
    escaped = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    return escaped if len(escaped) <= _SHOWN else escaped[:_SHOWN] + "..."


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


def _read_v1(document: dict[str, Any]) -> LockFile:
    clips = {
        name: LockedClip(**{**fields, "seconds_billed": float(fields["seconds_billed"]),
                            "cost": None if fields["cost"] is None else float(fields["cost"]),
                            "seed": None if fields["seed"] is None else int(fields["seed"])})
        for name, fields in document["clips"].items()
    }
    return LockFile(document["storyboard"], clips)


# version -> reader to the in-memory LockFile; a new version adds its schema file and a reader here
_READERS: dict[int, Callable[[dict[str, Any]], LockFile]] = {1: _read_v1}


def _check_clips(lock: LockFile, text: str, path: str, check_files: bool) -> None:
    if not _relative_path(lock.storyboard):
        raise LockError(f"{path}:{_line_of(text, ('storyboard',))}: `storyboard` must be a relative path "
                        f"without `..`, not `{_shown(lock.storyboard)}`")
    root = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    for name, clip in lock.clips.items():
        where = f"{path}:{_line_of(text, ('clips', name))}"
        if _CLIP_NAME.fullmatch(name) is None or len(name) > 200:
            raise LockError(f"{where}: `{_shown(name)}` is not a clip name (a letter, then letters, digits, "
                            "`_` and `-`)")
        if not _relative_path(clip.video):
            raise LockError(f"{path}:{_line_of(text, ('clips', name, 'video'))}: clip `{name}`: `video` must be a path relative to the lock file, `/` "
                            f"separated, without `..`, not `{_shown(clip.video)}`")
        if check_files:
            problem = video_problem(root, clip.video)
            if problem:
                raise LockError(f"{path}:{_line_of(text, ('clips', name, 'video'))}: clip `{name}`: `video` "
                                f"`{_shown(clip.video)}` {problem}")


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


def lock_document(lock: LockFile) -> dict[str, Any]:
    return {
        "version": LOCK_VERSION,
        "storyboard": lock.storyboard,
        "clips": {name: lock.clips[name]._asdict() for name in sorted(lock.clips)},
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
    folder = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(prefix=".lock-", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _mode_for(path: str) -> int:
    """The replaced file's permissions; for a new file what `open` would give it (0666 less the umask)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


# -- merging: `story lock merge BASE OURS THEIRS`, git's merge driver -----------------------------------
class Conflict(NamedTuple):
    ours: LockedClip
    theirs: LockedClip


class Merged(NamedTuple):
    text: str  # the merged lock file; with conflict markers around each conflicting clip
    conflicts: tuple[str, ...]  # clips rendered differently on both sides


def merge_locks(base: LockFile, ours: LockFile, theirs: LockFile) -> Merged:
    """A three-way merge, clip by clip.

    A clip changed on one side only takes that side (an entry added on one side is kept); the same
    entry on both sides is kept once; an entry one side removed and the other re-rendered keeps the
    render (the lock file is a record of paid work; `story render` drops clips the storyboard no longer
    has). Two different renders of the same clip stay a conflict for that clip alone.
    """
    old = base.clips
    chosen: dict[str, Union[LockedClip, Conflict]] = {}
    for name in sorted({*old, *ours.clips, *theirs.clips}):
        mine, yours, was = ours.clips.get(name), theirs.clips.get(name), old.get(name)
        if mine == yours or yours == was:
            kept = mine
        elif mine == was:
            kept = yours
        elif mine is None or yours is None:
            kept = mine or yours
        else:
            chosen[name] = Conflict(mine, yours)
            continue
        if kept is not None:
            chosen[name] = kept
    storyboard = theirs.storyboard if ours.storyboard in ("", base.storyboard) else ours.storyboard
    conflicts = tuple(name for name, entry in chosen.items() if isinstance(entry, Conflict))
    return Merged(_merged_text(storyboard, chosen), conflicts)


def _merged_text(storyboard: str, chosen: dict[str, Union[LockedClip, Conflict]]) -> str:
    """`lock_text`'s layout, written clip by clip so that markers can sit around one clip's entry."""
    lines = ["{", '  "clips": {' if chosen else '  "clips": {},']
    names = list(chosen)
    for index, name in enumerate(names):
        comma = "," if index < len(names) - 1 else ""
        entry = chosen[name]
        if isinstance(entry, Conflict):
            lines += ["<<<<<<< ours", _entry_text(name, entry.ours) + comma, "=======",
                      _entry_text(name, entry.theirs) + comma, ">>>>>>> theirs"]
        else:
            lines.append(_entry_text(name, entry) + comma)
    if chosen:
        lines.append("  },")
    lines += [f'  "storyboard": {json.dumps(storyboard, ensure_ascii=False)},', f'  "version": {LOCK_VERSION}', "}"]
    return "\n".join(lines) + "\n"


def _entry_text(name: str, clip: LockedClip) -> str:
    body = json.dumps(clip._asdict(), ensure_ascii=False, indent=2, sort_keys=True).replace("\n", "\n    ")
    return f"    {json.dumps(name, ensure_ascii=False)}: {body}"


def read_for_merge(path: str) -> LockFile:
    """One side of a merge as git hands it over (a temporary copy, so its video paths are not checked).

    An empty file (git's BASE when both sides added the lock file) holds no clips.
    """
    from ..base.paths import FileProblem, read_bytes

    try:
        text = read_bytes(path, limit=MAX_LOCK_BYTES).decode("utf-8")
    except (FileProblem, UnicodeDecodeError) as error:
        raise LockError(f"{path}: cannot read the lock file: {error}") from None
    if not text.strip():
        return LockFile("", {})
    return parse_lock(text, path, check_files=False)
