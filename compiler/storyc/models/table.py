"""`story models`: the profiles as a table, as JSON for tools, or as docs/models.md."""

from __future__ import annotations

import json
from typing import Any, Union

from ..base.columns import table
from .profile import Catalog, Profile
from .regions import DEFAULT_REGION

COLUMNS = ("model", "protocol", "duration", "resolutions", "prompt", "audio", "multi-shot", "submit/s", "concurrent",
           "inputs")


def price_cell(profile: Profile, region: str) -> str:
    """The per-second prices in one region: `CNY 0.733924 (720P), 1.100886 (1080P)`."""
    if not profile.offered_in(region):
        return "not offered"
    row = profile.data["pricing"].get(region)
    if row is None:
        return "unknown"
    shown = ", ".join(f"{rate} ({tier})" for tier, rate in row["tiers"].items())
    return f"{row['currency']} {shown}" + (" (secondary source)" if row.get("secondary") else "")


def inputs_cell(profile: Profile) -> str:
    """The media combinations a model takes, one per mode: `first_frame+driving_audio? | …`; `text` without media."""
    media = profile.media
    if media is None:
        return "text"
    return " | ".join(_mode_text(mode) for mode in media["modes"])


def _mode_text(mode: dict[str, Any]) -> str:
    if not mode["roles"]:
        return "text"
    parts = []
    for role, (low, high) in mode["roles"].items():
        count = "" if high == 1 else f"≤{high}"
        parts.append(f"{role}{count}{'?' if low == 0 else ''}")
    references = mode.get("references")
    if references:
        bound = f"{references['min']}-{references['max']}" if "max" in references else f"≥{references['min']}"
        parts.append(f"({bound} references)")
    return "+".join(parts)


def _row(profile: Profile) -> tuple[str, ...]:
    data = profile.data
    audio = profile.audio
    if not audio["generated"]:
        sound = "silent"
    elif audio.get("file"):
        limits = audio["file"]
        sound = f"auto or file {limits['min_seconds']}-{limits['max_seconds']}s"
    else:
        sound = "auto"
    aliases = ", ".join(f"{alias} ({region})" for region, alias in data.get("region_ids", {}).items())
    name = profile.id + (f" = {aliases}" if aliases else "")
    resolution = profile.resolution
    shown_tiers = "/".join(resolution["tiers"])
    return (
        name, profile.protocol, profile.describe_durations(), shown_tiers,
        str(data["prompt_max_chars"]), sound, profile.multi_shot,
        str(data["rate_limits"]["submit_per_second"]), str(data["rate_limits"]["concurrent_tasks"]),
        inputs_cell(profile),
    )


NARROW = ("model", "duration", "resolutions", "prompt", "audio")  # what fits in 100 columns beside the price
NOTE = "prices: per successfully generated second; `story models --region REGION` shows another region"


def _short_durations(profile: Profile) -> str:
    rule = profile.duration
    if "fixed" in rule:
        return f"{rule['fixed']}s only"
    if "values" in rule:
        return " or ".join(f"{value}s" for value in rule["values"])
    return f"{rule['min']}-{rule['max']}s"


def _price_lines(profile: Profile, region: str) -> str:
    """The region's price per tier, one tier a line: `CNY 0.733924 (720P)`."""
    row = profile.data["pricing"].get(region) if profile.offered_in(region) else None
    if row is None:
        return price_cell(profile, region)
    return "\n".join(f"{row['currency']} {rate} ({tier})" for tier, rate in row["tiers"].items())


def as_table(catalog: Catalog, region: str = DEFAULT_REGION, columns: Union[int, None] = 100, wide: bool = False) -> str:
    """The profiles, with each model's price per generated second in `region` (the resolved one).

    By default fitted to `columns` terminal columns: durations in short, one price a line, and the
    protocol, multi-shot, rate-limit and region columns left out; `wide` shows them all, unwrapped."""
    if wide:
        rows = [(*COLUMNS, "regions", f"price per second in {region}"), *(
            (*_row(catalog.profiles[m]), ", ".join(catalog.profiles[m].regions), price_cell(catalog.profiles[m], region))
            for m in sorted(catalog.profiles))]
        return "\n".join(table(rows)) + f"\n{NOTE}\n"
    keep = [COLUMNS.index(name) for name in NARROW]
    rows = [(*NARROW, f"price per second in {region}")]
    for model in sorted(catalog.profiles):
        profile = catalog.profiles[model]
        cells = list(_row(profile))
        cells[COLUMNS.index("duration")] = _short_durations(profile)
        rows.append((*(cells[i] for i in keep), _price_lines(profile, region)))
    note = NOTE.replace("; ", "\n")  # short lines, for the narrowest terminals
    return "\n".join(table(rows, columns)) + f"\n{note}\n`story models --wide` adds protocol, multi-shot, rate limits and regions\n"


def as_json(catalog: Catalog) -> str:
    profiles = [catalog.profiles[m].data for m in sorted(catalog.profiles)]
    return json.dumps(profiles, ensure_ascii=False, indent=2) + "\n"


def as_markdown(catalog: Catalog) -> str:
    out = [
        "# Models",
        "",
        "Generated by `story models --markdown` from `compiler/storyc/models/profiles/*.yaml`; do not edit.",
        "Sources: the Wan text-to-video API reference (durations, sizes, prompt limits, audio), the rate-limit",
        "page (task submissions per second and concurrent tasks, per account) and the pricing page (CNY per",
        "generated second).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for model in sorted(catalog.profiles):
        out.append("| " + " | ".join(_row(catalog.profiles[model])) + " |")
    out += ["", "## Output sizes", ""]
    for model in sorted(catalog.profiles):
        profile = catalog.profiles[model]
        resolution = profile.resolution
        field = "resolution + ratio" if profile.protocol == "new" else "resolution" if profile.sends_resolution() else "size"
        out.append(f"**{model}** (sent as `{field}`; default {resolution['default_tier']} {resolution['default_ratio']}):")
        for tier, by_ratio in resolution["pixels"].items():
            out.append(f"- {tier}: " + ", ".join(f"{ratio} → {size}" for ratio, size in by_ratio.items()))
        out.append("")
    out += _media_markdown(catalog)
    out += [
        "## Where each model is offered, and its prices",
        "",
        "Billed per successfully generated second of output (failed tasks are free). A region without a",
        "row has an unknown price: `story plan --budget` refuses it rather than counting it as zero. The",
        "region is the storyboard's `region` setting, else `--region`, else `$DASHSCOPE_REGION`, else",
        "singapore.",
        "",
        "| model | region | id sent | currency | per second | source | checked |",
        "|---|---|---|---|---|---|---|",
    ]
    for model in sorted(catalog.profiles):
        profile = catalog.profiles[model]
        for region in profile.regions:
            row = profile.data["pricing"].get(region)
            if row is None:
                out.append(f"| {model} | {region} | `{profile.id_in(region)}` | — | unknown | — | — |")
                continue
            rates = ", ".join(f"{tier} {rate}" for tier, rate in row["tiers"].items())
            out.append(f"| {model} | {region} | `{profile.id_in(region)}` | {row['currency']} | {rates} | "
                       f"{row['source']} | {row['checked']} |")
    return "\n".join(out) + "\n"


def _media_markdown(catalog: Catalog) -> list[str]:
    """The media section: each model's combinations, how `ratio` is treated, its role limits and billing rule."""
    out = [
        "## Media inputs",
        "",
        "Sources: the Wan image-, reference- and all-in-one video API reference (wan-media-api.md §3-§11). A",
        "request is allowed when one of the model's combinations takes it (`?` optional, `≤n` at most n).",
        "",
        "| model | wire | path | combinations | ratio | prompt names references | input seconds billed |",
        "|---|---|---|---|---|---|---|",
    ]
    for model in sorted(catalog.profiles):
        media = catalog.profiles[model].media
        if media is None:
            continue
        ratios = ", ".join(sorted({mode["ratio"] for mode in media["modes"]}))
        billing = media["billing"]
        out.append(f"| {model} | {media['wire']} | `{media['path']}` | {inputs_cell(catalog.profiles[model])} | "
                   f"{ratios} | {media['labels']} | {billing['input_video']}: {billing['source']} |")
    out += ["", "| model | role | kind | formats | pixels per side | seconds | MB |", "|---|---|---|---|---|---|---|"]
    for model in sorted(catalog.profiles):
        media = catalog.profiles[model].media
        for role, limits in (media or {}).get("roles", {}).items():
            pixels = f"{limits['min_pixels']}-{limits['max_pixels']}" if "max_pixels" in limits else "—"
            seconds = f"{limits['min_seconds']}-{limits['max_seconds']}" if "max_seconds" in limits else "—"
            out.append(f"| {model} | {role} | {limits['kind']} | {', '.join(limits['formats'])} | {pixels} | "
                       f"{seconds} | {limits['max_megabytes']} |")
    return [*out, ""]
