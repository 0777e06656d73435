"""Media inputs in the emulator (wan-media-api.md §3-§7, §13): what a submission sends, what it is refused,
and videos that show their inputs.

A body's media are read back per wire (`input.media[]` or the legacy flat fields) and held to the model's
profile, the same tables storyc checks against. What the reference documents is answered as documented:
frames mixed with references on Wan 3.0 is a FAILED task (`InvalidParameter`, "The two modes are mutually
exclusive…", §6.2, §13), as is a wan2.7-r2v task with only a first frame (an observation, §13). Other
refused combinations have no documented code or moment ("非法组合将报错"): `InvalidParameter`, at
submission or as a FAILED task as the emulator's `reject` setting says, like every other bad value.

The video shows what reached each role, so a test can tell by pixels: the first frame image is the
video's first frame, the last frame image its last, reference images are drawn on the cards (with the
label the prompt uses), and driving audio is the soundtrack.
"""

from __future__ import annotations

import math
import os
import tempfile
from typing import Any, Callable, NamedTuple, Union
from urllib.parse import urlsplit

from ..check.media import accepting_mode
from ..models.profile import Profile
from . import errors
from .errors import ApiError

FRAME_AND_REFERENCE = ("InvalidParameter", "The two modes are mutually exclusive. Do not pass reference_xx and "
                       "first_frame/last_frame at the same time.")
NO_REFERENCE = ("InvalidParameter", "At least one reference_image or reference_video is required.")
COMBINATION = ("InvalidParameter", "The combination of media types is not supported, please check the media parameter.")
# Pixels of each tier at 16:9; other shapes keep the area (the service rounds sides to multiples of 16, §3.4).
TIER_SIZES = {"480P": (832, 480), "720P": (1280, 720), "1080P": (1920, 1080)}


class Medium(NamedTuple):
    role: str
    url: str
    voice: Union[str, None] = None  # `reference_voice` on the item


def read_media(given: dict[str, Any], profile: Profile) -> Union[list[Medium], ApiError]:
    """The media a body sends, in order; a value of the wrong JSON type is refused at submission."""
    media = profile.media
    assert media is not None
    if media["wire"] == "array":
        items = given.get("media", [])
        if not isinstance(items, list):
            return errors.MISSING
        found = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("type"), str) or not isinstance(item.get("url"), str):
                return errors.MISSING
            voice = item.get("reference_voice")
            if voice is not None and not isinstance(voice, str):
                return errors.MISSING
            found.append(Medium(item["type"], item["url"], voice))
        return found
    found = []
    for role, limits in media["roles"].items():
        value = given.get(limits["field"])
        if value is None or (limits["field"] == "reference_urls" and role != "reference_image"):
            continue
        if limits["field"] == "reference_urls":
            if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
                return errors.MISSING
            found += [Medium(_flat_role(entry, media["roles"]), entry) for entry in value]
        elif not isinstance(value, str):
            return errors.MISSING
        else:
            found.append(Medium(role, value))
    return found


def _flat_role(url: str, roles: dict[str, Any]) -> str:
    extension = os.path.splitext(urlsplit(url).path)[1].lower().lstrip(".")
    video = roles.get("reference_video")
    return "reference_video" if video is not None and extension in video["formats"] else "reference_image"


def roles_of(found: list[Medium]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for medium in found:
        counted[medium.role] = counted.get(medium.role, 0) + 1
        if medium.voice is not None:
            counted["reference_voice"] = counted.get("reference_voice", 0) + 1
    return counted


def refusal(profile: Profile, found: list[Medium], duration: int) -> Union[tuple[tuple[str, str], bool], None]:
    """(failure, documented as asynchronous) for media the model does not take, or None."""
    roles = roles_of(found)
    mode = accepting_mode(profile, roles)
    if mode is None:
        media = profile.media
        assert media is not None
        frames = any(not role.startswith("reference_") for role in roles)
        references = any(role.startswith("reference_") for role in roles)
        if frames and references and not any(set(roles) <= set(m["roles"]) for m in media["modes"]):
            return FRAME_AND_REFERENCE, True
        if roles == {"first_frame": 1} and any(m.get("references") for m in media["modes"]):
            return NO_REFERENCE, True
        return COMBINATION, False
    bounds = mode.get("duration_with_video")
    if bounds and roles.get("reference_video") and not bounds["min"] <= duration <= bounds["max"]:
        return ("InvalidParameter", f"The duration is not match {duration}, please check the duration parameter."), False
    return None


def picture_size(profile: Profile, tier: str, ratio: str) -> tuple[int, int]:
    """The output size before the first frame is seen: the profile's table, else the tier's area at `ratio`."""
    size = profile.resolution["pixels"].get(tier, {}).get(ratio)
    if size:
        width, height = (int(n) for n in size.split("*"))
        return width, height
    width, height = TIER_SIZES.get(tier, TIER_SIZES["720P"])
    if ratio and ":" in ratio:
        across, up = (int(n) for n in ratio.split(":"))
        return shaped(width * height, across / up)
    return width, height


def shaped(area: int, aspect: float) -> tuple[int, int]:
    """Sides with about `area` pixels at `aspect` (width / height), each a multiple of 16."""
    height = math.sqrt(area / aspect)
    return max(16, round(height * aspect / 16) * 16), max(16, round(height / 16) * 16)


def resolve(found: list[Medium], oss_enabled: bool, uploads: Any, account: str, model: str) -> Union[dict[str, str], ApiError]:
    """url -> local path for every oss:// media URL (and voice); http(s) URLs are fetched at render time.

    As for audio (§10): an oss:// URL needs the OSS-resolve header and an upload for this model."""
    paths: dict[str, str] = {}
    for medium in found:
        for url in (medium.url, medium.voice):
            if url is None:
                continue
            scheme = _scheme(url)
            if scheme == "oss":
                if not oss_enabled:
                    return errors.BAD_URL
                path = uploads.resolve(url, account, model)
                if path is None:
                    return errors.BAD_URL
                paths[url] = path
            elif scheme not in ("http", "https"):
                return errors.BAD_URL
    return paths


def input_seconds(spec: Any, paths: dict[str, str]) -> float:
    """Input video seconds the task bills (§11), from the uploaded reference videos; 0 when none is known."""
    from ..check.media import probe
    from ..models.pricing import input_video_seconds

    lengths = []
    for medium in spec.media:
        if medium.role == "reference_video" and medium.url in paths:
            measured = probe(paths[medium.url], "video")
            lengths.append(measured.seconds if measured is not None else None)
    references = sum(1 for medium in spec.media if medium.role in ("reference_image", "reference_video"))
    return input_video_seconds(spec.profile, lengths, references) or 0.0


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme
    except ValueError:
        return ""


def render(path: str, spec: Any, paths: dict[str, str], fetch: Callable[[str], Union[str, None]],
           heading: str) -> None:
    """The task's video: first frame, cards with the reference images on them, last frame; driving audio.

    `paths` holds the uploads resolved at submission; `fetch` downloads any other URL (loopback only,
    unless the emulator may reach out), or gives None to stand in for it."""
    from PIL import Image

    from .video import FPS, cards, draw_card, encode_stills, frame_counts

    files = {medium.url: paths.get(medium.url) or fetch(medium.url) for medium in spec.media}
    first = next((files[m.url] for m in spec.media if m.role == "first_frame"), None)
    last = next((files[m.url] for m in spec.media if m.role == "last_frame"), None)
    width, height = spec.width, spec.height
    if first is not None:
        with Image.open(first) as image:  # the output follows the first frame's shape (§3.4, §7.1)
            width, height = shaped(width * height, image.width / image.height)
    audio = next((files[m.url] for m in spec.media if m.role == "driving_audio"), None)
    references = _labelled(spec.media, files)
    total = round(spec.duration * FPS)
    ends = (1 if first else 0) + (1 if last else 0)
    with tempfile.TemporaryDirectory(prefix="storyc-media-") as folder:
        stills: list[tuple[str, int]] = []
        if first:
            stills.append((_fitted(first, width, height, os.path.join(folder, "first.png")), 1))
        shots = cards(spec.prompt, float(spec.duration))
        counts = frame_counts(shots, (total - ends) / FPS)
        for index, (card, count) in enumerate(zip(shots, counts, strict=True)):
            still = os.path.join(folder, f"card{index}.png")
            draw_card(card, len(shots), heading, width, height, still)
            _paste_references(still, references)
            stills.append((still, count))
        if last:
            stills.append((_fitted(last, width, height, os.path.join(folder, "last.png")), 1))
        stills = [(still, count) for still, count in stills if count > 0]
        encode_stills(path, stills, width, height, float(spec.duration), audio=audio,
                      silent_track=audio is None and bool(spec.profile.audio["generated"]))


def _labelled(found: tuple[Medium, ...], files: dict[str, Union[str, None]]) -> list[tuple[str, Union[str, None]]]:
    """(label, picture file) of each reference image, counted per type as the prompt counts them."""
    numbered = []
    for index, medium in enumerate(m for m in found if m.role == "reference_image"):
        numbered.append((f"Image {index + 1}", files.get(medium.url)))
    return numbered


def _fitted(source: str, width: int, height: int, target: str) -> str:
    from PIL import Image

    with Image.open(source) as image:
        image.convert("RGB").resize((width, height)).save(target)
    return target


def _paste_references(card: str, references: list[tuple[str, Union[str, None]]]) -> None:
    """Reference images in a strip along the card's foot, each with its label."""
    if not references:
        return
    from PIL import Image, ImageDraw

    with Image.open(card) as image:
        canvas = image.convert("RGB")
    side = max(16, canvas.height // 4)
    draw = ImageDraw.Draw(canvas)
    for index, (label, file) in enumerate(references):
        left = 8 + index * (side + 8)
        top = canvas.height - side - 8
        if left + side > canvas.width:
            break
        if file is not None:
            with Image.open(file) as picture:
                canvas.paste(picture.convert("RGB").resize((side, side)), (left, top))
        else:
            draw.rectangle((left, top, left + side, top + side), outline=(200, 200, 200))
        draw.text((left + 2, top + 2), label, fill=(255, 255, 0))
    canvas.save(card)
