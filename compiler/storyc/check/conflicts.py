"""Settings that another setting overrides: each one would otherwise be dropped without a word.

What wins is decided by `compile.emit.request_values` (the body sent); these rules name the loser.
A clip's own picture settings replace the file's (`language.settings.for_clip`), so two picture
settings in one scope were written at the same level and one of them is ignored.
"""

from __future__ import annotations

from typing import Iterator

from ..base.diagnostics import Diagnostic, Fix, make
from .context import Context, Scope


def resolution_beside_size(context: Context) -> Iterator[Diagnostic]:
    """SB330: on a model that takes an exact `size`, `resolution` only picks a size when none is given."""
    for scope in context.distinct_scopes():
        yield from _resolution_beside_size(context, scope)


def _resolution_beside_size(context: Context, scope: Scope) -> Iterator[Diagnostic]:
    settings, profile = scope
    if profile is None or profile.protocol != "legacy":
        return
    tier, size = settings.get("resolution"), settings.get("size")
    sizes = profile.sizes()
    if tier is None or size is None or size not in sizes or tier not in profile.resolution["tiers"]:
        return  # SB308 and SB310 speak for values the model does not have
    sent_tier, ratio = sizes[size]
    if sent_tier == tier:
        return
    node = settings.nodes["resolution"]
    wanted = profile.resolution["pixels"][tier].get(ratio)
    help = f"remove `resolution {tier}` to keep {size} ({sent_tier})"
    if wanted:
        help += f", or write `size {wanted}` for {tier} at {ratio}"
    size_node = settings.nodes["size"]
    yield make(
        "SB330", f"`resolution {tier}` is overridden by `size {size}`, which is {sent_tier}; "
        f"`{profile.id}` is sent the size", context.source, node.value.span,
        label=f"ignored: {size} is sent", help=help,
        fix=Fix(size_node.value.span, wanted) if wanted else None,  # which of the two was meant is a guess
    )


def shot_mode_single_with_shots(context: Context) -> Iterator[Diagnostic]:
    """SB331: on models that take `shot_type`, a clip of several shots is sent as `multi`. (A scene's
    parts are counted after its split, so scenes are left to the plan.)"""
    for clip in context.storyboard.clips:
        settings, profile = context.scope(clip)
        if profile is None or profile.multi_shot != "shot_type" or clip.kind != "clip" or len(clip.shots) < 2:
            continue
        if settings.get("shot-mode") != "single":
            continue
        node = settings.nodes["shot-mode"]
        yield make(
            "SB331", f"`shot-mode single` is overridden for {clip.kind} `{clip.name}`: its {len(clip.shots)} "
            f"shots are sent as `shot_type: multi`", context.source, node.value.span, label="sent as multi",
            help="write `shot-mode multi` (or `auto`), or give each shot its own clip",
        )


def shot_mode_on_single_shot_model(context: Context) -> Iterator[Diagnostic]:
    """SB332: `shot-mode multi` beside a model that generates one shot per clip is dropped."""
    for settings, profile in context.distinct_scopes():
        if profile is None or profile.multi_shot != "none" or settings.get("shot-mode") != "multi":
            continue
        yield make(
            "SB332", f"`shot-mode multi` has no effect: `{profile.id}` generates one shot per clip",
            context.source, settings.nodes["shot-mode"].value.span, label="not sent",
            help="remove it, or use a model that takes several shots (wan2.6, wan2.7)",
        )


RULES = (resolution_beside_size, shot_mode_single_with_shots, shot_mode_on_single_shot_model)
