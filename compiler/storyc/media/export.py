"""`story export`: the rendered clips as a timeline for an editing program, or the dialogue as subtitles.

Timelines go through OpenTimelineIO and its adapters (otio, fcpxml, fcp7, edl): the clips on V1,
their own sound on A1. Every video clip carries
where it came from — prompt, seed, model, region, task id and cost — in the form each format keeps:
OTIO metadata (`storyc`), a Final Cut X note and `md` entries, Final Cut 7 / Premiere logging info
and master comments, EDL comment lines. Audio cues and soundtracks become markers at their shots.
`metadata_of` reads those fields back from a clip of any of the four.

Subtitles (srt, vtt) place each `say` / `voiceover` line over its shot; several lines in one shot
share its time equally. Shots keep their declared times within their clip; where clips start comes
from the rendered files' lengths where there are any (as the cut keeps them), else from the
storyboard. With `--crossfade` they follow the film `story cut --crossfade` makes.
"""

from __future__ import annotations

import os
import re
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Sequence, Union

from .board import Board, ClipView, Line

if TYPE_CHECKING:
    import opentimelineio as otio  # type: ignore[import-untyped]

    from .cut import Piece

TIMELINE_FORMATS = {"otio": "otio_json", "fcpxml": "fcpx_xml", "fcp7": "fcp_xml", "edl": "cmx_3600"}
SUBTITLE_FORMATS = ("srt", "vtt")
FORMATS = (*TIMELINE_FORMATS, *SUBTITLE_FORMATS)
EXTENSIONS = {"otio": ".otio", "fcpxml": ".fcpxml", "fcp7": ".xml", "edl": ".edl", "srt": ".srt", "vtt": ".vtt"}
FIELDS = ("clip", "prompt", "seed", "model", "region", "task_id", "cost", "currency")
_MARKER_COLOURS = {"sfx": "RED", "music": "PURPLE", "ambience": "GREEN", "soundtrack": "BLUE"}


def fields(clip: ClipView) -> dict[str, Any]:
    """What a timeline clip carries about its generation; the lock file's values where rendered."""
    locked = clip.render.locked if clip.render else None
    return {
        "clip": clip.name,
        "prompt": clip.prompt,
        "seed": locked.seed if locked else None,
        "model": locked.model if locked else None,
        "region": locked.region if locked else None,
        "task_id": locked.task_id if locked else None,
        "cost": locked.cost if locked else clip.price.amount,
        "currency": locked.currency if locked else clip.price.currency,
    }


def timeline(board: Board, found: list[Piece], kind: str) -> otio.schema.Timeline:
    """The OTIO timeline of the rendered clips, at the first clip's frame rate."""
    import opentimelineio as otio

    rate = float(found[0].info.rate)
    result = otio.schema.Timeline(name=xml_safe(board.title), global_start_time=otio.opentime.RationalTime(0, rate))
    result.metadata["storyc"] = {"storyboard": os.path.basename(board.path), "model": board.model, "region": board.region}
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    # The clips' own sound, in step on A1 (a clip without sound leaves a gap), so editors link it.
    sound = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    result.tracks.extend([track, sound])
    reels = reel_names([str(piece.clip.video) for piece in found])
    for piece in found:
        item = _clip(piece, rate, kind, reels[str(piece.clip.video)])
        track.append(item)
        if piece.info.has_audio:
            sound.append(otio.schema.Clip(name=item.name, media_reference=item.media_reference.clone(),
                                          source_range=item.source_range))
        else:
            sound.append(otio.schema.Gap(source_range=item.source_range))
    return result


def _clip(piece: Piece, rate: float, kind: str, reel: str) -> otio.schema.Clip:
    import opentimelineio as otio

    clip = piece.clip
    assert clip.video is not None
    duration = otio.opentime.RationalTime(piece.frames, rate)
    available = otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate), duration)
    reference = otio.schema.ExternalReference(target_url=Path(os.path.abspath(clip.video)).as_uri(),
                                              available_range=available)
    if kind == "fcp7":  # the adapter would name the file by its URL's last part, percent-encoded
        reference.name = os.path.basename(clip.video)
    item = otio.schema.Clip(name=clip.name, media_reference=reference, source_range=available)
    values = {key: xml_safe(value) if isinstance(value, str) else value for key, value in fields(clip).items()}
    prompt = values["prompt"]
    item.metadata["storyc"] = values
    if kind == "fcpxml":
        reference.metadata["fcpx"] = {
            "note": prompt,
            "metadata": [{f"com.storyc.{key}": _text(values[key])} for key in FIELDS if key != "prompt"],
        }
    elif kind == "fcp7":
        item.metadata["fcp_xml"] = {
            "logginginfo": {"description": prompt, "scene": clip.name,
                            "shottake": _text(values["task_id"]), "lognote": _line(values)},
            "comments": {f"mastercomment{number}": f"{key}: {_text(values[key])}"
                         for number, key in enumerate(("seed", "model", "region", "cost"), start=1)},
        }
    elif kind == "edl":
        # An EDL is lines: a value with a line break (a prompt, or a lock file's task id) would
        # start a line of its own, even an event, so every value is one line.
        item.metadata["cmx_3600"] = {"reel": reel, "comments": [
            f"STORYC {key.upper()}: {' '.join(_text(values[key]).split())}" for key in FIELDS
        ]}
    for marker in _markers(clip, piece.frames, rate):
        item.markers.append(marker)
    return item


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _line(values: dict[str, Any]) -> str:
    return "; ".join(f"{key}={_text(values[key])}" for key in FIELDS if key != "prompt")


def _markers(clip: ClipView, frames: int, rate: float) -> list[otio.schema.Marker]:
    import opentimelineio as otio

    def marker(name: str, kind: str, start_ms: int, end_ms: int) -> otio.schema.Marker:
        start = min(frames - 1, round(start_ms * rate / 1000))
        length = max(1, min(frames, round(end_ms * rate / 1000)) - start)
        made = otio.schema.Marker(
            name=xml_safe(name), color=_MARKER_COLOURS.get(kind, "YELLOW"),
            marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                                 otio.opentime.RationalTime(length, rate)),
        )
        made.metadata["storyc"] = {"kind": kind}
        return made

    found = []
    if clip.soundtrack:
        found.append(marker(f"soundtrack: {clip.soundtrack}", "soundtrack", 0, clip.millis))
    found += [marker(f"{cue.kind}: {cue.text}", cue.kind, 0, clip.millis) for cue in clip.cues]
    for shot in clip.shots:
        found += [marker(f"{cue.kind}: {cue.text}", cue.kind, shot.start, shot.end) for cue in shot.cues]
    return found


def timeline_text(board: Board, found: list[Piece], kind: str) -> str:
    """The timeline written in format `kind`."""
    import opentimelineio as otio

    made = timeline(board, found, kind)
    if kind == "fcpxml":
        _teach_fcpx(found[0].info.rate)
    options: dict[str, Any] = {"rate": float(found[0].info.rate)} if kind == "edl" else {}
    try:
        text = str(otio.adapters.write_to_string(made, adapter_name=TIMELINE_FORMATS[kind], **options))
    except ValueError as error:  # e.g. timecode at a rate SMPTE does not define
        from .ffmpeg import MediaError

        raise MediaError(f"cannot write {kind} for clips at {float(found[0].info.rate):g} fps: {error}; "
                         "otio and fcpxml take any frame rate") from None
    if kind == "fcpxml":
        text = _fcpxml_fixed(text, found)
    return text if text.endswith("\n") else text + "\n"


# Characters XML 1.0 cannot hold (its `Char` production): C0 controls but tab and newlines,
# surrogates, U+FFFE and U+FFFF. `story check` refuses them in a storyboard (SB420); the lock file
# and prompt templates are other ways in, so the timeline writers replace what is left.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def reel_names(videos: Sequence[str]) -> dict[str, str]:
    """A CMX 3600 reel name per distinct source file, unique within the EDL (docs/media.md).

    The file name without its extension, letters and digits only, upper case, at most 8 characters;
    a longer name keeps its trailing number (`nightmare-2.mp4` -> `NIGHTMA2`). A name already
    given to another file ends in the lowest number from 2 up that makes it unique; a name with no
    letter or digit (`追逐.mp4`) is `CLIP`.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for video in videos:
        if video in names:
            continue
        base = _reel_base(video)
        name, number = base, 1
        while name in taken:
            number += 1
            name = base[: _REEL_LENGTH - len(str(number))] + str(number)
        names[video] = name
        taken.add(name)
    return names


_REEL_LENGTH = 8


def _reel_base(video: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]", "", os.path.splitext(os.path.basename(video))[0]).upper() or "CLIP"
    if len(stem) <= _REEL_LENGTH:
        return stem
    number = re.search(r"[0-9]*$", stem).group()[-_REEL_LENGTH:]  # type: ignore[union-attr]
    head = stem[: len(stem) - len(number)]
    return head[: _REEL_LENGTH - len(number)] + number


def _fcpxml_fixed(text: str, found: list[Piece]) -> str:
    """What the FCP X adapter leaves out or gets wrong: a `<format>` per distinct picture size and
    frame rate (the adapter declares the first clip's for every asset), cue markers that are plain
    markers (not to-do items, done or not), and no empty project `uid`."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(text)
    resources = root.find("resources")
    assert resources is not None
    sources = {Path(os.path.abspath(str(piece.clip.video))).as_uri(): piece.info for piece in found}
    formats: dict[tuple[int, int, Fraction], str] = {}
    first = resources.find("format")
    used = {element.get("id") for element in root.iter() if element.get("id")}
    for element in resources.findall("format"):
        resources.remove(element)
    asset_formats: dict[str, str] = {}
    for asset in resources.findall("asset"):
        info = sources.get(str(asset.get("src")), found[0].info)  # the adapter writes our URLs as given
        key = (info.width, info.height, info.rate)
        if key not in formats:
            formats[key] = str(first.get("id")) if first is not None and not formats else _fresh_id(used)
        asset.set("format", formats[key])
        asset_formats[str(asset.get("id"))] = formats[key]
    for index, ((width, height, rate), identifier) in enumerate(formats.items()):
        resources.insert(index, ElementTree.Element("format", {
            "id": identifier, "frameDuration": _seconds(1 / rate), "width": str(width), "height": str(height),
        }))
    for clip in root.iter("asset-clip"):
        clip.set("format", asset_formats.get(str(clip.get("ref")), str(clip.get("format"))))
    for marker in root.iter("marker"):
        marker.attrib.pop("completed", None)
    for project in root.iter("project"):
        if not project.get("uid"):
            project.attrib.pop("uid", None)
    ElementTree.indent(root, "    ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n'
            + ElementTree.tostring(root, encoding="unicode") + "\n")


def _fresh_id(used: set[Union[str, None]]) -> str:
    number = 1
    while f"r{number}" in used:
        number += 1
    used.add(f"r{number}")
    return f"r{number}"


def _seconds(value: Fraction) -> str:
    """A time as FCPXML writes it: `1001/30000s`, or `5s` when whole."""
    return f"{value.numerator}s" if value.denominator == 1 else f"{value.numerator}/{value.denominator}s"


def _teach_fcpx(rate: Fraction) -> None:
    """The FCP X adapter knows frame durations for a fixed table of rates (30 and 29.97, but not
    30000/1001 as exactly as PyAV reads it, nor 16); add this one, or it writes an empty one."""
    import opentimelineio as otio

    table = otio.adapters.from_name(TIMELINE_FORMATS["fcpxml"]).module().FRAMERATE_FRAMEDURATION
    key: Union[int, float] = int(rate) if rate.denominator == 1 else float(rate)
    table.setdefault(key, f"{rate.denominator}/{rate.numerator}s")


def read_timeline(path: str, kind: str, rate: Union[float, None] = None) -> otio.schema.Timeline:
    """A written timeline read back with OpenTimelineIO (the EDL needs its frame rate)."""
    import opentimelineio as otio

    options: dict[str, Any] = {"rate": rate} if kind == "edl" and rate else {}
    result = otio.adapters.read_from_file(path, adapter_name=TIMELINE_FORMATS[kind], **options)
    if isinstance(result, otio.schema.SerializableCollection):
        result = next(iter(result.find_children(descended_from_type=otio.schema.Timeline, shallow_search=True)))
    assert isinstance(result, otio.schema.Timeline)
    return result


def metadata_of(item: otio.schema.Clip, kind: str) -> dict[str, str]:
    """The storyc fields of a clip read back from a timeline, as text."""
    if kind == "otio":
        return {key: _text(value) for key, value in dict(item.metadata["storyc"]).items()}
    if kind == "fcpxml":
        fcpx = item.media_reference.metadata["fcpx"]
        found = {"prompt": str(fcpx["note"])}
        for entry in fcpx["metadata"]:
            for key, value in dict(entry).items():
                found[str(key).removeprefix("com.storyc.")] = _text(value)
        return found
    if kind == "fcp7":
        info = item.metadata["fcp_xml"]["logginginfo"]
        found = {"prompt": str(info["description"]), "clip": str(info["scene"])}
        for pair in str(info["lognote"]).split("; "):
            key, _, value = pair.partition("=")
            found[key] = value
        return found
    found = {}
    for comment in item.metadata["cmx_3600"]["comments"]:
        if comment.startswith("STORYC "):
            key, _, value = comment[len("STORYC "):].partition(": ")
            found[key.lower()] = value
    return found


class Cue(NamedTuple):
    start: int  # milliseconds in the film
    end: int
    speaker: str
    kind: str
    text: str


def subtitle_cues(board: Board, lengths: Mapping[str, Union[int, Fraction]], crossfade: Fraction = Fraction(0)) -> list[Cue]:
    """The dialogue in film time (milliseconds). `lengths` (clip name -> milliseconds) overrides
    declared lengths; `crossfade` (milliseconds) is taken off at every dissolve the cut makes."""
    from .cut import continues

    cues: list[Cue] = []
    offset = Fraction(0)
    previous = None
    for clip in board.film:
        if previous is not None and not continues(previous, clip):
            offset -= crossfade
        previous = clip
        length = Fraction(lengths.get(clip.name, clip.millis))
        spans: list[tuple[int, int, tuple[Line, ...]]] = []
        if clip.dialogue:
            spans.append((0, clip.millis, clip.dialogue))
        spans += [(shot.start, shot.end, shot.dialogue) for shot in clip.shots if shot.dialogue]
        for start, end, lines in spans:
            step = Fraction(end - start, len(lines))
            for index, line in enumerate(lines):
                begin = min(length, start + step * index)
                finish = min(length, start + step * (index + 1))
                if finish > begin:
                    cues.append(Cue(round(offset + begin), round(offset + finish), line.speaker, line.kind, line.text))
        offset += length
    return sorted(cues, key=lambda cue: (cue.start, cue.end))


def _display(speaker: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in speaker.replace("_", " ").replace("-", " ").split())


def _stamp(millis: int, separator: str) -> str:
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, fraction = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}{separator}{fraction:03d}"


def srt(cues: list[Cue]) -> str:
    blocks = []
    for number, cue in enumerate(cues, start=1):
        voice = " (V.O.)" if cue.kind == "voiceover" else ""
        blocks.append(f"{number}\n{_stamp(cue.start, ',')} --> {_stamp(cue.end, ',')}\n"
                      f"{_srt_text(_display(cue.speaker))}{voice}: {_srt_text(cue.text)}\n")
    return "\n".join(blocks)


def _srt_text(text: str) -> str:
    """SRT has no escapes, and players read `<...>` as markup (ffmpeg drops `<c>`, makes `<b>`
    bold): a WORD JOINER after every `<` keeps the text as written, invisibly. Line breaks would
    end the cue, so they become spaces."""
    return " ".join(text.split()).replace("<", "<\u2060")


def vtt(cues: list[Cue]) -> str:
    blocks = ["WEBVTT\n"]
    for number, cue in enumerate(cues, start=1):
        text = cue.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append(f"{number}\n{_stamp(cue.start, '.')} --> {_stamp(cue.end, '.')}\n"
                      f"<v {_display(cue.speaker)}>{text}\n")
    return "\n".join(blocks)
