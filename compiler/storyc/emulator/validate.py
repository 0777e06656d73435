"""What the service checks in a submission, and what it answers (API reference §3-§7).

`inspect(body, profiles)` returns either an `ApiError` to send at once, or a `TaskSpec` (which may
carry a failure the task will end with: the service reports many parameter problems only as a
FAILED task). Limits come from storyc's model profiles.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Union

from ..profile import Catalog, Profile
from . import errors
from .errors import ApiError


class TaskSpec(NamedTuple):
    model: str
    profile: Profile
    prompt: str  # as used: over-long prompts are cut silently
    negative_prompt: str
    width: int
    height: int
    duration: int
    resolution: str
    ratio: str
    size: str
    audio_url: Union[str, None]
    prompt_extend: bool
    shot_type: str
    failure: Union[tuple[str, str], None]  # (code, message) the task will end with


def inspect(body: Any, profiles: Catalog) -> Union[ApiError, TaskSpec]:
    if not isinstance(body, dict):
        return errors.BAD_BODY
    model = body.get("model")
    if model is None or model == "":
        return errors.EMPTY_MODEL
    if not isinstance(model, str):
        return errors.MISSING
    profile = profiles.get(model)
    if profile is None:
        return errors.NO_MODEL
    given = body.get("input")
    parameters = body.get("parameters", {})
    if not isinstance(given, dict) or not isinstance(parameters, dict):
        return errors.MISSING
    prompt = given.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return errors.MISSING
    negative = given.get("negative_prompt") or ""
    audio_url = given.get("audio_url")
    if not isinstance(negative, str) or (audio_url is not None and not isinstance(audio_url, str)):
        return errors.MISSING
    seed = parameters.get("seed")
    bounds = profile.data["seed"]
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or not bounds["min"] <= seed <= bounds["max"]):
        return errors.MISSING
    for flag in ("prompt_extend", "watermark"):
        if flag in parameters and not isinstance(parameters[flag], bool):
            return errors.MISSING
    return _spec(model, profile, prompt, negative, audio_url or None, parameters)


def _spec(model: str, profile: Profile, prompt: str, negative: str, audio_url: Union[str, None],
          parameters: dict[str, Any]) -> TaskSpec:
    failure: Union[tuple[str, str], None] = None
    resolution = profile.resolution
    tier, ratio = resolution["default_tier"], resolution["default_ratio"]
    size = resolution["pixels"][tier][ratio]
    if profile.protocol == "new":  # size and shot_type are ignored here ("配置也不生效")
        tier = parameters.get("resolution", tier)
        ratio = parameters.get("ratio", ratio)
        size = resolution["pixels"].get(tier, {}).get(ratio, "")
        if tier not in resolution["tiers"]:
            failure = ("InvalidParameter", f"The resolution is not match {tier}, please check the resolution parameter.")
        elif not size:
            failure = ("InvalidParameter", f"The ratio is not match {ratio}, please check the ratio parameter.")
    else:
        size = parameters.get("size", size)
        known = profile.sizes()
        if size not in known:
            failure = ("InvalidParameter", f"The size is not match {size}, please check the size parameter.")
        else:
            tier, ratio = known[size]
    duration = parameters.get("duration", profile.duration["default"])
    if failure is None and (not isinstance(duration, int) or isinstance(duration, bool) or not profile.accepts_duration(duration)):
        failure = ("InvalidParameter", f"The duration is not match {duration}, please check the duration parameter.")
        duration = profile.duration["default"]
    if failure is None and audio_url and not profile.audio.get("file"):
        failure = ("InvalidParameter", f"The model {model} does not support audio input.")
    width, height = (int(n) for n in size.split("*")) if size else (0, 0)
    shot_type = parameters.get("shot_type", "single")
    prompt_extend = bool(parameters.get("prompt_extend", profile.data["defaults"]["prompt_extend"]))
    if profile.multi_shot == "shot_type" and shot_type == "multi" and not prompt_extend and failure is None:
        failure = ("InvalidParameter", "shot_type multi requires prompt_extend to be true.")
    return TaskSpec(
        model, profile, prompt[: profile.data["prompt_max_chars"]],
        negative[: profile.data["negative_prompt_max_chars"]], width, height, int(duration), tier, ratio,
        size, audio_url, prompt_extend, shot_type if profile.multi_shot == "shot_type" else "", failure,
    )
