"""Shot framings (wide, 遠景, close-up, 特寫, …), kept as data in `data/framings.json` with their source."""

from __future__ import annotations

from functools import lru_cache
from typing import Union

from ..base import data


def table() -> dict[str, dict[str, object]]:
    framings: dict[str, dict[str, object]] = data.table("framings")["framings"]
    return framings


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for key, entry in table().items():
        index[key] = key
        for alias in entry.get("aliases", ()):  # type: ignore[attr-defined]
            index[str(alias).lower()] = key
    return index


def canonical(word: str) -> Union[str, None]:
    """The framing's canonical key, or None when the word is not a known framing."""
    return _index().get(word.lower())


def name(key: str, language: str) -> str:
    """How the framing is written in the rendered prompt."""
    return str(table()[key].get(language, table()[key]["en"]))


def known() -> list[str]:
    return list(_index())
