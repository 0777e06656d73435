"""Which clips' prompts could be too long (SB313), decided mostly without rendering a prompt.

A cheap upper bound on each clip's prompt (every text with its references counted at their longest
written form, plus an allowance per line for labels and cue phrases) settles most clips; only the
others are rendered (`emit.prompt_diagnostics`), so `story check` imports `emit` (the templates'
runtime, the request-body checks) only when some clip could be too long. The small helpers the bound shares with `emit` (the declarations in scope, how a name is
written, the words of each prompt language) live here, so that `story check` need not import `emit`.
"""

from __future__ import annotations

import os
from typing import Any, Union

from ..base import data
from ..language.load import find_root
from ..language.names import resolve as resolve_name
from ..language.nodes import Declaration, Dialogue, Prose, Text
from .plan import ClipPlan, Plan

DEFAULT_LANGUAGE = "zh"


def languages() -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = data.table("languages")
    return table


def declarations(plan: Plan) -> dict[str, Declaration]:
    """Every declaration in scope by name; built once per plan and shared by every clip's expander."""
    declared: dict[str, Declaration] = {}
    for result in (*plan.program.includes, plan.program.entry):
        if result.storyboard is not None:
            for declaration in result.storyboard.declarations:
                declared.setdefault(declaration.name, declaration)
    return declared


def label_of(declaration: Declaration) -> str:
    """How the prompt writes a declared name: its label if it has one, else the name read as words."""
    return declaration.label if declaration.label is not None else _display_name(declaration.name)


def _display_name(name: str) -> str:
    words = name.replace("_", " ").replace("-", " ").split()
    return " ".join(word[:1].upper() + word[1:] for word in words)


_PLAIN_WORDS: dict[str, Any] = {
    "first_mention": "{label} ({description})", "later_mention": "{label}",
    "introduction": "{label}: {description}", "joiner": " ", "full_stop": ".", "sentence_ends": ".!?",
    "clause_marks": ",;",
}


def project_templates(plan: Plan) -> Union[str, None]:
    """The project's `templates/` folder; whether each file in it may be read is the sandbox's to say."""
    folder = os.path.join(find_root(plan.program.entry.source.path), "templates")
    return folder if os.path.isdir(folder) else None


def risky_clips(plan: Plan) -> tuple[ClipPlan, ...]:
    """The clips whose prompt could be longer than their model reads (all of them when the project
    has its own templates, which may also fail): what `emit.prompt_diagnostics` must render.

    A cheap upper bound (every text with references counted at their longest expansion, plus an
    allowance per line for labels and cue phrases) settles most clips without rendering them.
    """
    if project_templates(plan) is not None:
        return plan.clips
    bounds: dict[str, _Bound] = {}
    risky = []
    for clip_plan in plan.clips:
        language = str(plan.settings_for(clip_plan).get("language", DEFAULT_LANGUAGE))
        bound = bounds.get(language)
        if bound is None:
            bound = bounds[language] = _Bound(plan, languages().get(language))
        if bound.clip(clip_plan) > plan.profile_for(clip_plan).data["prompt_max_chars"]:
            risky.append(clip_plan)
    return tuple(risky)


_ALLOWANCE = 64  # characters per line for shot labels, framings and cue phrases
_SENTENCE = 8  # per prose line: its full stop, the joiner, a capital that grew


class _Bound:
    """An upper bound on the length of a clip's rendered prompt, in one language.

    A reference adds at most its longest written form (a first mention, or the label with an
    introduction set before the line; a style with a comma) and never less than nothing, so a text
    is bounded by its own length plus that of each reference's longest form; each form is computed
    once per name.
    """

    def __init__(self, plan: Plan, words: Union[dict[str, Any], None]) -> None:
        self.plan = plan
        self.words = words or _PLAIN_WORDS
        self.declared = declarations(plan)
        self.comma = len(self.words.get("clause_comma", ""))
        self.resolved: dict[str, Union[str, None]] = {}
        self.mentions: dict[tuple[str, int], int] = {}

    def text(self, text: Text, depth: int = 0) -> int:
        total = len(text.value)
        if not text.refs or depth > 3:
            return total
        for ref in text.refs:
            name = self.resolved.get(ref.name, "")
            if name == "":
                name = self.resolved[ref.name] = resolve_name(ref.name, self.declared) or None
            if name is not None:
                total += self.mention(name, depth)
        return total

    def mention(self, name: str, depth: int) -> int:
        known = self.mentions.get((name, depth))
        if known is not None:
            return known
        declaration = self.declared[name]
        description = self.text(declaration.text, depth + 1)
        if declaration.kind != "style":
            label, filler = label_of(declaration), "x" * description
            introduction = self.words["introduction"].format(label=label, description=filler)
            longest = max(len(str(self.words["first_mention"].format(label=label, description=filler))),
                          len(label) + len(introduction) + len(self.words["full_stop"]) + len(self.words["joiner"]))
        else:
            longest = description
        self.mentions[(name, depth)] = longest = longest + self.comma
        return longest

    def clip(self, clip_plan: ClipPlan) -> int:
        total = 4 * _ALLOWANCE
        settings = self.plan.settings_for(clip_plan)
        if "style" in settings.nodes:
            total += self.text(settings.nodes["style"].value)
        for timed in clip_plan.shots:
            total += _ALLOWANCE + self.lines(timed.shot.lines)
            if timed.shot.framing is not None:
                total += len(timed.shot.framing.value)
            if timed.shot.text is not None:
                total += _SENTENCE + self.text(timed.shot.text)
        return total + self.lines(clip_plan.lines)

    def lines(self, lines: Any) -> int:
        total = 0
        for line in lines:
            if type(line) is Prose:
                total += _SENTENCE + self.text(line.text)
                continue
            total += _ALLOWANCE
            for text in (getattr(line, "text", None), getattr(line, "line", None)):
                if isinstance(text, Text):
                    total += self.text(text)
            if isinstance(line, Dialogue):
                declaration = self.declared.get(line.speaker)
                total += self.mention(line.speaker, 0) if declaration is not None else len(line.speaker)
        return total
