"""`story preview`: the storyboard as one self-contained HTML sheet, to look at before paying.

A timeline with one block per shot, as wide as the shot is long, grouped by clip; below it each
clip with its shots (framing, camera, cast, cues, dialogue), the prompt it sends and its price, and
the rendered video where the lock file has one (linked relative to the sheet); a clip with several
takes shows them side by side, the selected one marked. The page loads nothing from anywhere: no
scripts, no font files, no CDN; its Content-Security-Policy forbids it. CJK text is drawn with the
packaged Noto Sans CJK, subset and embedded (`fonts`), and the page's `lang` is the storyboard's
language.
The markup is `templates/preview.html.j2`, the styles `templates/preview.css`.
"""

from __future__ import annotations

import os
from typing import Any, Union

from ..language.timeline import seconds
from ..models.pricing import money
from .board import Board, InputView, clock
from .fonts import FAMILY, font_face, language_tag

HERE = os.path.join(os.path.dirname(__file__), "templates")
PIXELS_PER_SECOND = 40
CLIP_COLOURS = ("#2f6fb0", "#b0562f")  # alternate so that neighbouring clips stand apart


def context(board: Board, output: str) -> dict[str, Any]:
    """Plain values for the template: text, numbers and relative links, nothing from the tree."""
    folder = os.path.dirname(os.path.abspath(output))
    clips = []
    stale = set(board.stale())
    blocks = 0
    offset = 0
    for index, clip in enumerate(board.clips):
        shots = [{
            "id": f"{clip.name}/{shot.number}", "number": shot.number, "millis": shot.millis,
            "seconds": seconds(shot.millis), "start": seconds(shot.start), "end": seconds(shot.end),
            "at": clock(offset + shot.start), "framing": shot.framing, "text": shot.text, "camera": shot.camera,
            "cast": shot.cast, "cues": shot.cues, "dialogue": shot.dialogue, "line": shot.line,
        } for shot in clip.shots]
        if not shots:  # a clip written as prose alone is one block
            shots = [{
                "id": f"{clip.name}/1", "number": 1, "millis": clip.millis, "seconds": seconds(clip.millis),
                "start": "0", "end": seconds(clip.millis), "at": clock(offset), "framing": "", "text": clip.text,
                "camera": clip.camera, "cast": (), "cues": (), "dialogue": (), "line": 0,
            }]
        blocks += len(shots)
        video = clip.video
        clips.append({
            "name": clip.name, "scene": clip.scene, "part": clip.part,
            "parts": sum(1 for other in board.clips if other.scene == clip.scene and other.part is not None),
            "millis": clip.millis, "seconds": seconds(clip.millis), "at": clock(offset),
            "colour": CLIP_COLOURS[index % len(CLIP_COLOURS)], "shots": shots,
            "text": clip.text, "camera": clip.camera, "cues": clip.cues, "dialogue": clip.dialogue,
            "soundtrack": clip.soundtrack, "prompt": clip.prompt, "price": money(clip.price.amount, clip.price.currency),
            "tier": clip.price.tier,
            "video": os.path.relpath(video, folder).replace(os.sep, "/") if video else None,
            "task": clip.render.locked.task_id if clip.render else None,
            "stale": clip.name in stale,
            "emulated": bool(getattr(clip.render.locked, "emulated", False)) if clip.render else False,
            "takes": [{  # side by side when there are several, the selected one marked
                "number": take.locked.take, "seed": take.locked.seed, "task": take.locked.task_id,
                "selected": clip.render is not None and take.locked.take == clip.render.locked.take,
                "video": os.path.relpath(take.path, folder).replace(os.sep, "/") if take.path else None,
            } for take in clip.takes],
            "cost": money(clip.render.locked.cost, clip.render.locked.currency) if clip.render else None,
            "inputs": [_input(item) for item in clip.inputs],
        })
        offset += clip.millis
    prices = [clip.price.amount for clip in board.clips]
    total = None if any(amount is None for amount in prices) else sum(a for a in prices if a is not None)
    width, height = board.size
    return {
        "lang": language_tag(board.language), "font_family": FAMILY, "font_face": "",
        "width": width, "height": height,
        "title": board.title, "storyboard": os.path.basename(board.path), "model": board.model,
        "region": board.region, "pps": PIXELS_PER_SECOND, "clips": clips, "length": clock(board.millis),
        "shots": blocks, "total": money(total, board.currency),
        "rendered": sum(1 for clip in board.clips if clip.video),
        "references": [_input(item) for item in board.references],
    }


THUMBNAIL = 160  # pixels on the longer side


def _input(item: InputView) -> dict[str, Any]:
    """An input for the sheet: a local picture as an inline thumbnail (the page loads nothing), else its name."""
    return {"role": item.role.replace("_", " "), "owner": item.owner, "label": item.label, "source": item.source,
            "image": _thumbnail(item.file) if item.file else None}


def _thumbnail(path: str) -> Union[str, None]:
    """A `data:` URI of a small PNG of the picture at `path`; None when it is not a readable picture."""
    import base64
    import io

    try:
        from PIL import Image

        with Image.open(path) as image:
            picture = image.convert("RGB")
    except Exception:  # noqa: BLE001 - audio, video or a damaged file: shown by name
        return None
    picture.thumbnail((THUMBNAIL, THUMBNAIL))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def sheet(board: Board, output: str) -> str:
    """The HTML text of the sheet that will be written at `output` (links are relative to it)."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE), autoescape=True, undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )
    template = environment.get_template("preview.html.j2")
    values = context(board, output)
    # The font holds the glyphs of the page as written, so the page is written once without it.
    values["font_face"] = font_face(template.render(**values), board.language)
    return str(template.render(**values))
