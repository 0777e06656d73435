"""The package's data files (JSON), read once each: `table("settings")` is data/settings.json.

The JSON files are the data. Beside them, `_json.marshal` holds each file's bytes and its parsed value
in `marshal`'s format, which loads several times faster than JSON parses and needs no `json` import
(about 2 ms of `story check`'s start). A value is taken from it only when the bytes it holds are those
of the file now; otherwise (a file edited since, another Python's marshal format) the file is parsed
as JSON, so a stale copy costs time, never correctness. `python -m storyc.base.data` rewrites it
(and the tests fail while it is stale).
"""

from __future__ import annotations

import marshal
import os
import sys
from functools import cache
from typing import Any, Iterable

HERE = os.path.dirname(__file__)
CACHE = "_json.marshal"


@cache
def table(name: str) -> Any:
    return read_json(os.path.join(HERE, f"{name}.json"))


def read_json(path: str) -> Any:
    """The value of the JSON file at `path`, from its folder's marshal copy when that is current."""
    with open(path, "rb") as handle:
        raw = handle.read()
    kept = _copies(os.path.dirname(path)).get(os.path.basename(path))
    if kept is not None and kept[0] == raw:
        return kept[1]
    import json

    return json.loads(raw.decode("utf-8"))


@cache
def _copies(folder: str) -> dict[str, tuple[bytes, Any]]:
    """The folder's `_json.marshal`: file name -> (its bytes, its value); empty when unreadable."""
    try:
        with open(os.path.join(folder, CACHE), "rb") as handle:
            copies = marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return copies if isinstance(copies, dict) else {}


def cache_bytes(folder: str, names: Iterable[str]) -> bytes:
    """What `_json.marshal` in `folder` should hold for these JSON files."""
    import json

    copies = {}
    for name in sorted(names):
        with open(os.path.join(folder, name), "rb") as handle:
            raw = handle.read()
        copies[name] = (raw, json.loads(raw.decode("utf-8")))
    return marshal.dumps(copies)


def is_current(folder: str, names: Iterable[str]) -> bool:
    """Whether the folder's copy holds exactly these files as they are now (compared by value, so
    that another Python's marshal output, equal in content, counts as current)."""
    _copies.cache_clear()
    wanted = marshal.loads(cache_bytes(folder, names))
    return bool(_copies(folder) == wanted)


def write_cache(folder: str, names: Iterable[str]) -> None:
    with open(os.path.join(folder, CACHE), "wb") as handle:
        handle.write(cache_bytes(folder, names))
    _copies.cache_clear()


def json_names(folder: str) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".json"))


def main(argv: list[str]) -> int:
    """`python -m storyc.base.data [check]`: rewrite (or check) this folder's marshal copy."""
    if argv == ["check"]:
        if not is_current(HERE, json_names(HERE)):
            print(f"{os.path.join(HERE, CACHE)} is stale: run python -m storyc.base.data")
            return 1
        return 0
    if argv:
        print("usage: python -m storyc.base.data [check]", file=sys.stderr)
        return 2
    write_cache(HERE, json_names(HERE))
    return 0
