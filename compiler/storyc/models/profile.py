"""Model profiles: every limit, wire detail and price of a model, kept as data.

The built-in profiles are YAML files in `profiles/`, compiled into `profiles/_builtin.json` by
`python -m storyc.models.profile build` (the test suite fails while it is stale), which also writes its
marshal copy (`profiles/_json.marshal`, see `storyc.base.data`). `story check` reads only that copy
(or the JSON), so neither yaml nor jsonschema nor json is imported at start-up; a folder of user profiles
(`--profiles DIR` or `STORYC_PROFILES`) is read as YAML and validated against
`profiles/profile.schema.json`, and a malformed one is reported with its file and key path.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import Any, Iterable, Mapping, Union

from ..base.data import read_json

PROFILES = os.path.join(os.path.dirname(__file__), "profiles")
BUILTIN = os.path.join(PROFILES, "_builtin.json")
SCHEMA = os.path.join(PROFILES, "profile.schema.json")
DEFAULT_MODEL = "wan2.7-t2v"


class ProfileError(Exception):
    """A user profile that cannot be used; the message names the file and the key path."""


class Profile:
    """One model's profile; the raw data is kept, with typed accessors for what rules need."""

    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def protocol(self) -> str:
        return str(self.data["protocol"])

    @property
    def duration(self) -> dict[str, Any]:
        return self.data["duration"]  # type: ignore[no-any-return]

    def accepts_duration(self, seconds: int) -> bool:
        rule = self.duration
        if "fixed" in rule:
            return bool(seconds == rule["fixed"])
        if "values" in rule:
            return bool(seconds in rule["values"])
        return bool(rule["min"] <= seconds <= rule["max"])

    @property
    def longest(self) -> int:
        rule = self.duration
        return int(rule.get("fixed") or max(rule.get("values") or [rule["max"]]))

    def describe_durations(self) -> str:
        rule = self.duration
        if "fixed" in rule:
            return f"always {rule['fixed']}s"
        if "values" in rule:
            return " or ".join(f"{value}s" for value in rule["values"])
        return f"{rule['min']}-{rule['max']}s in whole seconds"

    @property
    def resolution(self) -> dict[str, Any]:
        return self.data["resolution"]  # type: ignore[no-any-return]

    def sizes(self) -> dict[str, tuple[str, str]]:
        """Every output size, `W*H` -> (tier, ratio)."""
        return {
            size: (tier, ratio)
            for tier, by_ratio in self.resolution["pixels"].items()
            for ratio, size in by_ratio.items()
        }

    @property
    def audio(self) -> dict[str, Any]:
        return self.data["audio"]  # type: ignore[no-any-return]

    @property
    def multi_shot(self) -> str:
        return str(self.data["multi_shot"])

    @property
    def regions(self) -> list[str]:
        """The regions that offer the model, in the profile's order."""
        return [str(region) for region in self.data["regions"]]

    def offered_in(self, region: str) -> bool:
        return region in self.data["regions"]

    @property
    def media(self) -> Union[dict[str, Any], None]:
        """The media inputs the model takes (roles, modes, labels, billing), or None: text only."""
        return self.data.get("media")

    @property
    def family(self) -> str:
        """`wan2.7` for `wan2.7-r2v-2026-06-12`: what `model wan2.7` lets storyc choose within."""
        return self.id.split("-", 1)[0]

    @property
    def dated(self) -> bool:
        """A dated snapshot (`…-2026-04-25`) rather than the rolling id."""
        return self.id[-11:-10] == "-" and self.id[-10:-6].isdigit()

    def takes_text_only(self) -> bool:
        """True when a clip without media inputs is a request this model takes."""
        media = self.media
        return media is None or any(not mode["roles"] for mode in media["modes"])

    def sends_resolution(self) -> bool:
        """The picture goes out as a `resolution` tier (new protocol, legacy image-to-video), not a `size`."""
        return self.protocol == "new" or self.resolution.get("sent_as") == "resolution"

    def id_in(self, region: str) -> str:
        """The id the model goes by in a region (`wanx2.1-t2v-plus` is `wan2.1-t2v-plus` in Singapore)."""
        return str(self.data.get("region_ids", {}).get(region, self.id))

    def __repr__(self) -> str:
        return f"Profile({self.id!r})"


@lru_cache(maxsize=1)
def builtin() -> dict[str, Profile]:
    table: dict[str, dict[str, Any]] = read_json(BUILTIN)
    return {model: Profile(data) for model, data in table.items()}


class Catalog:
    """The profiles in force: the built-in ones, then any user folder on top."""

    def __init__(self, profiles: Mapping[str, Profile]) -> None:
        self.profiles = dict(profiles)
        self.aliases = {
            alias: profile.id
            for profile in self.profiles.values()
            for alias in profile.data.get("region_ids", {}).values()
        }

    def get(self, model: str) -> Union[Profile, None]:
        """The model's profile; for a family (`wan2.7`), the member that makes video from text alone
        (each clip may then be given another member: check.media.pick)."""
        found = self.profiles.get(self.aliases.get(model, model))
        if found is None:
            members = self.family(model)
            found = next((p for p in members if p.takes_text_only()), members[0] if members else None)
        return found

    def family(self, name: str) -> list[Profile]:
        """The rolling models of a family (`wan2.7`: wan2.7-t2v, -i2v, -r2v), shortest ids first; [] for a
        model id or an unknown name."""
        if name in self.profiles or name in self.aliases:
            return []
        members = [p for p in self.profiles.values() if p.family == name and not p.dated]
        return sorted(members, key=lambda p: (len(p.id), p.id))

    def ids(self) -> list[str]:
        return sorted([*self.profiles, *self.aliases])

    def closest(self, model: str) -> Union[str, None]:
        import difflib

        found = difflib.get_close_matches(model, self.ids(), n=1, cutoff=0.5)
        return found[0] if found else None


def catalog(user_folder: Union[str, None] = None) -> Catalog:
    """Built-in profiles, overlaid with the YAML profiles of `user_folder` (or $STORYC_PROFILES)."""
    folder = user_folder or os.environ.get("STORYC_PROFILES")
    profiles = dict(builtin())
    if folder:
        profiles.update(load_folder(folder))
    return Catalog(profiles)


def load_folder(folder: str) -> dict[str, Profile]:
    """Read, resolve and validate every `*.yaml` profile in `folder`."""
    if not os.path.isdir(folder):
        raise ProfileError(f"profile folder `{folder}` does not exist")
    raw = _read_yaml_folder(folder)
    known = {model: profile.data for model, profile in builtin().items()}
    return {model: Profile(data) for model, data in _resolve_all(raw, known).items()}


def _read_yaml_folder(folder: str) -> dict[str, tuple[str, dict[str, Any]]]:
    import yaml

    raw: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(folder, name)
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise ProfileError(f"{path}: cannot read the profile: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise ProfileError(f"{path}: a profile is a mapping with an `id`")
        raw[data["id"]] = (path, data)
    return raw


def _resolve_all(
    raw: Mapping[str, tuple[str, dict[str, Any]]], known: Mapping[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Apply `extends`, then validate each result against the schema."""
    import json

    import jsonschema

    with open(SCHEMA, encoding="utf-8") as handle:
        validator = jsonschema.Draft202012Validator(json.load(handle))
    resolved: dict[str, dict[str, Any]] = {}

    def resolve(model: str, chain: tuple[str, ...]) -> dict[str, Any]:
        if model in resolved:
            return resolved[model]
        if model not in raw:
            if model in known:
                return known[model]
            raise ProfileError(f"{raw[chain[-1]][0]}: extends: unknown profile `{model}`")
        path, data = raw[model]
        if model in chain:
            raise ProfileError(f"{path}: extends: profiles extend each other in a loop ({' -> '.join(chain)})")
        parent = data.get("extends")
        merged = _merge(resolve(parent, (*chain, model)), data) if parent else dict(data)
        merged.pop("extends", None)
        errors = sorted(validator.iter_errors(merged), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            where = ".".join(str(part) for part in first.absolute_path) or "(top level)"
            raise ProfileError(f"{path}: {where}: {first.message}")
        resolved[model] = merged
        return merged

    for model in raw:
        resolve(model, ())
    return resolved


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A child profile replaces whole top-level keys of its parent."""
    import json

    merged: dict[str, Any] = json.loads(json.dumps(base))
    merged.update(json.loads(json.dumps(dict(override))))
    return merged


def compile_builtin() -> str:
    """The text of `_builtin.json` from the YAML profiles beside it."""
    import json

    profiles = _resolve_all(_read_yaml_folder(PROFILES), {})
    return json.dumps(dict(sorted(profiles.items())), ensure_ascii=False, indent=1) + "\n"


def _main(argv: Iterable[str]) -> int:
    from ..base import data

    arguments = list(argv)
    text = compile_builtin()
    current = ""
    if os.path.exists(BUILTIN):
        with open(BUILTIN, encoding="utf-8") as handle:
            current = handle.read()
    if arguments == ["check"]:
        if text != current or not data.is_current(PROFILES, [os.path.basename(BUILTIN)]):
            print("compiler/storyc/models/profiles/_builtin.json is stale: run python -m storyc.models.profile build")
            return 1
        return 0
    if arguments == ["build"]:
        with open(BUILTIN, "w", encoding="utf-8") as handle:
            handle.write(text)
        data.write_cache(PROFILES, [os.path.basename(BUILTIN)])
        return 0
    print("usage: python -m storyc.models.profile build|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
