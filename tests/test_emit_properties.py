"""Generated valid storyboards for every profile emit bodies that pass the protocol's schema and
the profile's limits."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from storygen import NAMES, prose

from storyc.base.diagnostics import has_errors
from storyc.check.rules import check
from storyc.compile.emit import body_problems, compile_plan
from storyc.compile.plan import plan
from storyc.language.load import load
from storyc.models.profile import Profile, builtin

# text-to-video models; those that take media inputs have their own properties (test_media_inputs*.py)
PROFILES = sorted(model for model, profile in builtin().items() if profile.media is None)


def accepted_lengths(profile: Profile) -> list[int]:
    return [s for s in range(1, 31) if profile.accepts_duration(s)]


@st.composite
def valid_storyboard(draw: st.DrawFn) -> tuple[str, str]:
    model = draw(st.sampled_from(PROFILES))
    profile = builtin()[model]
    resolution = profile.resolution
    tier = draw(st.sampled_from(resolution["tiers"]))
    ratio = draw(st.sampled_from(sorted(resolution["pixels"][tier])))
    # a region that offers the model under this id (wan2.6-t2v-us: virginia; wanx2.1-*: beijing)
    region = draw(st.sampled_from([r for r in profile.regions if profile.id_in(r) == model]))
    lines = [f"model {model}", f"region {region}", f"language {draw(st.sampled_from(['zh', 'zh-Hans', 'en']))}"]
    if profile.protocol == "new":
        lines += [f"resolution {tier}", f"ratio {ratio}"]
    else:
        lines.append(f"size {resolution['pixels'][tier][ratio]}")
    if draw(st.booleans()):
        lines.append(f"seed {draw(st.integers(0, 2**31 - 1))}")
    lines += [f"watermark {draw(st.sampled_from(['on', 'off']))}", "prompt-extend on"]
    if draw(st.booleans()):
        lines.append(f"negative: {draw(prose())}")
    lines += [f"cast {name}: {name} in a trench coat" for name in NAMES if name != "fox"]
    lines += ["cast fox: a red fox in a trench coat", "place office: a cluttered office"]
    for index in range(draw(st.integers(1, 3))):
        length = draw(st.sampled_from(accepted_lengths(profile)))
        lines.append(f"clip c{index} {length}s")
        lines.append("  @fox waits in @office")
        if profile.multi_shot != "none" and length >= 2 and draw(st.booleans()):
            first = draw(st.integers(1, length - 1))
            lines += [f"  shot {first}s wide", f"    {draw(prose())}", f"  shot {length - first}s close-up",
                      f"    {draw(prose())}", "    say fox: Hello."]
        if draw(st.booleans()):
            lines.append(f"  {draw(st.sampled_from(['sfx', 'music', 'ambience']))}: {draw(prose())}")
    if profile.multi_shot != "none" and draw(st.booleans()):
        lines += ["scene long", *(f"  shot {draw(st.integers(2, 5))}s: {draw(prose())}" for _ in range(draw(st.integers(1, 8))))]
    return model, "\n".join(lines) + "\n"


@given(valid_storyboard())
def test_every_rendered_body_is_valid(tmp_path_factory: object, case: tuple[str, str]) -> None:
    model, text = case
    folder = Path(tmp_path_factory.mktemp("render"))  # type: ignore[attr-defined]
    path = folder / "generated.story"
    path.write_text(text, encoding="utf-8")
    program = load(str(path))
    diagnostics = check(program)
    if has_errors(diagnostics):
        # only an unsplittable generated scene may fail; everything else was built valid
        assert {d.code for d in diagnostics if d.level == "error"} <= {"SB319"}, (text, diagnostics)
        return
    planned = plan(program)
    assert planned is not None
    compiled = compile_plan(planned)
    assert not has_errors(compiled.diagnostics), compiled.diagnostics
    profile = builtin()[model]
    for clip in compiled.clips:
        assert body_problems(clip.body, profile) == []
        assert clip.body["model"] == model
        assert len(clip.body["input"]["prompt"]) <= profile.data["prompt_max_chars"]
