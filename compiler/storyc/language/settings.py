"""Typed storyboard settings. The entry points are `resolve(storyboard, source)` for the file's and
`for_clip(settings, clip, source)` for a clip that overrides some of them.

What each setting accepts is data (`data/settings.json`); this module only interprets that table.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Union

from ..base import data
from ..base.diagnostics import Diagnostic, make
from ..base.source import Source
from .nodes import Clip, Setting, Shot, Storyboard

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
    return _merge(Settings({}, {}), storyboard.settings, source)


def own_settings(clip: Clip) -> tuple[Setting, ...]:
    """The setting lines written under a clip."""
    return tuple(line for line in clip.lines if isinstance(line, Setting))


_PICTURE_REPLACES = {"size": {"resolution", "ratio"}}


def for_clip(base: Settings, clip: Clip, source: Source) -> tuple[Settings, list[Diagnostic]]:
    """The file's settings with the clip's own on top (SB209, SB213 and SB220 for its lines)."""
    own = own_settings(clip)
    if not own:
        return base, []
    written = {setting.key for setting in own}
    # The picture is given one way or the other: a clip's `size` replaces the file's `resolution`
    # and `ratio`, and a clip's `resolution` or `ratio` replaces the file's `size`.
    replaced = _PICTURE_REPLACES.get("size" if "size" in written else "", set()) | (
        {"size"} if written & {"resolution", "ratio"} else set())
    if replaced:
        base = Settings({k: v for k, v in base.values.items() if k not in replaced},
                        {k: v for k, v in base.nodes.items() if k not in replaced})
    settings, diagnostics = _merge(base, own, source)
    first_shot = next((line.span.start for line in clip.lines if isinstance(line, Shot)), None)
    for setting in own:
        if first_shot is not None and setting.span.start > first_shot:
            diagnostics.append(make(
                "SB220", f"`{setting.key}` comes after the first shot of {clip.kind} `{clip.name}`",
                source, setting.span, label="setting after a shot",
                help="move it up, under the clip line and before the first `shot`",
            ))
    return settings, diagnostics


def _merge(base: Settings, lines: tuple[Setting, ...], source: Source) -> tuple[Settings, list[Diagnostic]]:
    values: dict[str, SettingValue] = dict(base.values)
    nodes: dict[str, Setting] = dict(base.nodes)
    diagnostics: list[Diagnostic] = []
    written: set[str] = set()
    for setting in lines:
        if setting.key in written:
            first = source.position(nodes[setting.key].span.start)
            diagnostics.append(make(
                "SB209", f"`{setting.key}` is set twice", source, setting.span,
                label="second value", help=f"keep one; the first is on line {first.line}",
            ))
            continue
        value, problem = _convert(setting)
        written.add(setting.key)
        nodes[setting.key] = setting
        if problem:
            values.pop(setting.key, None)
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
