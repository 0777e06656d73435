"""Plan -> prompt text and exact request bodies. The entry point is `compile_plan(plan)`.

Prompts come from Jinja2 templates (`templates/prompt-<language>.j2`), fed a plain context built
by one function, `prompt_context`; templates never see the syntax tree. Request bodies come from
`templates/body-<protocol>.json.j2`; each is parsed back at once and validated against the
protocol's JSON Schema (`schemas/`) and the profile's limits before it leaves the compiler.
A storyboard project may override templates in `<root>/templates/`; those run sandboxed.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any, NamedTuple, Sequence, Union

from ..base.diagnostics import Diagnostic, make
from ..check import framing
from ..check.audio import soundtrack_path
from ..language.names import resolve as resolve_name
from ..language.nodes import Camera, Cue, Declaration, Dialogue, Prose, Soundtrack, Text
from ..language.timeline import seconds
from ..models.profile import Profile
from . import media, sent
from .bound import (
    _PLAIN_WORDS,
    DEFAULT_LANGUAGE,
    declarations,
    label_of,
    languages,
    project_templates,
    risky_clips,
)
from .plan import ClipPlan, Plan

HERE = os.path.dirname(__file__)
TEMPLATES = os.path.join(HERE, "templates")
SCHEMAS = os.path.join(HERE, "schemas")


class CompiledClip(NamedTuple):
    name: str
    prompt: str
    body: dict[str, Any]

    def body_text(self) -> str:
        """The body as written to disk and sent: fixed key order, UTF-8, trailing newline."""
        return json.dumps(self.body, ensure_ascii=False, indent=2) + "\n"


class Compiled(NamedTuple):
    clips: tuple[CompiledClip, ...]
    diagnostics: tuple[Diagnostic, ...]
    region: Union[str, None] = None  # the plan's resolved region (always set by compile_plan)


def compile_plan(plan: Plan) -> Compiled:
    """Render every clip of the plan; problems come back as diagnostics, never as exceptions."""
    environment = _environment(project_templates(plan))
    source = plan.program.entry.source
    clips: list[CompiledClip] = []
    diagnostics: list[Diagnostic] = list(plan.diagnostics)
    declared = declarations(plan)
    for clip_plan in plan.clips:
        profile = plan.profile_for(clip_plan)
        limit = profile.data["prompt_max_chars"]
        try:
            prompt = emit_prompt(plan, clip_plan, environment, media.prompt_declarations(plan, clip_plan, declared))
            if len(prompt) > limit:
                diagnostics.append(make(
                    "SB313", f"the prompt for `{clip_plan.name}` is {len(prompt)} characters; "
                    f"`{profile.id}` reads {limit}", source, clip_plan.clip.name_span,
                    label=f"{len(prompt) - limit} characters over",
                    help="shorten the prose, or split the clip; the service would cut the end off silently",
                ))
                continue
            body = emit_body(plan, clip_plan, prompt, environment)
        except TemplateProblem as problem:
            diagnostics.append(make("SB501", str(problem), source, clip_plan.clip.name_span,
                                    label="while rendering this clip", help=problem.hint))
            continue
        clips.append(CompiledClip(clip_plan.name, prompt, body))
    return Compiled(tuple(clips), tuple(diagnostics), plan.region)


class TemplateProblem(Exception):
    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def _environment(project: Union[str, None]) -> Any:
    if not project:  # the built-in templates, compiled ahead of time: no Jinja2 import (templating.py)
        from . import templating

        builtin = templating.builtin()
        if builtin is not None:
            return builtin
    return _jinja_environment(project)


def _jinja_environment(project: Union[str, None]) -> Any:
    import jinja2

    def to_json(value: Any) -> str:  # `tojson` escapes HTML; bodies need plain JSON with CJK as written
        return json.dumps(value, ensure_ascii=False)

    if project:  # a project's own templates: sandboxed, confined to the project, under limits
        from . import sandbox

        environment: Any = sandbox.environment(project, os.path.dirname(project), TEMPLATES)
        environment.filters["json"] = sandbox.bounded(to_json)
        return environment
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined, autoescape=False,
        keep_trailing_newline=True, extensions=["jinja2.ext.do"],
    )
    environment.filters["json"] = to_json
    return environment


def _fill(environment: Any, name: str, **context: Any) -> str:
    from . import templating

    if isinstance(environment, templating.Environment):
        if environment.root(name) is not None:
            try:
                return environment.render(name, context)
            except templating.RenderError as error:
                raise TemplateProblem(f"template `{name}` failed: {error}", "fix the template") from None
        environment = _jinja_environment(None)  # the template changed since it was compiled
    import jinja2

    from . import sandbox

    try:
        if isinstance(environment, sandbox.ProjectEnvironment):
            return sandbox.render(environment, name, context)
        return str(environment.get_template(name).render(**context))
    except sandbox.LimitExceeded as error:
        raise TemplateProblem(str(error), "keep the template within the limits in docs/security.md") from None
    except sandbox.Refused as error:
        raise TemplateProblem(str(error), "keep templates inside the project, as regular files") from None
    except jinja2.TemplateNotFound:
        raise TemplateProblem(f"template `{name}` not found", "check the templates folder") from None
    except jinja2.exceptions.SecurityError as error:
        raise TemplateProblem(f"template `{name}` did something unsafe: {error}",
                              "project templates may only use the context they are given") from None
    except jinja2.TemplateError as error:
        raise TemplateProblem(f"template `{name}` failed: {error}", "fix the template") from None
    except Exception as error:  # noqa: BLE001 - a project template's own bug is a diagnostic, not a crash
        if not isinstance(environment, sandbox.ProjectEnvironment):
            raise
        raise TemplateProblem(f"template `{name}` failed: {type(error).__name__}: {error}", "fix the template") from None


class _Expander:
    """The one place that decides what an `@name` (or a speaker) is written as in a prompt.

    Cast and places read the same way in every language (the words are in data/languages.json):
    the first mention in a clip introduces the name, as its label with its description
    (`first_mention`: `Mei (a girl in a raincoat)`, `阿梅(一位穿黃色雨衣的女孩)`); later mentions in
    the clip write the label alone. Where the description would land between the name and a particle
    or possessive that belongs to it (`@貓的尾巴`, `@fox's tail`), and for the speaker of a line, the
    name is written as its label and introduced by a sentence of its own set before the line
    (`introduction`: `貓是一隻胖胖的橘貓。貓的尾巴…`). Styles are written out in full. A style that
    is itself a clause ("noir, rain") is closed with the language's comma when the sentence goes on
    after it, so that it does not run into the verb; a full stop it ends with is dropped inside a
    sentence.
    """

    def __init__(self, plan: Plan, words: Union[dict[str, Any], None] = None,
                 declared: Union[dict[str, Declaration], None] = None) -> None:
        self.words = words or _PLAIN_WORDS
        self.mentioned: set[str] = set()
        self.introductions: list[str] = []  # waiting to be set before the line being written
        self.declared = declarations(plan) if declared is None else declared

    def text(self, text: Text, depth: int = 0) -> str:
        if not text.refs or depth > 3:
            return text.value
        out: list[str] = []
        cursor = text.span.start
        for ref in text.refs:
            name = resolve_name(ref.name, self.declared) or ref.name  # `@獵豹追著羚羊`: `獵豹`, then prose
            end = ref.span.start + 1 + len(name)
            out.append(text.value[cursor - text.span.start : ref.span.start - text.span.start])
            rest = text.value[end - text.span.start :]
            following = rest.lstrip(" \t")
            spaced_only = self.words.get("joiner") == "" and following != rest and not following[:1].isascii()
            out.append(self.mention(name, depth, following if spaced_only else rest))
            cursor = end
            if spaced_only:
                cursor += len(rest) - len(following)  # Chinese: `@fox 走進` was spaced only to end the name
        out.append(text.value[cursor - text.span.start :])
        return "".join(out)

    def mention(self, name: str, depth: int = 0, rest: str = "") -> str:
        declaration = self.declared.get(name)
        if declaration is None:
            return name
        if declaration.kind == "style":
            return self._in_sentence(self.text(declaration.text, depth + 1), rest)
        label = label_of(declaration)
        if name in self.mentioned:
            return str(self.words["later_mention"].format(label=label))
        self.mentioned.add(name)
        description = _inner(self.text(declaration.text, depth + 1), self.words)
        if not description:
            return label
        spaced = rest.lstrip(" \t")  # `@貓 的尾巴`: spaced only to end the name; `'s` is never spaced
        if (spaced if not spaced[:1].isascii() else rest).startswith(_particles()):
            self.introductions.append(self._introduction(label, description))
            return label
        return str(self.words["first_mention"].format(label=label, description=description))

    def speaker(self, name: str) -> str:
        """A speaker is named by its label; its first mention is introduced before the line."""
        declaration = self.declared.get(name)
        if declaration is None:
            return name
        label = label_of(declaration)
        if name not in self.mentioned:
            self.mentioned.add(name)
            description = _inner(self.text(declaration.text, 1), self.words)
            if description:
                self.introductions.append(self._introduction(label, description))
        return label

    def introduced(self, line: str) -> str:
        """The line with the introductions its mentions asked for set before it."""
        if not self.introductions:
            return line
        joined = str(self.words["joiner"]).join([*self.introductions, line])
        self.introductions.clear()
        return joined

    def _introduction(self, label: str, description: str) -> str:
        return sentence(str(self.words["introduction"].format(label=label, description=description)), self.words)

    def _in_sentence(self, phrase: str, rest: str) -> str:
        """The phrase as it reads with `rest` (the text after the reference) following it."""
        following = rest.lstrip()
        if not following:
            return phrase
        closing = self.words.get("sentence_ends", "")
        if phrase and phrase[-1] in closing and phrase[-1] not in "\"'”’」』":
            phrase = phrase[:-1].rstrip()
        comma = self.words.get("clause_comma", "")
        clause_marks = self.words.get("clause_marks", "")
        enclosed = phrase[-1:] in ")）]」』\"'”’"  # "Mei (a girl, twelve)" already reads as one phrase
        if comma and not enclosed and following[0].isalnum() and any(mark in phrase for mark in clause_marks):
            phrase += comma
        return phrase


@cache
def _particles() -> tuple[str, ...]:
    """What belongs to the name before it, in any prompt language: prose mixes them (`@fox的尾巴`)."""
    return tuple(sorted({p for words in languages().values() for p in words.get("particles", ())}))


def sentence(text: str, words: dict[str, Any]) -> str:
    """A line as a finished sentence in its language: `a fox runs` -> `a fox runs.`, `狐狸跑` -> `狐狸跑。`.

    A line that already ends a sentence (or a quotation) is kept as written; one left on a comma or a
    colon has it replaced by the full stop.
    """
    text = text.rstrip()
    if words.get("capitalise") and text[:1].islower():
        text = text[0].upper() + text[1:]
    if not text or text[-1] in words["sentence_ends"]:
        return text
    if text[-1] in words["clause_marks"] or text[-1] in ":：":
        text = text[:-1].rstrip()
    return text + words["full_stop"] if text else text


def _inner(text: str, words: dict[str, Any]) -> str:
    """Text set inside a phrase that closes itself (`Camera: {text}.`): without its own full stop."""
    text = text.rstrip()
    while text and text[-1] in words["full_stop"] + "。.":
        text = text[:-1].rstrip()
    return text


def prompt_context(plan: Plan, clip_plan: ClipPlan,
                   declared: Union[dict[str, Declaration], None] = None) -> dict[str, Any]:
    """Everything a prompt template may use, as plain strings, numbers and lists.

    Prose lines come back as finished sentences, so that lines and shots never run into each other;
    `joiner` is what separates sentences in the language (a space in English, nothing in Chinese).
    """
    settings = plan.settings_for(clip_plan)
    language = str(settings.get("language", DEFAULT_LANGUAGE))
    words = languages()[language]
    expand = _Expander(plan, words, declared)

    def phrase(line: Any) -> str:
        if isinstance(line, Prose):
            return expand.introduced(sentence(expand.text(line.text), words))
        if isinstance(line, Camera):
            return expand.introduced(str(words["camera"].format(text=_inner(expand.text(line.text), words))))
        if isinstance(line, Cue):
            return expand.introduced(str(words["cues"][line.kind].format(text=_inner(expand.text(line.text), words))))
        assert isinstance(line, Dialogue)
        speaker = expand.speaker(line.speaker)
        return expand.introduced(str(words[line.kind].format(speaker=speaker, line=expand.text(line.line))))

    # Mentions are expanded in the order the built-in templates write them (style, the clip's own
    # lines, the shots, then its cues and dialogue), so that the first one written introduces the name.
    style = ""
    if "style" in settings.values:
        style = expand.introduced(str(words["style"].format(
            text=_inner(expand.text(settings.nodes["style"].value), words))))
    clip_lines = [line for line in clip_plan.lines if isinstance(line, (Prose, Camera, Cue, Dialogue))]
    opening = [phrase(line) for line in clip_lines if isinstance(line, (Prose, Camera))]
    shots = []
    for number, timed in enumerate(clip_plan.shots, start=1):
        shot = timed.shot
        lines = [expand.introduced(sentence(expand.text(shot.text), words))] if shot.text is not None else []
        lines += [phrase(line) for line in shot.lines]
        key = framing.canonical(shot.framing.value) if shot.framing is not None else None
        shots.append({
            "number": number, "start": seconds(timed.start), "end": seconds(timed.end),
            "framing": framing.name(key, language) if key else (shot.framing.value if shot.framing else ""),
            "lines": lines,
        })
    closing = [phrase(line) for line in clip_lines if isinstance(line, (Cue, Dialogue))]
    return {"clip": {
        "name": clip_plan.name,
        "language": language,
        "joiner": words["joiner"],
        "instruction": " ".join(filter(None, [media.extend_intent(plan, clip_plan, language),
                                              _instruction(plan, clip_plan, len(shots), words)])),
        "style": style,
        "lines": opening,
        "shots": shots,
        "closing": closing,
        "seconds": seconds(clip_plan.millis),
    }}


def _instruction(plan: Plan, clip_plan: ClipPlan, shot_count: int, words: dict[str, Any]) -> str:
    """wan2.7 reads the shot structure from the prompt; state it when the file asks."""
    mode = plan.settings_for(clip_plan).get("shot-mode", "auto")
    if plan.profile_for(clip_plan).multi_shot != "prompt" or mode == "auto":
        return ""
    return str(words["single_shot"] if mode == "single" else words["multi_shot"])


def emit_prompt(plan: Plan, clip_plan: ClipPlan, environment: Any = None,
                  declared: Union[dict[str, Declaration], None] = None) -> str:
    context = prompt_context(plan, clip_plan, declared)
    name = f"prompt-{context['clip']['language']}.j2"
    return _fill(environment or _environment(None), name, **context).strip()


def request_values(plan: Plan, clip_plan: ClipPlan, prompt: str) -> dict[str, Any]:
    """The values a body template fills in, decided from the settings and the profile alone."""
    profile, settings = plan.profile_for(clip_plan), plan.settings_for(clip_plan)
    resolution = profile.resolution
    tier = settings.get("resolution", resolution["default_tier"])
    ratio = settings.get("ratio", resolution["default_ratio"])
    size = settings.get("size") or resolution["pixels"].get(tier, {}).get(ratio)
    multi = len(clip_plan.shots) > 1 or settings.get("shot-mode") == "multi"
    shot_type = "multi" if multi and profile.multi_shot == "shot_type" else None
    prompt_extend = settings.get("prompt-extend", profile.data["defaults"]["prompt_extend"])
    fixed = "fixed" in profile.duration
    return {
        "model": plan.model_for(clip_plan),
        "prompt": prompt,
        "negative_prompt": settings.get("negative") or None,
        "audio_url": _audio_url(plan, clip_plan),
        "resolution": tier,
        "ratio": ratio,
        "size": size,
        "duration": None if fixed else clip_plan.millis // 1000,
        "prompt_extend": True if shot_type else bool(prompt_extend),
        "watermark": bool(settings.get("watermark", profile.data["defaults"]["watermark"])),
        "shot_type": shot_type,
        "seed": settings.get("seed"),
    }


def _audio_url(plan: Plan, clip_plan: ClipPlan) -> Union[str, None]:
    for line in clip_plan.lines:
        if isinstance(line, Soundtrack):
            path = soundtrack_path(line, plan.program.entry.source.path)
            if path is None:
                return line.source.value
            # A local file is uploaded at submission; until then it is named relative to the storyboard.
            relative = os.path.relpath(path, os.path.dirname(plan.program.entry.source.path) or ".")
            return "file://" + relative.replace(os.sep, "/")
    return None


def emit_body(plan: Plan, clip_plan: ClipPlan, prompt: str, environment: Any = None) -> dict[str, Any]:
    values = request_values(plan, clip_plan, prompt)
    profile = plan.profile_for(clip_plan)
    template = f"body-{profile.protocol}.json.j2"
    if profile.media is not None:  # pictures, clips and voices: compile/media.py
        template = media.body_values(plan, clip_plan, values)
    text = _fill(environment or _environment(None), template, request=values)
    try:
        body: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as error:
        raise TemplateProblem(f"the request body is not valid JSON: {error}", "fix the body template") from None
    problems = body_problems(body, profile)
    if problems:
        raise TemplateProblem(f"the request body breaks the API contract: {problems[0]}", "fix the body template")
    refused = sent.refusal(body, values, plan.program.entry.source.path)  # what the price and checks rely on
    if refused:
        raise TemplateProblem(f"the request body is refused: {refused}", "fix the body template")
    return body


def schema_path(protocol: str) -> str:
    """The JSON Schema of a protocol's request body."""
    return os.path.join(SCHEMAS, f"body-{protocol}.schema.json")


def body_problems(body: dict[str, Any], model: Profile) -> list[str]:
    """Schema violations, then anything outside the profile's own limits.

    The schemas are read by `schema.py`, not jsonschema, whose import would double the start-up
    time of `story compile`; tests/test_body_schema.py holds the two to the same verdicts.
    """
    from . import schema

    if model.media is not None:
        return media.body_problems(body, model)
    problems = [
        f"{'.'.join(str(p) for p in path) or '(top)'}: {message}"
        for path, message in schema.errors(body, schema.load(schema_path(model.protocol)))
    ]
    if problems:
        return problems
    parameters = body["parameters"]
    if "duration" in parameters and not model.accepts_duration(parameters["duration"]):
        problems.append(f"parameters.duration: {parameters['duration']} is not accepted by {model.id}")
    if "size" in parameters and parameters["size"] not in model.sizes():
        problems.append(f"parameters.size: {parameters['size']} is not offered by {model.id}")
    if "resolution" in parameters and parameters["resolution"] not in model.resolution["tiers"]:
        problems.append(f"parameters.resolution: {parameters['resolution']} is not offered by {model.id}")
    limit = model.data["prompt_max_chars"]
    if len(body["input"]["prompt"]) > limit:
        problems.append(f"input.prompt: longer than {limit} characters")
    if "audio_url" in body["input"] and not model.audio.get("file"):
        problems.append(f"input.audio_url: {model.id} takes no audio")
    return problems


def prompt_diagnostics(plan: Plan, risky: Union[Sequence[ClipPlan], None] = None) -> list[Diagnostic]:
    """SB313 and SB501 for `story check`: render only the clips whose prompt could be too long
    (`risky`, else `bound.risky_clips(plan)`)."""
    risky = risky_clips(plan) if risky is None else risky
    if not risky:
        return []
    compiled = compile_plan(plan._replace(clips=tuple(risky), diagnostics=()))
    return [d for d in compiled.diagnostics if d.code in ("SB313", "SB501")]
