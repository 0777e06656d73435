"""What the service checks in a submission, and what it answers (API reference §3-§7, §14).

`inspect(body, profiles, served, reject)` returns either an `ApiError` to send at once, or a
`TaskSpec` (which may carry a failure the task will end with). Which bad values the service
refuses at submission and which end in a FAILED task is partly unknown (§14):

- known synchronous: no model, an unknown model or one the region does not serve ("Model not
  exist."), a body that is not an object, a missing prompt, a value of the wrong JSON type;
- values of the right type the model does not take (size, resolution, ratio, duration, audio on a
  silent model, shot_type multi without prompt_extend): a FAILED task with `reject="async"` (the
  §6.5 example), a 400 with the same message with `reject="sync"`.

Limits come from storyc's model profiles.
"""

from __future__ import annotations

from typing import AbstractSet, Any, NamedTuple, Union

from ..models.profile import Catalog, Profile
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
    media: tuple[Any, ...] = ()  # media.Medium of each input sent (models that take media)
    failure_async: bool = False  # the reference documents this failure as a FAILED task, whatever `reject` says
    input_seconds: float = 0.0  # input video seconds billed besides the output (wan2.7-r2v, wan2.6-r2v)
    seed: Union[int, None] = None  # as sent: the task record shows each take's seed


# The JSON type each known field must have; a wrong type is refused at submission.
_INPUT_TYPES: dict[str, type] = {"prompt": str, "negative_prompt": str, "audio_url": str, "media": list}
_PARAMETER_TYPES: dict[str, type] = {
    "size": str, "resolution": str, "ratio": str, "shot_type": str, "duration": int, "seed": int,
    "prompt_extend": bool, "watermark": bool,
}


def _typed(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def inspect(body: Any, profiles: Catalog, served: Union[AbstractSet[str], None] = None,
            reject: str = "async") -> Union[ApiError, TaskSpec]:
    """Check a parsed request body; `served` is the region's model list (None: every profile)."""
    if not isinstance(body, dict):
        return errors.BAD_BODY
    model = body.get("model")
    if model is None or model == "":
        return errors.EMPTY_MODEL
    if not isinstance(model, str):
        return errors.MISSING
    profile = profiles.get(model)
    if profile is None or (served is not None and model not in served):
        return errors.NO_MODEL
    given = body.get("input")
    parameters = body.get("parameters")
    if parameters is None:
        parameters = {}
    if not isinstance(given, dict) or not isinstance(parameters, dict):
        return errors.MISSING
    for fields, types in ((given, _INPUT_TYPES), (parameters, _PARAMETER_TYPES)):
        for name, kind in types.items():
            if fields.get(name) is not None and not _typed(fields[name], kind):
                return errors.MISSING
    prompt = given.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return errors.MISSING
    seed = parameters.get("seed")
    bounds = profile.data["seed"]
    if seed is not None and not bounds["min"] <= seed <= bounds["max"]:
        return errors.MISSING
    if profile.media is not None:
        from .media import read_media

        found = read_media(given, profile)
        if isinstance(found, ApiError):
            return found
        spec = _media_spec(model, profile, prompt, given.get("negative_prompt") or "", found, parameters)
    else:
        spec = _spec(model, profile, prompt, given.get("negative_prompt") or "", given.get("audio_url") or None,
                     parameters)
    if spec.failure is not None and reject == "sync" and not spec.failure_async:
        return ApiError(400, *spec.failure)
    return spec


def _media_spec(model: str, profile: Profile, prompt: str, negative: str, found: list[Any],
                parameters: dict[str, Any]) -> TaskSpec:
    """The task a body with media asks for (wan-media-api.md §3-§7), with the failure its media earn."""
    from .media import picture_size, refusal

    resolution = profile.resolution
    tier = parameters.get("resolution") or resolution["default_tier"]
    ratio = parameters.get("ratio") or resolution["default_ratio"]
    size = parameters.get("size") if not profile.sends_resolution() else None
    failure: Union[tuple[str, str], None] = None
    if size is not None:
        if size in profile.sizes():
            tier, ratio = profile.sizes()[size]
        else:
            failure = ("InvalidParameter", f"The size is not match {size}, please check the size parameter.")
    if failure is None and tier not in resolution["tiers"]:
        failure = ("InvalidParameter", f"The resolution is not match {tier}, please check the resolution parameter.")
    duration = parameters.get("duration")
    duration = profile.duration["default"] if duration is None else duration
    if failure is None and not profile.accepts_duration(duration):
        failure = ("InvalidParameter", f"The duration is not match {duration}, please check the duration parameter.")
    refused = refusal(profile, found, int(duration)) if failure is None else None
    failure, documented = refused if refused is not None else (failure, False)
    width, height = picture_size(profile, tier if tier in resolution["tiers"] else resolution["default_tier"], ratio)
    extend = parameters.get("prompt_extend")
    return TaskSpec(
        model, profile, prompt[: profile.data["prompt_max_chars"]], negative[: profile.data["negative_prompt_max_chars"]],
        width, height, int(duration), tier, ratio, size or f"{width}*{height}", None,
        bool(profile.data["defaults"]["prompt_extend"] if extend is None else extend),
        str(parameters.get("shot_type") or "single") if profile.multi_shot == "shot_type" else "", failure,
        tuple(found), documented, seed=parameters.get("seed"),
    )


def _spec(model: str, profile: Profile, prompt: str, negative: str, audio_url: Union[str, None],
          parameters: dict[str, Any]) -> TaskSpec:
    """The task a well-typed body asks for, with the failure its values earn (if any)."""
    failure: Union[tuple[str, str], None] = None
    resolution = profile.resolution
    tier, ratio = resolution["default_tier"], resolution["default_ratio"]
    size = resolution["pixels"][tier][ratio]
    known = profile.sizes()
    if profile.protocol == "new":  # size and shot_type are ignored here ("配置也不生效")
        tier = parameters.get("resolution") or tier
        ratio = parameters.get("ratio") or ratio
        size = resolution["pixels"].get(tier, {}).get(ratio, "")
        if tier not in resolution["tiers"]:
            failure = ("InvalidParameter", f"The resolution is not match {tier}, please check the resolution parameter.")
        elif not size:
            failure = ("InvalidParameter", f"The ratio is not match {ratio}, please check the ratio parameter.")
    else:
        size = parameters.get("size") or size
        if size not in known:
            failure = ("InvalidParameter", f"The size is not match {size}, please check the size parameter.")
        else:
            tier, ratio = known[size]
    duration = parameters.get("duration")
    if duration is None:
        duration = profile.duration["default"]
    if failure is None and not profile.accepts_duration(duration):
        failure = ("InvalidParameter", f"The duration is not match {duration}, please check the duration parameter.")
    if failure is not None:
        duration = profile.duration["default"]
    if failure is None and audio_url and not profile.audio.get("file"):
        failure = ("InvalidParameter", f"The model {model} does not support audio input.")
    width, height = (int(n) for n in size.split("*")) if size in known else (0, 0)
    shot_type = parameters.get("shot_type") or "single"
    extend = parameters.get("prompt_extend")
    prompt_extend = bool(profile.data["defaults"]["prompt_extend"] if extend is None else extend)
    if profile.multi_shot == "shot_type" and shot_type == "multi" and not prompt_extend and failure is None:
        failure = ("InvalidParameter", "shot_type multi requires prompt_extend to be true.")
    return TaskSpec(
        model, profile, prompt[: profile.data["prompt_max_chars"]],
        negative[: profile.data["negative_prompt_max_chars"]], width, height, int(duration), tier, ratio,
        size if size in known else "", audio_url, prompt_extend,
        shot_type if profile.multi_shot == "shot_type" else "", failure, seed=parameters.get("seed"),
    )
