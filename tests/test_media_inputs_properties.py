"""A property: every generated storyboard with media that checks clean compiles to bodies whose media roles,
counts, durations and ratio handling the reference's combination tables allow; one that breaks any of those
rules gets an error, never a body. The oracle is written from wan-media-api.md (§3.2, §4.1-§4.2, §6.2, §7),
not from the checker: it knows which inputs it wrote and which cast members it mentioned, in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from test_media_inputs_profiles import allowed

from storyc.base.diagnostics import has_errors
from storyc.check.rules import check
from storyc.compile.emit import compile_plan
from storyc.compile.media import sent_roles
from storyc.compile.plan import plan
from storyc.language.load import load
from storyc.models.profile import Profile, builtin

MEDIA_MODELS = sorted(model for model, profile in builtin().items() if profile.media is not None)
CLIP_INPUTS = {"first-frame": ("first_frame", "png"), "last-frame": ("last_frame", "jpg"),
               "driving-audio": ("driving_audio", "mp3"), "first-clip": ("first_clip", "mp4")}
CAST = ("mei", "lin", "fox", "owl", "kai", "zoe")


@st.composite
def storyboard(draw: st.DrawFn) -> tuple[str, str, dict[str, int], int, bool]:
    """(model, text, the roles the clip sends as the reference would count them, its seconds, ratio set)."""
    model = draw(st.sampled_from(MEDIA_MODELS))
    profile = builtin()[model]
    media = profile.media
    assert media is not None
    region = draw(st.sampled_from([r for r in profile.regions if profile.id_in(r) == model]))
    lines = [f"model {model}", f"region {region}", f"language {draw(st.sampled_from(['zh', 'en']))}"]
    ratio = profile.protocol == "new" and draw(st.booleans())
    if ratio:
        lines.append(f"ratio {draw(st.sampled_from(profile.resolution['ratios']))}")
    if profile.resolution["default_tier"] == "1080P" and "720P" in profile.resolution["tiers"]:
        lines.append("resolution 720P" if profile.protocol == "new" or profile.sends_resolution() else "size 1280*720")
    members: dict[str, list[str]] = {}
    for name in CAST[: draw(st.integers(0, len(CAST)))]:
        kinds = draw(st.lists(st.sampled_from(["image", "image", "video", "voice"]), max_size=3))
        kinds = [k for i, k in enumerate(kinds) if k != "voice" or "voice" not in kinds[:i]]
        members[name] = kinds
        lines.append(f"cast {name}: {name} the traveller")
        ext = {"image": "png", "video": "mp4", "voice": "wav"}
        lines += [f"  {kind}: https://example.com/{name}-{i}.{ext[kind]}" for i, kind in enumerate(kinds)]
    accepted = [s for s in range(1, 32) if profile.accepts_duration(s)]
    seconds = draw(st.sampled_from(accepted) if draw(st.integers(0, 3)) else st.integers(1, 31))
    lines.append(f"clip c {seconds}s")
    keys = {role: key for key, (role, _) in CLIP_INPUTS.items()}
    if draw(st.booleans()):  # half the time, what one of the model's modes asks for, and some of what it allows
        mode = draw(st.sampled_from(media["modes"]))
        inputs = [keys[r] for r, (low, _) in mode["roles"].items() if r in keys and (low or draw(st.booleans()))]
    else:
        inputs = draw(st.lists(st.sampled_from(sorted(CLIP_INPUTS)), unique=True, max_size=3))
    for key in inputs:
        role, ext = CLIP_INPUTS[key]
        lines.append(f"  {key}: https://example.com/{role}.{ext}")
    mentioned = draw(st.permutations(list(members)))[: draw(st.integers(0, len(members)))]
    lines.append("  " + " and ".join(f"@{name}" for name in mentioned) + " walk in the rain" if mentioned
                 else "  rain on an empty street")
    for name in members:
        if name not in mentioned:
            lines.append(f"  later, {name} is remembered")
    roles: dict[str, int] = {}
    for key in inputs:
        roles[CLIP_INPUTS[key][0]] = roles.get(CLIP_INPUTS[key][0], 0) + 1
    takes_references = any(r.startswith("reference_") for mode in media["modes"] for r in mode["roles"])
    voice_role = media.get("voice_role") or ("reference_voice" if "reference_voice" in media["roles"] else None)
    for name in mentioned if takes_references else ():
        pictures = [k for k in members[name] if k != "voice"]
        for kind in pictures:
            role = "reference_image" if kind == "image" else "reference_video"
            roles[role] = roles.get(role, 0) + 1
        if "voice" in members[name] and (voice_role == "reference_audio" or (voice_role and pictures)):
            roles[voice_role] = roles.get(voice_role, 0) + 1  # type: ignore[index]
    return model, "\n".join(lines) + "\n", roles, seconds, ratio


def breaks_a_rule(profile: Profile, roles: dict[str, int], seconds: int) -> bool:
    media = profile.media
    assert media is not None
    if set(roles) - set(media["roles"]) or not allowed(profile, roles):
        return True
    if not profile.accepts_duration(seconds):
        return True
    with_video = [m for m in media["modes"] if "duration_with_video" in m]
    return bool(roles.get("reference_video") and with_video and seconds > with_video[0]["duration_with_video"]["max"])


def ratio_obeyed(profile: Profile, roles: dict[str, int]) -> bool:
    """§3.1: wan2.7-i2v has no ratio; §4.1: wan2.7-r2v ignores it with a first frame; Wan 3.0 takes it."""
    if profile.id.startswith("wan2.7-i2v"):
        return False
    if profile.id.startswith("wan2.7-r2v"):
        return not roles.get("first_frame")
    return profile.id.startswith("wan3.0")


@given(storyboard())
def test_media_storyboards_compile_only_to_allowed_bodies(tmp_path_factory: Any,
                                                           case: tuple[str, str, dict[str, int], int, bool]) -> None:
    model, text, roles, seconds, _ = case
    path = Path(tmp_path_factory.mktemp("media")) / "generated.story"
    path.write_text(text, "utf-8")
    program = load(str(path))
    profile = builtin()[model]
    diagnostics = check(program)
    broken = breaks_a_rule(profile, roles, seconds)
    assert has_errors(diagnostics) == broken, (text, roles, diagnostics)
    if broken:
        return
    planned = plan(program)
    assert planned is not None
    compiled = compile_plan(planned)
    assert not has_errors(compiled.diagnostics), compiled.diagnostics
    [clip] = compiled.clips
    body = clip.body
    assert body["model"] == model
    assert sent_roles(body, profile) == roles
    assert allowed(profile, sent_roles(body, profile))
    if "duration" in body["parameters"]:
        assert body["parameters"]["duration"] == seconds
    else:
        assert profile.duration.get("fixed") == seconds
    if profile.media["wire"] == "array":  # type: ignore[index]
        assert ("ratio" in body["parameters"]) == ratio_obeyed(profile, roles), (text, body)
