"""What the editor shows while writing: hover, inlay hints (shot times, clip prices) and completion."""

from __future__ import annotations

import os
import re
from functools import cache
from typing import Any, Union

from lsprotocol import types

from ..base.source import Span
from ..check import framing
from ..compile.plan import ClipPlan, Plan
from ..language.load import find_root
from ..language.nodes import Clip, Declaration, Duration, Shot
from ..language.settings import spec
from ..language.timeline import seconds
from ..models.pricing import Price
from .analysis import Analysis, clip_at, shot_at

PREVIEW_CHARS = 600
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@cache
def keywords() -> dict[str, Any]:
    import json

    with open(os.path.join(os.path.dirname(__file__), "keywords.json"), encoding="utf-8") as handle:
        table: dict[str, Any] = json.load(handle)
    return table


def _range_text(millis_start: int, millis_end: int) -> str:
    return f"[{seconds(millis_start)}-{seconds(millis_end)}s]"


def _money(price: Union[Price, None]) -> str:
    if price is None or price.amount is None:
        return "price unknown" + (f" in {price.region}" if price else "")
    return f"{price.currency} {price.amount:.2f}"


def _prices(analysis: Analysis, planned: Plan, parts: list[ClipPlan]) -> tuple[str, list[Price]]:
    prices = [price for price in (analysis.price(planned, part) for part in parts) if price is not None]
    if len(prices) != len(parts) or any(price.amount is None for price in prices):
        return _money(prices[0] if prices else None), prices
    total = round(sum(price.amount or 0.0 for price in prices), 6)
    return f"{prices[0].currency} {total:.2f}", prices


# -- hover


def hover(analysis: Analysis, offset: int) -> Union[types.Hover, None]:
    storyboard = analysis.storyboard
    if storyboard is None:
        return None
    lines = analysis.lines(analysis.path)
    name = analysis.name_at(analysis.path, offset)
    if name is not None:
        return _markdown(_name_hover(analysis, name))
    clip = clip_at(storyboard, offset)
    line_number = lines.line_of(offset)
    if clip is not None:
        if lines.line_of(clip.span.start) == line_number:
            return _markdown(_clip_hover(analysis, clip))
        shot = shot_at(clip, offset)
        if shot is not None and lines.line_of(shot.span.start) == line_number:
            return _markdown(_shot_hover(analysis, clip, shot))
    word = _keyword_at(analysis.text, lines.line_span(line_number), offset)
    return _markdown(word) if word else None


def _markdown(text: str) -> types.Hover:
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


def _name_hover(analysis: Analysis, name: str) -> str:
    found = analysis.declarations().get(name)
    if found is None:
        return f"`@{name}` is not declared"
    declaration, source = found
    line = source.position(declaration.span.start).line
    where = os.path.relpath(source.path, os.path.dirname(analysis.path) or ".")
    shown = [f"**{declaration.kind} `{name}`**: {declaration.text.value}", *_media_lines(declaration, source.path)]
    return "\n\n".join([*shown, f"{_written_as(declaration)}*declared in {where}:{line}*"])


def _label_text(declaration: Declaration) -> str:
    return f' "{declaration.label}"' if declaration.label is not None else ""


def _written_as(declaration: Declaration) -> str:
    """How the prompt calls the name (the clip's hover shows the whole prompt)."""
    if declaration.kind == "style":
        return ""
    from ..compile.bound import label_of

    given = "its label" if declaration.label is not None else "no label given: the name"
    return f"the prompt calls it `{label_of(declaration)}` ({given})\n\n"


def _media_lines(declaration: Declaration, path: str) -> list[str]:
    """A declaration's reference media: each line as written, a local picture shown by its file URI."""
    from pathlib import Path

    from ..check.media import local_path

    lines = []
    for medium in declaration.media:
        local = local_path(medium, path)
        picture = medium.kind == "image" and local is not None and os.path.isfile(local)
        image = f"\n\n![{medium.text.value}]({Path(local).as_uri()})" if picture and local else ""
        lines.append(f"{medium.kind}: `{medium.text.value}`{image}")
    return lines


def _clip_hover(analysis: Analysis, clip: Clip) -> str:
    planned = analysis.any_plan()
    parts = analysis.parts(clip)
    out = [f"**{clip.kind} `{clip.name}`**"]
    if planned is None or not parts:
        return "\n\n".join(out + ["*no plan: fix the errors above first*"])
    _, prices = _prices(analysis, planned, parts)
    for index, part in enumerate(parts):
        limit = planned.profile_for(part).data["prompt_max_chars"]
        price = prices[index] if index < len(prices) else None
        head = f"`{part.name}`: " if part.part is not None else ""
        shots = len(part.shots) or 1
        out.append(f"{head}{_range_text(0, part.millis)} · {shots} shot{'s' if shots != 1 else ''} · "
                   f"{_money(price)} ({price.region if price else '?'}, {price.tier if price else '?'}) "
                   f"on `{planned.model_for(part)}`")
        prompt = _prompt(planned, part)
        if prompt is not None:
            over = " **over the limit**" if len(prompt) > limit else ""
            shown = prompt if len(prompt) <= PREVIEW_CHARS else prompt[:PREVIEW_CHARS] + " …"
            out.append(f"prompt: {len(prompt)} / {limit} characters{over}\n\n```text\n{shown}\n```")
    return "\n\n".join(out)


def _prompt(planned: Plan, part: ClipPlan) -> Union[str, None]:
    from ..compile.emit import TemplateProblem, emit_prompt

    try:
        return emit_prompt(planned, part)
    except TemplateProblem:
        return None


def _shot_hover(analysis: Analysis, clip: Clip, shot: Shot) -> str:
    number = clip.shots.index(shot) + 1
    timed, part = analysis.shot_times(clip).get(shot.span.start, (None, None))
    head = f"**shot {number} of {len(clip.shots)}** in `{clip.name}`"
    if timed is None:
        return head
    where = f" of request `{part}`" if part else ""
    out = [f"{head}: {_range_text(timed.start, timed.end)}{where}, {seconds(timed.end - timed.start)}s long"]
    planned = analysis.any_plan()
    request = next((p for p in analysis.parts(clip) if any(t.shot is shot for t in p.shots)), None)
    if planned is not None and request is not None:
        price = analysis.price(planned, request)
        prompt = _prompt(planned, request)
        limit = planned.profile_for(request).data["prompt_max_chars"]
        length = f"prompt {len(prompt)} / {limit} characters · " if prompt is not None else ""
        out.append(f"the request `{request.name}`: {_range_text(0, request.millis)} · {length}{_money(price)}"
                   + (f" ({price.region})" if price else ""))
    return "\n\n".join(out)


def _keyword_at(text: str, line: Span, offset: int) -> Union[str, None]:
    for match in _WORD.finditer(text, line.start, line.end):
        if match.start() <= offset <= match.end():
            word = match.group()
            break
    else:
        return None
    before = text[line.start : match.start()]
    if before.strip():
        return None  # only the first word of a line is a keyword
    table = keywords()
    meaning = table["body"].get(word) if before else table["top"].get(word)
    if meaning is None and before:  # `image:` and the like under a declaration
        meaning = table["declaration_media"].get(word)
    if meaning is None and word in spec():  # a file's setting, or a clip's own
        entry = spec()[word]
        meaning = f"`{word}`: {entry['summary']}, for example `{word} {entry['example']}`"
    return meaning  # type: ignore[no-any-return]


# -- inlay hints


def inlay_hints(analysis: Analysis, wanted: types.Range) -> list[types.InlayHint]:
    storyboard = analysis.storyboard
    if storyboard is None:
        return []
    lines = analysis.lines(analysis.path)
    span = lines.span(wanted)
    planned = analysis.any_plan()
    hints = []
    for clip in storyboard.clips:
        if clip.span.end < span.start or clip.span.start > span.end:
            continue
        parts = analysis.parts(clip)
        if planned is not None and parts:
            label, _ = _prices(analysis, planned, parts)
            if len(parts) > 1:
                label = f"{len(parts)} clips, {label}"
            anchor = clip.duration.span.end if clip.duration else clip.name_span.end
            hints.append(types.InlayHint(position=lines.position(anchor), label=label,
                                         padding_left=True, tooltip="estimated price in the resolved region"))
        for timed, part in analysis.shot_times(clip).values():
            shot = timed.shot
            if not isinstance(shot.timing, Duration) or not span.start <= shot.span.start <= span.end:
                continue
            label = _range_text(timed.start, timed.end) + (f" {part}" if part else "")
            hints.append(types.InlayHint(position=lines.position(shot.timing.span.end), label=label,
                                         padding_left=True, kind=types.InlayHintKind.Type))
    return hints


# -- completion

_INCLUDE = re.compile(r'^\s*include\s+"([^"]*)$')
_SETTING = re.compile(r"^[ \t]*([a-z-]+)(?:\s*[:：]\s*|\s+)(\S*)$")
_SHOT = re.compile(r"^\s+shot\s+\S+\s+(\S*)$")
_CAMERA = re.compile(r"^\s+camera\s*[:：]\s*(?:.*,\s*)?([^,]*)$")
_SPEAKER = re.compile(r"^\s+(?:say|voiceover)\s+([A-Za-z0-9_-]*)$")
_REF = re.compile(r"@([A-Za-z0-9_-]*)$")
_FIRST_WORD = re.compile(r"^(\s*)([a-z-]*)$")


def completion(analysis: Analysis, offset: int) -> list[types.CompletionItem]:
    lines = analysis.lines(analysis.path)
    line = lines.line_span(lines.line_of(offset))
    before = analysis.text[line.start : offset]

    def items(words: Any, typed: str, kind: types.CompletionItemKind, details: Union[dict[str, str], None] = None,
              prefix: str = "") -> list[types.CompletionItem]:
        replaced = types.Range(start=lines.position(offset - len(typed)), end=lines.position(offset))
        return [
            types.CompletionItem(label=prefix + word, kind=kind, detail=(details or {}).get(word),
                                 text_edit=types.TextEdit(range=replaced, new_text=prefix + word))
            for word in words
        ]

    match = _REF.search(before)
    if match:
        declared = analysis.declarations()
        details = {name: f"{d.kind}{_label_text(d)}: {d.text.value}" for name, (d, _) in declared.items()}
        return items(sorted(declared), match.group(0), types.CompletionItemKind.Variable, details, prefix="@")
    match = _INCLUDE.match(before)
    if match:
        return items(_story_files(analysis.path), match.group(1), types.CompletionItemKind.File)
    match = _SPEAKER.match(before)
    if match:
        cast = sorted(name for name, (d, _) in analysis.declarations().items() if d.kind == "cast")
        return items(cast, match.group(1), types.CompletionItemKind.Variable)
    match = _CAMERA.match(before)
    if match:
        return items(keywords()["camera"], match.group(1), types.CompletionItemKind.Value)
    match = _SHOT.match(before)
    if match:
        return items(list(framing.table()), match.group(1), types.CompletionItemKind.EnumMember)
    match = _SETTING.match(before)
    if match and match.group(1) in spec():
        return items(setting_values(analysis, match.group(1), offset), match.group(2), types.CompletionItemKind.Value)
    match = _FIRST_WORD.match(before)
    if match:
        table = keywords()
        if match.group(1):
            details = {key: spec()[key]["summary"] for key in table["clip_settings"]}
            return items([*table["body"], *table["clip_settings"]], match.group(2), types.CompletionItemKind.Keyword,
                         {**details, **table["body"]})
        details = {key: entry["summary"] for key, entry in spec().items()}
        words = [*table["top"], *(key for key, entry in spec().items()  # `continue` is a clip's own line
                                  if key not in table["top"] and not entry.get("clip_only"))]
        return items(words, match.group(2), types.CompletionItemKind.Keyword, {**details, **table["top"]})
    return []


def setting_values(analysis: Analysis, key: str, offset: int = -1) -> list[str]:
    """The values a setting takes, narrowed to what the model in force there (the clip's own, else the
    file's) offers where the profile says."""
    entry = spec()[key]
    profile = analysis.profile_at(offset)
    if key == "model":
        return analysis.profiles.ids()
    if profile is not None:
        resolution = profile.resolution
        if key == "resolution":
            return list(resolution["tiers"])
        if key == "ratio":
            return list(resolution.get("ratios") or {r for by in resolution["pixels"].values() for r in by})
        if key == "size":
            return list(profile.sizes())
        if key == "region":
            return list(profile.data["regions"])
    if entry["kind"] == "switch":
        return ["on", "off"]
    return [str(value) for value in entry.get("values", [])] or [str(entry["example"])]


def _story_files(path: str, limit: int = 200) -> list[str]:
    """`.story` files under the storyboard's root, relative to the including file."""
    folder = os.path.dirname(os.path.abspath(path))
    root = find_root(path)
    found = []
    for walked, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d != "node_modules")
        for name in sorted(files):
            full = os.path.join(walked, name)
            if name.endswith(".story") and full != os.path.abspath(path):
                found.append(os.path.relpath(full, folder).replace(os.sep, "/"))
                if len(found) == limit:
                    return found
    return found

