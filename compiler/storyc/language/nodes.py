"""The typed, immutable syntax tree. Every node carries its `Span`; spans never take part in equality,
so two trees compare equal when they say the same thing wherever it is written. A node keeps each span
as two plain ints and makes the `Span` when the field is read (`_frozen.node`)."""

from __future__ import annotations

from typing import Any, TypeVar, Union

from ..base.source import Span
from ._frozen import node


@node
class Ref:
    """An `@name` reference to a declared cast member, place or style."""

    name: str
    span: Span


@node
class Text:
    """Free text (prose, a description, a cue) kept byte for byte, with the references inside it."""

    value: str
    refs: tuple[Ref, ...]
    span: Span


@node
class Setting:
    """`model wan2.7-t2v`: a storyboard-wide setting; its value is typed by the checker."""

    key: str
    value: Text
    span: Span


@node
class MediaInput:
    """A picture, clip or voice given to the model: `image: refs/mei.png` under a declaration (kind
    `image`, `video`, `voice`), or `first-frame: …` in a clip (`first-frame`, `last-frame`,
    `driving-audio`, `first-clip`). `text` is the path or URL as written."""

    kind: str
    text: Text
    span: Span


@node
class Declaration:
    """`cast fox: …`, `place office: …` or `style noir: …`, with any reference media indented under it;
    `cast mei "阿梅": …` gives the label the prompt writes for the name (None: the name itself, where it
    reads in the prompt's language)."""

    kind: str
    name: str
    name_span: Span
    text: Text
    span: Span
    label: Union[str, None]
    media: tuple[MediaInput, ...]  # in the order written, which is the order the model numbers them


@node
class Include:
    """`include "shared/cast.story"`: pulls in another file's declarations."""

    path: str
    path_span: Span
    span: Span


@node
class Duration:
    """A length in whole milliseconds, written `3s`, `2.5s` or `3秒`."""

    millis: int
    span: Span


@node
class TimeRange:
    """An explicit `[0-3s]` range inside the clip."""

    start_millis: int
    end_millis: int
    span: Span


@node
class Camera:
    """`camera: low angle, push in`."""

    text: Text
    span: Span


@node
class Cue:
    """An audio cue: `sfx:`, `music:` or `ambience:`."""

    kind: str
    text: Text
    span: Span


@node
class Dialogue:
    """`say fox: …` or `voiceover narrator: …`."""

    kind: str
    speaker: str
    speaker_span: Span
    line: Text
    span: Span


@node
class Soundtrack:
    """`soundtrack: audio/fox.mp3`: an audio file or URL for the whole clip."""

    source: Text
    span: Span


@node
class Prose:
    """One line of description."""

    text: Text
    span: Span


ShotLine = Union[Prose, Camera, Cue, Dialogue]


@node
class Shot:
    """`shot 3s wide` and the lines under it; `text` is prose written on the shot line after `:`."""

    timing: Union[Duration, TimeRange]
    framing: Union[Text, None]
    text: Union[Text, None]
    lines: tuple[ShotLine, ...]
    span: Span


ClipLine = Union[Setting, Prose, Camera, Cue, Dialogue, Soundtrack, Shot, MediaInput]  # a clip's own settings first


@node
class Clip:
    """`clip NAME [DURATION]` is exactly one request; `scene NAME` is split into clips for you."""

    kind: str
    name: str
    name_span: Span
    duration: Union[Duration, None]
    lines: tuple[ClipLine, ...]
    span: Span

    @property
    def shots(self) -> tuple[Shot, ...]:
        # rules ask often: no generator, and `type() is` (no node class is subclassed)
        return tuple([line for line in self.lines if type(line) is Shot])

    @property
    def inputs(self) -> tuple[MediaInput, ...]:
        """The clip's own media inputs (`first-frame:` …), in the order written."""
        return tuple([line for line in self.lines if type(line) is MediaInput])


Item = Union[Setting, Declaration, Include, Clip]


@node
class Storyboard:
    """A whole file, items in the order they were written."""

    items: tuple[Item, ...]
    span: Span

    # Each of these is asked for once per clip by some stages: they are computed once per tree.
    @property
    def settings(self) -> tuple[Setting, ...]:
        return _items_of(self, Setting)

    @property
    def declarations(self) -> tuple[Declaration, ...]:
        return _items_of(self, Declaration)

    @property
    def includes(self) -> tuple[Include, ...]:
        return _items_of(self, Include)

    @property
    def clips(self) -> tuple[Clip, ...]:
        return _items_of(self, Clip)


_ItemT = TypeVar("_ItemT")
# id(storyboard) -> (the storyboard, its items by kind). Nodes are tuples without instance storage,
# so the cache lives here. Only trees large enough for the scan to matter are kept, and only the
# last few (each keeps its tree alive: an editor's old versions must not pile up); identity is
# checked, not just the id.
_ITEMS: dict[int, tuple[Storyboard, dict[type, tuple[Any, ...]]]] = {}
_ITEMS_KEPT = 4
_ITEMS_WORTH_KEEPING = 64  # items; an include of a few declarations is cheaper to scan again


def _items_of(storyboard: Storyboard, kind: type[_ItemT]) -> tuple[_ItemT, ...]:
    if len(storyboard.items) < _ITEMS_WORTH_KEEPING:
        return tuple(item for item in storyboard.items if isinstance(item, kind))
    entry = _ITEMS.get(id(storyboard))
    if entry is None or entry[0] is not storyboard:
        if len(_ITEMS) >= _ITEMS_KEPT:
            _ITEMS.pop(next(iter(_ITEMS)))
        entry = (storyboard, {})
        _ITEMS[id(storyboard)] = entry
    found = entry[1].get(kind)
    if found is None:
        found = entry[1][kind] = tuple(item for item in storyboard.items if isinstance(item, kind))
    return found
