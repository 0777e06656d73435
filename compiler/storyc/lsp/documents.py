"""Open documents edited in place: a keystroke costs the lines it touches, not the document.

pygls applies an incremental change by splitting the whole text into lines and writing every line
again in a Python loop (about 5 ms a keystroke on a 5,000-shot storyboard, more than checking the
edited clip). Here each document's lines are kept between changes: a change replaces the lines it
spans, and the text is joined only when something reads it whole (the diagnostics read the lines
and what changed, `EditedLines.dirty`). Lines end at `\\n` and columns count in the negotiated encoding,
as everywhere in this server (`positions`).
"""

from __future__ import annotations

from typing import Any, Generator, Union
from urllib.parse import unquote

from lsprotocol import types
from pygls.protocol.language_server import lsp_method
from pygls.workspace.text_document import TextDocument

from .incremental import Dirty
from .positions import UTF16, column
from .protocol import AlwaysAnswering


class EditedLines:
    """A document's lines (without their `\\n`), its text joined from them when asked, and what
    changed since `take_dirty` was last called."""

    __slots__ = ("lines", "_text", "dirty", "known")

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self._text: Union[str, None] = text
        self.dirty: Union[Dirty, None] = None
        self.known = False  # `dirty` covers every change since the lines were read whole

    @property
    def text(self) -> str:
        """The whole text, joined on the first read after a change (a keystroke need not pay for it)."""
        if self._text is None:
            self._text = "\n".join(self.lines)
        return self._text

    def take_dirty(self) -> Union[Dirty, None]:
        """What changed since the last call; None when unknown (new lines, or no change)."""
        dirty = self.dirty if self.known else None
        self.dirty, self.known = None, True
        return dirty

    def apply(self, change: types.TextDocumentContentChangeEvent, encoding: str) -> None:
        self._text = None
        if not isinstance(change, types.TextDocumentContentChangePartial):
            self.lines = change.text.split("\n")
            self._text = change.text
            self.known = False
            return
        lines = self.lines
        first, start = self._at(change.range.start, encoding)
        last, end = self._at(change.range.end, encoding)
        if (last, end) < (first, start):  # a reversed range: read from its earlier end
            first, start, last, end = last, end, first, start
        tail = len(lines) - 1 - last  # lines after the change, unchanged with the newline before them
        lines[first : last + 1] = (lines[first][:start] + change.text + lines[last][end:]).split("\n")
        dirty = self.dirty
        if dirty is None:
            self.dirty = Dirty(first, start, tail)
        else:
            self.dirty = Dirty(*min((dirty.line, dirty.column), (first, start)), min(dirty.tail, tail))

    def _at(self, position: types.Position, encoding: str) -> tuple[int, int]:
        """(line, code-point column); a position past the end is the end."""
        if position.line >= len(self.lines):
            return len(self.lines) - 1, len(self.lines[-1])
        return position.line, column(self.lines[position.line], position.character, encoding)


class LiveDocument(TextDocument):
    """pygls's document whose text is an `EditedLines`' (pygls would keep a joined copy)."""

    def __init__(self, kept: EditedLines, uri: str, version: int, language_id: str, codec: Any) -> None:
        super().__init__(uri, None, version, language_id, position_codec=codec)
        self.kept = kept

    @property
    def source(self) -> str:
        return self.kept.text


class StoryProtocol(AlwaysAnswering):
    """Answers every request (`AlwaysAnswering`) and applies changes with `EditedLines`."""

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
            self, params: types.DidChangeTextDocumentParams) -> Generator[Any, Any, None]:
        uri = params.text_document.uri
        document = self.workspace.get_text_document(uri)
        version = params.text_document.version or 0
        encoding = self._encoding()
        if isinstance(document, LiveDocument):
            kept = document.kept
            document.version = version
        else:  # opened, or changed some other way
            kept = EditedLines(document.source)
            # the workspace's own table: pygls offers no other way to hold a document it did not make
            self.workspace._text_documents[unquote(uri)] = LiveDocument(
                kept, uri, version, document.language_id or "story", self.workspace.position_codec)
        for change in params.content_changes:
            kept.apply(change, encoding)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    def lines_of(self, uri: str) -> EditedLines:
        """The document's lines as changes left them (read whole from its text if it has no changes)."""
        document = self.workspace.get_text_document(uri)
        return document.kept if isinstance(document, LiveDocument) else EditedLines(document.source)

    def _encoding(self) -> str:
        chosen: Union[str, Any] = self.workspace.position_encoding
        return str(getattr(chosen, "value", chosen) or UTF16)
