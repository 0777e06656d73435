"""Typed storyboard settings. The entry point is `resolve(storyboard, source)`.

What each setting accepts is data (`data/settings.json`); this module only interprets that table.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Union

from . import data
from .diagnostics import Diagnostic, make
from .nodes import Setting, Storyboard
from .source import Source

SettingValue = Union[str, int, bool]


class Settings(NamedTuple):
    """Resolved values, keyed by setting name, with the node each came from."""

    values: dict[str, SettingValue]
    nodes: dict[str, Setting]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def spec() -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = data.table("settings")
    return table


_SWITCH = {"on": True, "off": False, "true": True, "false": False, "yes": True, "no": False}


def resolve(storyboard: Storyboard, source: Source) -> tuple[Settings, list[Diagnostic]]:
    values: dict[str, SettingValue] = {}
    nodes: dict[str, Setting] = {}
    diagnostics: list[Diagnostic] = []
    for setting in storyboard.settings:
        if setting.key in nodes:
            first = source.position(nodes[setting.key].span.start)
            diagnostics.append(make(
                "SB209", f"`{setting.key}` is set twice", source, setting.span,
                label="second value", help=f"keep one; the first is on line {first.line}",
            ))
            continue
        value, problem = _convert(setting)
        nodes[setting.key] = setting
        if problem:
            diagnostics.append(make("SB213", problem[0], source, setting.value.span,
                                    label="invalid value", help=problem[1]))
        else:
            values[setting.key] = value
    return Settings(values, nodes), diagnostics


def _convert(setting: Setting) -> tuple[SettingValue, Union[tuple[str, str], None]]:
    entry = spec()[setting.key]
    raw = setting.value.value
    kind = entry["kind"]
    if kind == "text":
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1]
        return raw, None
    if kind == "word":
        if any(char.isspace() for char in raw):
            return raw, (f"`{setting.key}` takes one word, found `{raw}`", f"for example `{setting.key} {entry['example']}`")
        return raw, None
    if kind == "switch":
        if raw.lower() in _SWITCH:
            return _SWITCH[raw.lower()], None
        return raw, (f"`{setting.key}` is `on` or `off`, found `{raw}`", f"write `{setting.key} on` or `{setting.key} off`")
    if kind == "integer":
        if re.fullmatch(r"-?[0-9]+", raw):
            return int(raw), None
        return raw, (f"`{setting.key}` takes a whole number, found `{raw}`", f"for example `{setting.key} {entry['example']}`")
    if kind == "choice":
        for allowed in entry["values"]:
            if raw.lower() == allowed.lower():
                return allowed, None
        listed = ", ".join(f"`{v}`" for v in entry["values"])
        return raw, (f"`{setting.key}` is one of {listed}, found `{raw}`", f"for example `{setting.key} {entry['example']}`")
    if re.fullmatch(entry["pattern"], raw):
        return raw, None
    hint = f"for example `{setting.key} {entry['example']}`"
    if setting.key == "size" and re.fullmatch(r"[0-9]+\s*[xX×]\s*[0-9]+", raw):
        hint = f"sizes use `*`: `{re.sub(r'[^0-9]+', '*', raw)}`"
    return raw, (f"`{setting.key}` should look like `{entry['example']}`, found `{raw}`", hint)
