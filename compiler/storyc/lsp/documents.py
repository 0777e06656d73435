"""Open documents edited in place: a keystroke costs the lines it touches, not the document.

pygls applies an incremental change by splitting the whole text into lines and writing every line
again in a Python loop (about 5 ms a keystroke on a 5,000-shot storyboard, more than checking the
edited clip). Here each document's lines are kept between changes: a change replaces the lines it
spans, and the text is joined once. Lines end at `\\n` and columns count in the negotiated encoding,
as everywhere in this server (`positions`).
"""

from __future__ import annotations

from typing import Any, Generator, Union

from lsprotocol import types
from pygls.protocol.language_server import lsp_method

from .positions import UTF16, column
from .protocol import AlwaysAnswering


class EditedLines:
    """A document's text and its lines (without their `\\n`), kept in step."""

    __slots__ = ("text", "lines")

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")

    def apply(self, change: types.TextDocumentContentChangeEvent, encoding: str) -> None:
        if not isinstance(change, types.TextDocumentContentChangePartial):
            self.text = change.text
            self.lines = change.text.split("\n")
            return
        lines = self.lines
        first, start = self._at(change.range.start, encoding)
        last, end = self._at(change.range.end, encoding)
        if (last, end) < (first, start):  # a reversed range: read from its earlier end
            first, start, last, end = last, end, first, start
        lines[first : last + 1] = (lines[first][:start] + change.text + lines[last][end:]).split("\n")
        self.text = "\n".join(lines)

    def _at(self, position: types.Position, encoding: str) -> tuple[int, int]:
        """(line, code-point column); a position past the end is the end."""
        if position.line >= len(self.lines):
            return len(self.lines) - 1, len(self.lines[-1])
        return position.line, column(self.lines[position.line], position.character, encoding)


class StoryProtocol(AlwaysAnswering):
    """Answers every request (`AlwaysAnswering`) and applies changes with `EditedLines`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.edited: dict[str, EditedLines] = {}

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
            self, params: types.DidChangeTextDocumentParams) -> Generator[Any, Any, None]:
        uri = params.text_document.uri
        document = self.workspace.get_text_document(uri)
        kept = self.edited.get(uri)
        if kept is None or kept.text is not document.source:  # opened, or changed some other way
            kept = self.edited[uri] = EditedLines(document.source)
        encoding = self._encoding()
        for change in params.content_changes:
            kept.apply(change, encoding)
        self.workspace.put_text_document(types.TextDocumentItem(
            uri=uri, language_id=document.language_id or "story", version=params.text_document.version or 0,
            text=kept.text))
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    def forget(self, uri: str) -> None:
        self.edited.pop(uri, None)

    def _encoding(self) -> str:
        chosen: Union[str, Any] = self.workspace.position_encoding
        return str(getattr(chosen, "value", chosen) or UTF16)
