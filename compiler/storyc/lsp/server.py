"""The pygls wiring: each LSP request calls one function of `edits`, `navigate` or `assist`.

Diagnostics come from `incremental` (an edit re-checks the clip it is in); hover and completion in a
clip read an `Analysis` of the file's header and that clip alone; the other features read an
`Analysis` of the whole buffer, built on the first request after a change. Diagnostics are published
per file: a document's own, and those its includes got while it was being checked. When
two open documents include the same file, that file shows the union of what each found.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Callable, NamedTuple, TypeVar, Union, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..models.profile import Catalog, catalog
from . import assist, edits, navigate
from .analysis import Analysis, uri_of
from .documents import EditedLines, StoryProtocol
from .incremental import Incremental
from .positions import UTF16

F = TypeVar("F", bound=Callable[..., Any])
WARM_CLIPS = 8  # clips checked per slice while warming: about 10-30 ms


class StoryServer(LanguageServer):
    def __init__(self, profiles: Union[Catalog, None] = None) -> None:
        super().__init__("storyc", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=StoryProtocol)
        self.profiles = profiles or catalog()
        self.analyses: dict[str, Analysis] = {}  # for the features; rebuilt on the first request after a change
        self.views: dict[str, Analysis] = {}  # the last clip a hover or completion read, by document
        self.engines: dict[str, Incremental] = {}  # diagnostics, re-checking only the clips an edit touched
        self.shown: dict[str, Shown] = {}  # each open document's text, as last checked
        self.pending: set[str] = set()  # documents changed since their last check
        self.warming: set[str] = set()  # documents whose clips are being checked in slices
        # published[target uri][owner uri]: what checking `owner` found in `target`
        self.published: dict[str, dict[str, Finding]] = {}

    @property
    def encoding(self) -> str:
        chosen = self.workspace.position_encoding
        return str(getattr(chosen, "value", chosen) or UTF16)

    def path_of(self, uri: str) -> str:
        return to_fs_path(uri) or uri

    def check(self, uri: str) -> None:
        """Publish the document's diagnostics: its edited clips checked again, the rest reused."""
        document = self.workspace.get_text_document(uri)
        kept = cast(StoryProtocol, self.protocol).lines_of(uri)
        dirty = kept.take_dirty()
        self.shown[uri] = kept
        self.analyses.pop(uri, None)
        engine = self.engines.get(uri)
        if engine is None or engine.encoding != self.encoding:
            engine = self.engines[uri] = Incremental(self.path_of(uri), self.profiles, self.encoding)
        if not engine.ready(kept.lines):  # opened, or a new header: checked whole now, clip by clip meanwhile
            engine.lost()
            self.analyse(uri)
            self.warm(uri)
            return
        published = engine.update(kept.lines, dirty)
        if published is None:  # only the whole file can tell: check it whole
            self.analyse(uri)
            return
        found = {}
        for path, diagnostics in published.by_path.items():
            if path == engine.path:
                found[uri] = Finding(kept, diagnostics)
            else:
                found[uri_of(path)] = Finding(published.texts.get(path, ""), diagnostics)
        self.publish(uri, found, document.version)

    def warm(self, uri: str) -> None:
        """Check the document's clips one slice at a time between messages, so that edits after it
        re-check only what they change (a slice: a few milliseconds a keystroke may wait)."""
        if uri in self.warming:
            return
        self.warming.add(uri)
        loop = asyncio.get_running_loop()
        started = time.monotonic()

        def step() -> None:
            engine = self.engines.get(uri)
            if engine is None or uri not in self.shown:
                self.warming.discard(uri)
            elif engine.warm(cast(StoryProtocol, self.protocol).lines_of(uri).lines, WARM_CLIPS):
                self.warming.discard(uri)
                if engine.warmed:  # said in the editor's log (and read by bench/lsp_latency.py)
                    self.window_log_message(types.LogMessageParams(type=types.MessageType.Log, message=(
                        f"storyc: {os.path.basename(engine.path)}: {engine.clip_count} clips checked in "
                        f"{time.monotonic() - started:.1f} s; an edit now re-checks only its clip")))
            else:
                loop.call_soon(step)

        loop.call_soon(step)

    def analyse(self, uri: str, publish: bool = True) -> Analysis:
        document = self.workspace.get_text_document(uri)
        analysis = Analysis(self.path_of(uri), document.source, self.profiles, self.encoding, uri)
        self.analyses[uri] = analysis
        if not publish:
            return analysis
        self.shown[uri] = analysis.text
        found = {}
        for path, diagnostics in edits.by_path(analysis).items():
            source = analysis.program.sources.get(path)
            found[analysis.uri_for(path)] = Finding(source.text if source else "", diagnostics)
        self.publish(uri, found, document.version)
        return analysis

    def analysis(self, uri: str) -> Analysis:
        """The document's analysis for a feature, brought up to date first when a change is waiting."""
        if uri in self.pending:
            self.pending.discard(uri)
            self.check(uri)
        found = self.analyses.get(uri)
        if found is None:
            return self.analyse(uri, publish=False)  # the diagnostics are published already
        return found

    def local(self, uri: str, position: types.Position) -> Union[tuple[Analysis, int], None]:
        """For a feature at one place in a clip: an analysis of *header + that clip* (what the
        incremental check read), and how many lines the clip lies below its place in it. None when
        only the whole buffer will do (the header, a buffer the last check read whole)."""
        if uri in self.pending:
            self.pending.discard(uri)
            self.check(uri)
        engine = self.engines.get(uri)
        if engine is None:
            return None
        view = engine.clip_view(cast(StoryProtocol, self.protocol).lines_of(uri).lines, position.line)
        if view is None:
            return None
        text, below = view
        kept = self.views.get(uri)
        if kept is None or kept.text != text:
            kept = self.views[uri] = Analysis(self.path_of(uri), text, self.profiles, self.encoding, uri, part=True,
                                              parsed=engine.parsed(text))
        return kept, below

    def changed(self, uri: str) -> None:
        """Check the document after the messages already read: a burst of keystrokes is checked once."""
        if uri in self.pending:
            return
        self.pending.add(uri)

        def run() -> None:
            if uri in self.pending:
                self.pending.discard(uri)
                self.check(uri)

        asyncio.get_running_loop().call_soon(run)

    def publish(self, owner: str, found: dict[str, Finding], version: Union[int, None] = None) -> None:
        targets = set(found) | {target for target, owners in self.published.items() if owner in owners}
        for target in sorted(targets, key=lambda target: target != owner):
            owners = self.published.setdefault(target, {})
            if target in found:
                owners[owner] = found[target]
            else:
                owners.pop(owner, None)
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=target, diagnostics=self._merged(target, owners), version=version if target == owner else None))
            if not owners:
                del self.published[target]

    def _merged(self, target: str, owners: dict[str, Finding]) -> list[types.Diagnostic]:
        """What every open document found in `target`; for a file open in the editor, only what was
        found in the text the editor shows (an includer read the file from disk)."""
        shown = _text(self.shown.get(target))
        merged: list[types.Diagnostic] = []
        seen: set[tuple[Any, ...]] = set()
        for owner, finding in owners.items():
            if shown is not None and owner != target and _text(finding.text) != shown:
                continue
            for diagnostic in finding.diagnostics:
                key = (diagnostic.range.start.line, diagnostic.range.start.character, diagnostic.range.end.line,
                       diagnostic.range.end.character, diagnostic.code, diagnostic.message)
                if key not in seen:
                    seen.add(key)
                    merged.append(diagnostic)
        return merged

    def close(self, uri: str) -> None:
        self.pending.discard(uri)
        self.analyses.pop(uri, None)
        self.views.pop(uri, None)
        self.engines.pop(uri, None)
        self.shown.pop(uri, None)
        self.publish(uri, {})

    def reanalyse_all(self) -> None:
        """Check every open document again from scratch: a file they include may have changed."""
        for uri in list(self.shown):
            engine = self.engines.get(uri)
            if engine is not None:
                engine.forget()
            self.pending.discard(uri)
            self.check(uri)


Shown = Union[str, EditedLines]  # a document's lines are joined only if an includer's finding is compared


def _text(shown: Union[Shown, None]) -> Union[str, None]:
    return shown.text if isinstance(shown, EditedLines) else shown


class Finding(NamedTuple):
    """Diagnostics for one file, and the text of that file their positions refer to."""

    text: Shown
    diagnostics: list[types.Diagnostic]


def _moved(position: types.Position, lines: int) -> types.Position:
    return types.Position(line=position.line + lines, character=position.character)


def _moved_item(item: types.CompletionItem, lines: int) -> types.CompletionItem:
    """A completion from a clip's analysis, its edit moved to where the clip is in the buffer."""
    edit = item.text_edit
    if isinstance(edit, types.TextEdit) and lines:
        item.text_edit = types.TextEdit(range=types.Range(start=_moved(edit.range.start, lines),
                                                          end=_moved(edit.range.end, lines)),
                                        new_text=edit.new_text)
    return item


def create_server(profiles: Union[Catalog, None] = None) -> StoryServer:
    server = StoryServer(profiles)

    def offset_of(analysis: Analysis, position: types.Position) -> int:
        return analysis.lines(analysis.path).offset(position)

    def guarded(default: Any) -> Callable[[F], F]:
        """A feature that meets something unexpected answers `default` and logs, never takes the server down."""
        def wrap(function: F) -> F:
            def run(*args: Any) -> Any:
                try:
                    return function(*args)
                except JsonRpcInvalidParams:
                    raise
                except Exception as error:  # noqa: BLE001
                    if os.environ.get("STORYC_DEBUG"):
                        raise
                    server.window_log_message(types.LogMessageParams(
                        type=types.MessageType.Error, message=f"storyc: {function.__name__}: {error!r}"))
                    return default
            run.__name__ = function.__name__
            return cast(F, run)
        return wrap

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        server.check(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        server.changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        server.reanalyse_all()  # a saved file may be included by other open documents

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files_changed(params: types.DidChangeWatchedFilesParams) -> None:
        server.reanalyse_all()  # an include changed on disk (the VS Code client reports *.story)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        server.close(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    @guarded(None)
    def formatting(params: types.DocumentFormattingParams) -> Union[list[types.TextEdit], None]:
        uri = params.text_document.uri
        return edits.format_document(server.path_of(uri), server.workspace.get_text_document(uri).source,
                                     server.encoding)

    @server.feature(types.TEXT_DOCUMENT_RANGE_FORMATTING)
    @guarded(None)
    def range_formatting(params: types.DocumentRangeFormattingParams) -> Union[list[types.TextEdit], None]:
        uri = params.text_document.uri
        return edits.format_range(server.path_of(uri), server.workspace.get_text_document(uri).source,
                                  server.encoding, params.range)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]))
    @guarded([])
    def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        only = [str(getattr(kind, "value", kind)) for kind in params.context.only] if params.context.only else None
        return edits.code_actions(server.analysis(uri), uri, params.range, only)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(None)
    def hover(params: types.HoverParams) -> Union[types.Hover, None]:
        local = server.local(params.text_document.uri, params.position)
        if local is not None:  # a hover carries no range: nothing to move back
            view, below = local
            return assist.hover(view, offset_of(view, _moved(params.position, -below)))
        analysis = server.analysis(params.text_document.uri)
        return assist.hover(analysis, offset_of(analysis, params.position))

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT)
    @guarded([])
    def inlay_hint(params: types.InlayHintParams) -> list[types.InlayHint]:
        return assist.inlay_hints(server.analysis(params.text_document.uri), params.range)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=["@", '"', " ", ":", ","]))
    @guarded(None)
    def completion(params: types.CompletionParams) -> Union[types.CompletionList, None]:
        local = server.local(params.text_document.uri, params.position)
        if local is not None:
            view, below = local
            found = [_moved_item(item, below)
                     for item in assist.completion(view, offset_of(view, _moved(params.position, -below)))]
            return types.CompletionList(is_incomplete=False, items=found)
        analysis = server.analysis(params.text_document.uri)
        found = assist.completion(analysis, offset_of(analysis, params.position))
        return types.CompletionList(is_incomplete=False, items=found)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guarded(None)
    def definition(params: types.DefinitionParams) -> Union[types.Location, None]:
        analysis = server.analysis(params.text_document.uri)
        return navigate.definition(analysis, offset_of(analysis, params.position))

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @guarded(None)
    def references(params: types.ReferenceParams) -> Union[list[types.Location], None]:
        analysis = server.analysis(params.text_document.uri)
        return navigate.references(analysis, offset_of(analysis, params.position),
                                   params.context.include_declaration)

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    @guarded(None)
    def prepare_rename(params: types.PrepareRenameParams) -> Union[types.Range, None]:
        analysis = server.analysis(params.text_document.uri)
        return navigate.prepare_rename(analysis, offset_of(analysis, params.position))

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    @guarded(None)
    def rename(params: types.RenameParams) -> types.WorkspaceEdit:
        analysis = server.analysis(params.text_document.uri)
        try:
            return navigate.rename(analysis, offset_of(analysis, params.position), params.new_name)
        except navigate.RenameError as error:
            raise JsonRpcInvalidParams(str(error)) from None

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded([])
    def document_symbol(params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        return navigate.symbols(server.analysis(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
    @guarded([])
    def folding_range(params: types.FoldingRangeParams) -> list[types.FoldingRange]:
        return navigate.folding_ranges(server.analysis(params.text_document.uri))

    return server


def serve(profiles: Union[Catalog, None] = None) -> None:
    """Run the language server on standard input and output until the client exits."""
    create_server(profiles).start_io()
