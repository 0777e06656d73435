"""Rules that hold a storyboard against its model's profile. No rule branches on a model's name:
every number and every choice comes from the profile."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterator, Union

from ..base import data
from ..base.diagnostics import Diagnostic, Fix, make
from ..base.source import Span
from ..language.nodes import Clip, Dialogue, TimeRange
from ..language.timeline import seconds, timed_shots, total_millis
from ..models.regions import DEFAULT_REGION
from .context import Context, Scope
from .suggest import closest_model

if TYPE_CHECKING:
    from ..base.source import Source
    from ..language.settings import Settings
    from ..models.profile import Catalog, Profile


def model(context: Context) -> Iterator[Diagnostic]:
    # The file's own model too, even when every clip names its own: the plan starts from it.
    for scope in (Scope(context.settings, context.profile), *context.distinct_scopes()):
        if scope.profile is not None or "model" not in scope.settings.values:
            continue
        node = scope.settings.nodes["model"]
        value = str(scope.settings.get("model"))
        close = closest_model(value, context.catalog.ids())
        hint = f"the closest known model is `{close}`" if close else "`story models` lists the known models"
        # Only a suggestion: another model is another price, another look and other limits.
        yield make("SB315", f"unknown model `{value}`", context.source, node.value.span,
                   label="no profile for this model", help=hint, fix=Fix(node.value.span, close) if close else None)


def clip_durations(context: Context) -> Iterator[Diagnostic]:
    for clip in context.storyboard.clips:
        profile = context.scope(clip).profile
        yield from _shot_timing(context, clip)
        if clip.kind == "scene":
            continue
        total = total_millis(clip)
        if clip.duration is not None and clip.shots and total != clip.duration.millis:
            yield make(
                "SB302", f"the shots add up to {seconds(total or 0)}s but clip `{clip.name}` is "
                f"{seconds(clip.duration.millis)}s", context.source, clip.duration.span,
                label=f"shots total {seconds(total or 0)}s",
                help="make the shot durations add up, or change the clip's duration",
            )
            continue
        if total is None or profile is None:
            continue
        where = clip.duration.span if clip.duration is not None else clip.name_span
        if total % 1000:
            yield make(
                "SB305", f"clip `{clip.name}` is {seconds(total)}s; the API takes whole seconds",
                context.source, where, label="not a whole number of seconds",
                help="adjust a shot so the total is a whole number of seconds",
            )
        elif not profile.accepts_duration(total // 1000):
            yield make(
                "SB301", f"clip `{clip.name}` is {seconds(total)}s but `{profile.id}` generates "
                f"{profile.describe_durations()}", context.source, where,
                label=f"{seconds(total)}s", help=_duration_help(clip, total, profile),
            )


def _duration_help(clip: Clip, total: int, profile: Profile) -> str:
    if not clip.shots:  # the clip's own duration is what to change
        return f"change the clip's own duration to one `{profile.id}` generates ({profile.describe_durations()})"
    if total > profile.longest * 1000:
        return f"split the clip, or write `scene {clip.name}` to have it split at shot boundaries"
    return "change the shot durations to a length the model generates"


def _shot_timing(context: Context, clip: Clip) -> Iterator[Diagnostic]:
    profile = context.scope(clip).profile
    cursor = 0
    for timed in timed_shots(clip.shots):
        timing = timed.shot.timing
        if isinstance(timing, TimeRange) and (timing.start_millis != cursor or timing.end_millis <= timing.start_millis):
            expected = f"[{seconds(cursor)}-…s]"
            if timing.end_millis <= timing.start_millis:
                problem = "ends before it starts"
            elif cursor == 0:
                problem = f"starts at {seconds(timing.start_millis)}s; the first shot starts at 0s"
            elif timing.start_millis < cursor:
                problem = "overlaps the shot before it"
            else:
                problem = "leaves a gap after the shot before it"
            yield make("SB303", f"this range {problem}", context.source, timing.span,
                       label=f"expected to start at {seconds(cursor)}s",
                       help=f"start it where the previous shot ends: `{expected}`")
        elif timed.end - timed.start < 1000:
            yield make("SB304", f"a shot of {seconds(timed.end - timed.start)}s is shorter than 1s",
                       context.source, timing.span, label="too short", help="make it at least `1s`")
        elif profile is not None and clip.kind == "scene" and timed.end - timed.start > profile.longest * 1000:
            yield make("SB317", f"a {seconds(timed.end - timed.start)}s shot is longer than any clip "
                       f"`{profile.id}` generates ({profile.longest}s)",
                       context.source, timing.span, label="too long for one clip",
                       help="split it into several shots")
        cursor = timed.end


def scene_splits(context: Context) -> Iterator[Diagnostic]:
    for clip in context.storyboard.clips:
        profile = context.scope(clip).profile
        if profile is None or clip.kind != "scene":
            continue
        lengths = [t.end - t.start for t in timed_shots(clip.shots)]
        if not lengths or any(length > profile.longest * 1000 for length in lengths):
            continue
        # Find where the split fails, as the plan would, without building the parts.
        start = 0
        for end in scene_part_ends(lengths, profile):
            if end is None:
                yield unsplittable_scene(clip, profile, context.source, start, lengths)
                break
            start = end


def scene_part_ends(lengths: list[int], profile: Profile) -> Iterator[Union[int, None]]:
    """Where a scene's parts end (exclusive shot indexes): each the longest run of shots from the
    previous end that makes a clip the model accepts; None, then nothing, where no run does."""
    start = 0
    while start < len(lengths):
        end = _part_end(lengths, start, profile.longest * 1000, profile)
        yield end
        if end is None:
            return
        start = end


def unsplittable_scene(clip: Clip, profile: Profile, source: Source, start: int, lengths: list[int]) -> Diagnostic:
    """SB319: no run of the scene's shots from `start` on makes a clip the model generates."""
    return make(
        "SB319", f"scene `{clip.name}` cannot be split from here: no run of shots makes a clip "
        f"`{profile.id}` generates ({profile.describe_durations()}); {seconds(sum(lengths[start:]))}s remain",
        source, clip.shots[start].span, label="no clip can start here",
        help="adjust the durations of the shots from here on",
    )


def _part_end(lengths: list[int], start: int, limit: int, profile: Profile) -> Union[int, None]:
    """End (exclusive) of the longest accepted run of shots from `start` that fits the limit."""
    best = None
    total = 0
    for index in range(start, len(lengths)):
        total += lengths[index]
        if total > limit:
            break
        if total % 1000 == 0 and profile.accepts_duration(total // 1000):
            best = index + 1
    return best


def multi_shot(context: Context) -> Iterator[Diagnostic]:
    for clip in context.storyboard.clips:
        settings, profile = context.scope(clip)
        shots = clip.shots
        if profile is None:
            continue
        several = len(shots) >= 2
        if several and profile.multi_shot == "none":
            yield make(
                "SB306", f"`{profile.id}` generates one shot per clip, but `{clip.name}` has {len(shots)}",
                context.source, shots[1].span, label="a second shot",
                help="give each shot its own clip, or use a wan2.6 or wan2.7 model",
            )
        elif (profile.multi_shot == "shot_type" and settings.get("prompt-extend") is False
              and (several or settings.get("shot-mode") == "multi")):  # either is sent as shot_type multi
            node = settings.nodes["prompt-extend"]
            yield make(
                "SB307", f"`prompt-extend off` is overridden for multi-shot clip `{clip.name}`",
                context.source, node.value.span, label="sent as on",
                help=f"`{profile.id}` needs prompt_extend for multi-shot clips; write `prompt-extend on`",
            )


def picture(context: Context) -> Iterator[Diagnostic]:
    for scope in context.distinct_scopes():
        yield from _picture(context, scope)


def _picture(context: Context, scope: Scope) -> Iterator[Diagnostic]:
    settings, profile = scope
    if profile is None:
        return
    source = context.source
    resolution = profile.resolution
    tier = settings.get("resolution")
    if tier is not None and tier not in resolution["tiers"]:
        yield make("SB308", f"`{profile.id}` does not offer {tier}", source,
                   settings.nodes["resolution"].value.span, label="not offered",
                   help=f"use one of {', '.join(resolution['tiers'])}")
        tier = None
    tier = tier or resolution["default_tier"]
    ratio = settings.get("ratio")
    size = settings.get("size")
    if profile.protocol == "new":
        if size is not None:
            yield make("SB311", f"`{profile.id}` takes `resolution` and `ratio`, not `size`", source,
                       settings.nodes["size"].span, label="not used by this model",
                       help=_ratio_equivalent(profile.sizes(), str(size), resolution))
        # a model without a published pixel table (Wan 3.0) offers its listed ratios at every tier
        offered = list(resolution["pixels"].get(tier) or resolution["ratios"])
        if ratio is not None and ratio not in offered:
            yield make("SB309", f"`{profile.id}` does not offer ratio {ratio} at {tier}", source,
                       settings.nodes["ratio"].value.span, label="not offered",
                       help=f"use one of {', '.join(offered)}")
        return
    if ratio is not None:
        equivalent = resolution["pixels"].get(tier, {}).get(ratio)
        hint = f"write `size {equivalent}`" if equivalent else f"use a `size` from: {', '.join(profile.sizes())}"
        yield make("SB312", f"`{profile.id}` takes an exact `size`, not `ratio`", source,
                   settings.nodes["ratio"].span, label="not used by this model", help=hint,
                   # Offered only: the model may be what is wrong, and other clips may need the ratio.
                   fix=Fix(settings.nodes["ratio"].span, f"size {equivalent}") if equivalent and size is None else None)
    if size is not None and size not in profile.sizes():
        yield make("SB310", f"`{profile.id}` does not generate {size}", source,
                   settings.nodes["size"].value.span, label="not offered",
                   help=f"use one of {', '.join(profile.sizes())}")


def _ratio_equivalent(sizes: dict[str, tuple[str, str]], size: str, resolution: dict[str, Any]) -> str:
    if size in sizes:
        tier, ratio = sizes[size]
        return f"write `resolution {tier}` and `ratio {ratio}`"
    match = re.fullmatch(r"([0-9]+)\*([0-9]+)", size)
    if match:
        width, height = int(match.group(1)), int(match.group(2))
        for tier, by_ratio in resolution["pixels"].items():
            for ratio, pixels in by_ratio.items():
                w, h = (int(n) for n in pixels.split("*"))
                if min(w, h) == min(width, height) and (w > h) == (width > height):
                    return f"write `resolution {tier}` and `ratio {ratio}`"
    return "write `resolution` and `ratio` instead"


def seed(context: Context) -> Iterator[Diagnostic]:
    for settings, profile in context.distinct_scopes():
        value = settings.get("seed")
        if profile is None or value is None:
            continue
        bounds = profile.data["seed"]
        if not bounds["min"] <= value <= bounds["max"]:
            yield make("SB316", f"seed {value} is outside {bounds['min']}-{bounds['max']}", context.source,
                       settings.nodes["seed"].value.span, label="out of range",
                       help=f"use a seed from {bounds['min']} to {bounds['max']}")


def takes(context: Context) -> Iterator[Diagnostic]:
    """SB660: the number of takes is bounded by the table (`base/data/settings.json`), not by a model."""
    bounds = data.table("settings")["takes"]
    for settings, _ in context.distinct_scopes():
        value = settings.get("takes")
        if isinstance(value, int) and not bounds["min"] <= value <= bounds["max"]:
            yield make("SB660", f"takes {value} is outside {bounds['min']}-{bounds['max']}", context.source,
                       settings.nodes["takes"].value.span, label="out of range",
                       help=f"ask for {bounds['min']} to {bounds['max']} takes; each one is paid in full")


def negative_prompt(context: Context) -> Iterator[Diagnostic]:
    for settings, profile in context.distinct_scopes():
        text = settings.get("negative")
        if profile is None or text is None:
            continue
        limit = profile.data["negative_prompt_max_chars"]
        if len(text) > limit:
            yield make("SB314", f"the negative prompt is {len(text)} characters; `{profile.id}` "
                       f"reads {limit}", context.source, settings.nodes["negative"].value.span,
                       label=f"{len(text) - limit} characters over", help="shorten it; the rest would be cut silently")


def _speech() -> dict[str, float]:
    table: dict[str, float] = data.table("speech")
    return table


_WORD = r"[A-Za-z0-9']+"


def _is_cjk(char: str) -> bool:
    """CJK ideographs (unified, extension A, compatibility): a comparison, since compiling these
    ranges as a regex character class costs `story check` about 20 ms at start."""
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def dialogue_pace(context: Context) -> Iterator[Diagnostic]:
    limits = _speech()
    for clip in context.storyboard.clips:
        clip_length = total_millis(clip)
        for timed in timed_shots(clip.shots):
            lines = [line for line in timed.shot.lines if type(line) is Dialogue]
            if lines:
                found = _pace(context, lines, timed.end - timed.start, limits)
                if found is not None:
                    yield found
        loose = [line for line in clip.lines if isinstance(line, Dialogue)]
        if loose and clip_length:
            found = _pace(context, loose, clip_length, limits)
            if found is not None:
                yield found


def _pace(context: Context, lines: list[Dialogue], millis: int, limits: dict[str, float]) -> Union[Diagnostic, None]:
    if not lines or millis <= 0:
        return None
    text = lines[0].line.value if len(lines) == 1 else " ".join(line.line.value for line in lines)
    if text.isascii():  # most lines: no CJK to count or to take out
        cjk, words = 0, len(re.findall(_WORD, text))
    else:
        cjk = sum(1 for char in text if _is_cjk(char))
        words = len(re.findall(_WORD, "".join(" " if _is_cjk(char) else char for char in text)))
    spoken = cjk / limits["max_cjk_characters_per_second"] + words / limits["max_words_per_second"]
    if spoken * 1000 <= millis:
        return None
    return make("SB318", f"this dialogue needs about {spoken:.1f}s but the shot lasts {seconds(millis)}s",
                context.source, lines[-1].line.span, label="too much to say",
                help="lengthen the shot, or trim the line")


def soundtrack_placement(context: Context) -> Iterator[Diagnostic]:
    from ..language.nodes import Soundtrack

    for clip in context.storyboard.clips:
        tracks = [line for line in clip.lines if isinstance(line, Soundtrack)]
        if clip.kind == "scene" and tracks:
            yield make("SB412", f"scene `{clip.name}` is split into clips; one soundtrack cannot follow it",
                       context.source, tracks[0].span, label="soundtrack in a scene",
                       help="move the scene's shots into `clip`s and give each its own soundtrack")
        for extra in tracks[1:]:
            yield make("SB411", f"clip `{clip.name}` has more than one soundtrack", context.source,
                       extra.span, label="second soundtrack", help="keep one")


RULES = (model, clip_durations, scene_splits, multi_shot, picture, seed, takes, negative_prompt, dialogue_pace, soundtrack_placement)


def region_rules(source: Source, settings: Settings, profile: Union[Profile, None], region: str,
                 catalog: Catalog) -> Iterator[Diagnostic]:
    """SB320 when the model is not offered in the resolved region; SB321 when the region knows it
    by another id. Both read the profile's `regions` and `region_ids`; `region` is resolved once
    by the caller (`regions.region_for`)."""
    if profile is None:
        return
    model_node = settings.nodes.get("model")
    region_node = settings.nodes.get("region") if "region" in settings.values else None
    if not profile.offered_in(region):
        others = [p.id_in(region) for p in catalog.profiles.values() if p.offered_in(region)]
        instead = f"; models offered in {region}: {', '.join(sorted(others))}" if others else ""
        suggested = DEFAULT_REGION if profile.offered_in(DEFAULT_REGION) else profile.regions[0]
        help = f"`{profile.id}` is offered in {', '.join(profile.regions)}: write `region " \
               f"{suggested}`{instead}"
        if region_node is not None:
            span, label = region_node.value.span, f"`{profile.id}` is not offered here"
        elif model_node is not None:
            span, label = model_node.value.span, f"not offered in {region} ($DASHSCOPE_REGION, --region or the default)"
        else:
            span, label = Span(0, 0), f"the default model is not offered in {region}"
        yield make("SB320", f"`{profile.id}` is not offered in {region}", source, span, label=label, help=help)
        return
    sent = profile.id_in(region)
    # a family (`model wan2.7`) names no id: each clip is sent as the member picked for it
    if model_node is not None and str(settings.get("model")) != sent and not catalog.family(str(settings.get("model"))):
        yield make("SB321", f"`{settings.get('model')}` is called `{sent}` in {region}; that id is sent",
                   source, model_node.value.span, label=f"sent as `{sent}`",
                   help=f"write `model {sent}`", fix=Fix(model_node.value.span, sent))
