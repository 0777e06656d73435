"""From a checked storyboard to the list of requests it makes. The entry point is `plan(program)`.

A `clip` is one request. A `scene` is split at shot boundaries into consecutive clips: a clip
closes when the next shot would make it longer than the model's longest clip, backing off to the
longest prefix whose length the model accepts. Parts closed that way never change when shots are
added after them; only the scene's last part can.
"""

from __future__ import annotations

from typing import NamedTuple, Union

from ..base.diagnostics import Diagnostic
from ..check.limits import scene_part_ends, unsplittable_scene
from ..language.load import Program
from ..language.nodes import Clip, ClipLine, Setting, Shot
from ..language.settings import Settings, for_clip, resolve
from ..language.timeline import Timed, timed_shots, total_millis
from ..models.profile import DEFAULT_MODEL, Catalog, Profile, catalog
from ..models.regions import DEFAULT_REGION, region_for, scope_region


class ClipPlan(NamedTuple):
    """One request: the clip (or scene part) it comes from, its shots re-timed from 0, its length."""

    name: str
    clip: Clip
    part: Union[int, None]
    shots: tuple[Timed, ...]
    millis: int
    lines: tuple[ClipLine, ...]  # the clip's own lines (not shots), shared by all parts of a scene
    # Set when the clip overrides the file's settings (`model wan2.6-t2v` under the clip line):
    # read them through Plan.settings_for / profile_for / model_for / region_for.
    settings: Union[Settings, None] = None
    profile: Union[Profile, None] = None
    model: Union[str, None] = None
    region: Union[str, None] = None
    picked: str = ""  # `model wan2.7`: which member the clip was given, and why (check.media.pick)


class Plan(NamedTuple):
    program: Program
    settings: Settings
    profile: Profile
    model: str  # the id sent: the model's id in `region` (wanx2.1-* in Beijing is wan2.1-* in Singapore)
    clips: tuple[ClipPlan, ...]
    diagnostics: tuple[Diagnostic, ...]
    region: str = DEFAULT_REGION  # resolved once (regions.region_for); prices, host and model id follow it

    def settings_for(self, clip_plan: ClipPlan) -> Settings:
        """The settings a clip is generated with: the file's, overridden by the clip's own."""
        return clip_plan.settings or self.settings

    def profile_for(self, clip_plan: ClipPlan) -> Profile:
        return clip_plan.profile or self.profile

    def model_for(self, clip_plan: ClipPlan) -> str:
        """The model id sent for this clip, in its region."""
        return clip_plan.model or self.model

    def region_for(self, clip_plan: ClipPlan) -> str:
        return clip_plan.region or self.region


def plan(program: Program, profiles: Union[Catalog, None] = None, region: Union[str, None] = None) -> Union[Plan, None]:
    """The requests for a program that parsed; None when its model has no profile.

    `region` is the resolved region; by default the `region` setting, else $DASHSCOPE_REGION, else
    singapore. The plan carries it, and sends the model under its id in that region.
    """
    storyboard = program.entry.storyboard
    if storyboard is None:
        return None
    settings, _ = resolve(storyboard, program.entry.source)
    model_id = str(settings.get("model", DEFAULT_MODEL))
    profile = (profiles or catalog()).get(model_id)
    if profile is None:
        return None
    file_region = region or region_for(settings.get("region"))
    model = profile.id_in(file_region)
    clips: list[ClipPlan] = []
    diagnostics: list[Diagnostic] = []
    for clip in storyboard.clips:
        own, _ = for_clip(settings, clip, program.entry.source)
        scope = ClipPlan("", clip, None, (), 0, ())  # carries the clip's own scope, if any
        if own is not settings:
            found = (profiles or catalog()).get(str(own.get("model", DEFAULT_MODEL)))
            if found is None:
                return None
            clip_region = scope_region(own, settings, region)
            scope = scope._replace(settings=own, profile=found, model=found.id_in(clip_region), region=clip_region)
        picked = _picked(program, profiles or catalog(), own, clip)
        if picked is not None:  # a family: the member that takes what this clip has
            clip_region = scope_region(own, settings, region)
            scope = scope._replace(settings=own, profile=picked[0], model=picked[0].id_in(clip_region),
                                   region=clip_region, picked=picked[1])
        clip_profile = scope.profile or profile
        if clip.kind == "scene":
            parts, problems = split_scene(clip, clip_profile, program)
            clips.extend(part._replace(settings=scope.settings, profile=scope.profile, model=scope.model,
                                       region=scope.region) for part in parts)
            diagnostics.extend(problems)
        else:
            millis = total_millis(clip) or clip_profile.duration["default"] * 1000
            shots = tuple(timed_shots(clip.shots))
            clips.append(scope._replace(name=clip.name, shots=shots, millis=millis, lines=_own_lines(clip)))
    return Plan(program, settings, profile, model, tuple(clips), tuple(diagnostics), file_region)


def _picked(program: Program, profiles: Catalog, settings: Settings, clip: Clip) -> Union[tuple[Profile, str], None]:
    from ..check.media import declarations_in, pick

    return pick(profiles, str(settings.get("model", DEFAULT_MODEL)), clip, program.entry.source.path,
                declarations_in(program))


def split_scene(clip: Clip, profile: Profile, program: Program) -> tuple[list[ClipPlan], list[Diagnostic]]:
    shots = list(clip.shots)
    lengths = [t.end - t.start for t in timed_shots(shots)]
    parts: list[ClipPlan] = []
    own = _own_lines(clip)
    start = 0
    for end in scene_part_ends(lengths, profile):
        if end is None:
            return parts, [unsplittable_scene(clip, profile, program.entry.source, start, lengths)]
        parts.append(_part(clip, len(parts) + 1, shots[start:end], own))
        start = end
    return parts, []


def _part(clip: Clip, number: int, shots: list[Shot], own: tuple[ClipLine, ...]) -> ClipPlan:
    timed = timed_shots(shots)
    base = timed[0].start
    rebased = tuple(Timed(t.shot, t.start - base, t.end - base) for t in timed)
    return ClipPlan(part_name(clip.name, number), clip, number, rebased, rebased[-1].end, own)


def part_name(scene: str, number: int) -> str:
    """The name of a scene's part: `chase-2` (in the lock file, the renders folder and `continue`)."""
    return f"{scene}-{number}"


def _own_lines(clip: Clip) -> tuple[ClipLine, ...]:
    return tuple(line for line in clip.lines if not isinstance(line, (Shot, Setting)))
