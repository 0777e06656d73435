"""Media inputs in requests: `input.media[]` (wan2.7, Wan 3.0) or the legacy flat fields, and reference labels
in the prompt. `emit` calls `body_values` for a model that takes media and `body_problems` to hold the body to
the profile; the list sent is `check.media.clip_media`'s, the list the checker approved.

The prompt names each reference the way its model counts them (wan-media-api.md §8): per type in `media`
order on wan2.7-r2v and Wan 3.0 (图1 / 视频1 / 音频1, "Image 1" / "Video 1" / "Audio 1"), one sequence
over `reference_urls` on wan2.6-r2v (character1 …); a first frame is not numbered. The label joins the
declared description, so it reaches the prompt through the same mention rules as the description.
"""

from __future__ import annotations

import os
from typing import Any, Union

from ..base import data
from ..base.source import Source, Span
from ..check.chains import chained_scene, continuation, continue_clip, placeholder, split_key
from ..check.media import Item, accepting_mode, clip_media, declarations_in, local_path
from ..language.nodes import Declaration, MediaInput, Text
from ..models.profile import Profile
from .plan import ClipPlan, Plan, part_name


def body_kind(profile: Profile) -> str:
    """The body template and schema a model's requests use: `new`, `legacy`, `media` or `flat`."""
    media = profile.media
    if media is None:
        return profile.protocol
    return "media" if media["wire"] == "array" else "flat"


def scoped_declarations(plan: Plan) -> dict[str, tuple[Declaration, Source]]:
    """Every declaration in scope with the file it is written in (the entry's own win, as in `check`)."""
    return declarations_in(plan.program)


def clip_items(plan: Plan, clip_plan: ClipPlan) -> list[Item]:
    """What the clip sends, in the order it is sent.

    Part 2 on of a chained scene (check/chains.py) starts on the last frame of the part before: its first
    frame is that part's `continue` placeholder instead of the scene's own first frame or source."""
    path = plan.program.entry.source.path
    items = clip_media(clip_plan.clip, path, scoped_declarations(plan), plan.profile_for(clip_plan))
    if clip_plan.part is None or clip_plan.part == 1 or not chained_scene(clip_plan.clip):
        return items
    before = part_name(clip_plan.clip.name, clip_plan.part - 1)
    first = next(item for item in items if item.role == "first_frame")
    medium = MediaInput("first-frame", Text(placeholder(before), (), first.medium.span), first.medium.span)
    return [Item("first_frame", medium, path, None, None, None, before) if item is first else item
            for item in items]


def url(medium: MediaInput, path: str, storyboard: str) -> str:
    """A URL as written; a local file as `file://` relative to the storyboard, uploaded at submission."""
    local = local_path(medium, path)
    if local is None:
        return medium.text.value
    relative = os.path.relpath(local, os.path.dirname(storyboard) or ".")
    return "file://" + relative.replace(os.sep, "/")


def body_values(plan: Plan, clip_plan: ClipPlan, values: dict[str, Any]) -> str:
    """Add the media to a clip's request values; the name of the body template to fill."""
    profile = plan.profile_for(clip_plan)
    media = profile.media
    assert media is not None
    items = clip_items(plan, clip_plan)
    storyboard = plan.program.entry.source.path
    mode = accepting_mode(profile, _roles(items)) or {"ratio": "used"}
    first_frame = any(item.role == "first_frame" for item in items)
    values["ratio_sent"] = mode["ratio"] == "used" or (mode["ratio"] == "ignored-with-first-frame" and not first_frame)
    extension = _extension(plan, clip_plan)
    if extension is not None and extension.get("ratio"):  # Wan 3.0 extends only with `ratio: adaptive` (M9)
        values["ratio"], values["ratio_sent"] = extension["ratio"], True
    values["media"] = [_wire_item(item, storyboard) for item in items]
    values["fields"] = _flat_fields(profile, items, storyboard)
    values["size_sent"] = not profile.sends_resolution()
    # wan2.6-r2v documents no prompt_extend (§7.3); the other flat models take it
    values["prompt_extend_sent"] = media["labels"] != "character"
    return f"body-{body_kind(profile)}.json.j2"


def _extension(plan: Plan, clip_plan: ClipPlan) -> Union[dict[str, Any], None]:
    """The model's `continue_clip` entry when the clip says `continue NAME clip`, else None."""
    said = continuation(clip_plan.clip)
    if said is None or said.how != "clip" or clip_plan.part is not None:
        return None
    return continue_clip(plan.profile_for(clip_plan))


def extend_intent(plan: Plan, clip_plan: ClipPlan, language: str) -> str:
    """The words a Wan 3.0 prompt starts with to extend the clip it continues (`extend_intent` in
    base/data/media.json), or "" for every other clip."""
    extension = _extension(plan, clip_plan)
    if extension is None or not extension.get("intent"):
        return ""
    words: dict[str, str] = data.table("media")["extend_intent"]
    return words.get(language) or words["zh"]


def _roles(items: list[Item]) -> dict[str, int]:
    from ..check.media import counts

    return counts(items)


def item_url(item: Item, storyboard: str) -> str:
    """What the body carries for an item: its URL, or for a `continue` clip's first frame the placeholder
    `storyc-continue:<source clip>`, which `story render` replaces with the source's uploaded last frame."""
    return item.medium.text.value if item.continues is not None else url(item.medium, item.path, storyboard)


def _wire_item(item: Item, storyboard: str) -> dict[str, str]:
    wire = {"type": item.role, "url": item_url(item, storyboard)}
    if item.voice is not None:
        wire["reference_voice"] = url(item.voice, item.path, storyboard)
    return wire


def _flat_fields(profile: Profile, items: list[Item], storyboard: str) -> list[dict[str, Any]]:
    """The legacy fields in the profile's role order: `img_url`, `audio_url`; `reference_urls` as one list."""
    media = profile.media
    assert media is not None
    if media["wire"] != "flat":
        return []
    fields: dict[str, Any] = {}
    for item in items:
        field = media["roles"][item.role]["field"]
        value = item_url(item, storyboard)
        if field == "reference_urls":
            fields.setdefault(field, []).append(value)
        else:
            fields[field] = value
    return [{"name": name, "value": value} for name, value in fields.items()]


# ---- labels in the prompt --------------------------------------------------------------------------


def labels(items: list[Item], profile: Profile, language: str) -> dict[str, str]:
    """Declaration name -> how the prompt names its references: `图1、音频1`, `Image 1`, `character2`."""
    media = profile.media
    if media is None or media["labels"] == "none":
        return {}
    words = _words(language)
    numbered: dict[str, list[str]] = {}
    per_type: dict[str, int] = {}
    owned = 0
    for item in items:
        if item.role.startswith("reference_"):  # a clip continued by `continue NAME clip` counts too (视频1)
            per_type[item.role] = per_type.get(item.role, 0) + 1
        if item.owner is None:
            continue
        owned += 1
        if media["labels"] == "character":
            label = f"character{owned}"
        else:
            label = str(words[item.role]).format(n=per_type[item.role])
        numbered.setdefault(item.owner, []).append(label)
    return {owner: str(words["separator"]).join(found) for owner, found in numbered.items()}


def _words(language: str) -> dict[str, Any]:
    table: dict[str, dict[str, Any]] = data.table("media")["labels"]
    return table.get(language) or table["zh"]


def labelled(declared: dict[str, Declaration], found: dict[str, str], language: str) -> dict[str, Declaration]:
    """The declarations with each label joined to its description, for one clip's prompt.

    The description's text keeps its references: the label is added where the span can grow without
    moving them (before it for a prefix, after it for a suffix)."""
    if not found:
        return declared
    character = all(label.startswith("character") for label in found.values())
    form = str(_words(language)["character_mention" if character else "mention"])
    before, after = form.split("{description}")
    out = dict(declared)
    for name, label in found.items():
        declaration = declared.get(name)
        if declaration is None:
            continue
        text = declaration.text
        prefix, suffix = before.format(labels=label), after.format(labels=label)
        grown = Text(prefix + text.value + suffix, text.refs, Span(text.span.start - len(prefix), text.span.end + len(suffix)))
        # `replace` (from `@node`) keeps every other field, whatever fields a declaration grows later
        out[name] = declaration.replace(text=grown)  # type: ignore[attr-defined]
    return out


def prompt_declarations(plan: Plan, clip_plan: ClipPlan, declared: dict[str, Declaration]) -> dict[str, Declaration]:
    """The declarations a clip's prompt is written from: labelled where the clip sends their references."""
    profile = plan.profile_for(clip_plan)
    if profile.media is None:
        return declared
    language = str(plan.settings_for(clip_plan).get("language", "zh"))
    return labelled(declared, labels(clip_items(plan, clip_plan), profile, language), language)


# ---- what a clip costs and shows -------------------------------------------------------------------


def input_seconds(plan: Plan, clip_plan: ClipPlan) -> Union[float, None]:
    """The input video seconds the model bills besides the output (reference videos, measured when
    local); 0 for a model that bills none; None when a billed input's length is unknown."""
    from ..check.media import probe
    from ..models.pricing import input_video_seconds

    profile = plan.profile_for(clip_plan)
    if profile.media is None:
        return 0.0
    items = clip_items(plan, clip_plan)
    lengths: list[Union[float, None]] = []
    for item in items:
        if item.role != "reference_video":
            continue
        path = local_path(item.medium, item.path)
        measured = probe(path, "video") if path is not None and os.path.isfile(path) else None
        lengths.append(measured.seconds if measured is not None else None)
    references = sum(1 for item in items if item.role in ("reference_image", "reference_video"))
    return input_video_seconds(profile, lengths, references)


def picture(plan: Plan, clip_plan: ClipPlan, values: dict[str, Any]) -> str:
    """How `story plan` shows the picture: a follows-the-input shape says so."""
    profile = plan.profile_for(clip_plan)
    if not profile.sends_resolution():
        return str(values["size"])
    if profile.media is not None:
        items = clip_items(plan, clip_plan)
        continued = next((item for item in items if item.continues is not None), None)
        if continued is not None and continued.continues is not None:  # a chain: what the clip starts from
            file, name = split_key(continued.continues)
            where = f" in {file}" if file is not None else ""
            if continued.role == "first_frame":
                return f"{values['resolution']} from the last frame of `{name}`{where}"
            return f"{values['resolution']} continuing `{name}`{where}"
        mode = accepting_mode(profile, _roles(items)) or {"ratio": "used"}
        first = any(item.role in ("first_frame", "first_clip") for item in items)
        if mode["ratio"] == "follows-input" or (mode["ratio"] == "ignored-with-first-frame" and first):
            return f"{values['resolution']} as first frame"
    return f"{values['resolution']} {values['ratio']}"


# ---- the body against the profile ------------------------------------------------------------------


def body_problems(body: dict[str, Any], model: Profile) -> list[str]:
    """Schema violations of the media body, then anything its profile does not take: the roles and counts
    (one of the modes), the duration (the mode's range with a reference video), `ratio` where ignored."""
    from . import schema

    path = os.path.join(os.path.dirname(__file__), "schemas", f"body-{body_kind(model)}.schema.json")
    problems = [
        f"{'.'.join(str(p) for p in where) or '(top)'}: {message}"
        for where, message in schema.errors(body, schema.load(path))
    ]
    if problems:
        return problems
    roles = sent_roles(body, model)
    mode = accepting_mode(model, roles)
    if mode is None:
        return [f"input: {model.id} takes no request sending {dict(sorted(roles.items())) or 'no media'}"]
    parameters = body["parameters"]
    duration = parameters.get("duration")
    if duration is not None and not model.accepts_duration(duration):
        problems.append(f"parameters.duration: {duration} is not accepted by {model.id}")
    bounds = mode.get("duration_with_video")
    if bounds and duration is not None and roles.get("reference_video") and not bounds["min"] <= duration <= bounds["max"]:
        problems.append(f"parameters.duration: {duration} is outside {bounds['min']}-{bounds['max']} with a reference video")
    if "resolution" in parameters and parameters["resolution"] not in model.resolution["tiers"]:
        problems.append(f"parameters.resolution: {parameters['resolution']} is not offered by {model.id}")
    if "size" in parameters and parameters["size"] not in model.sizes():
        problems.append(f"parameters.size: {parameters['size']} is not offered by {model.id}")
    if "ratio" in parameters and (mode["ratio"] == "follows-input" or (
            mode["ratio"] == "ignored-with-first-frame" and roles.get("first_frame"))):
        problems.append(f"parameters.ratio: {model.id} ignores it here")
    if len(body["input"]["prompt"]) > model.data["prompt_max_chars"]:
        problems.append(f"input.prompt: longer than {model.data['prompt_max_chars']} characters")
    return problems


def sent_roles(body: dict[str, Any], model: Profile) -> dict[str, int]:
    """Role -> count, read back from a body of either wire."""
    media = model.media
    assert media is not None
    found: dict[str, int] = {}
    if media["wire"] == "array":
        for item in body["input"].get("media", []):
            found[item["type"]] = found.get(item["type"], 0) + 1
            if "reference_voice" in item:
                found["reference_voice"] = found.get("reference_voice", 0) + 1
        return found
    by_field = {limits["field"]: role for role, limits in media["roles"].items()}
    for field, value in body["input"].items():
        role = by_field.get(field)
        if role is None:
            continue
        if field == "reference_urls":
            for entry in value:
                kind = _flat_reference_role(entry, media["roles"])
                found[kind] = found.get(kind, 0) + 1
        else:
            found[role] = 1
    return found


def _flat_reference_role(value: Union[str, Any], roles: dict[str, Any]) -> str:
    """`reference_urls` mixes images and videos; the extension tells them apart."""
    extension = os.path.splitext(str(value).split("?")[0])[1].lower().lstrip(".")
    video = roles.get("reference_video")
    return "reference_video" if video is not None and extension in video["formats"] else "reference_image"
