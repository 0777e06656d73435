"""`story lsp` driven over stdio by pygls's LSP client, as an editor would drive it.

Expected positions are computed here from the text itself (code points, UTF-16 units or UTF-8 bytes),
expected diagnostics from `story check --format json`, formatting from `story fmt`, prices from
`story plan --json`: the server must agree with the CLI it adapts.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Union

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from storyc.cli import main

CAST = """\
# 角色 shared by the project
cast fox: 一隻穿風衣的紅狐狸 🦊
place meadow: a wide meadow at dawn
cast owl: an old owl who is never on screen
"""

MAIN = """\
# 草原追逐: the fox's chase
storyboard "草原追逐 🦊"
model wan2.7-t2v
resolution 720P
language zh
include "shared/cast.story"

clip chase 6s
  shot 3s wide
    大遠景開篇 🦊 @foxx 向前移動
  shot 3s wid
    @fox stops in @meadow, 風聲。
    say fox: 你好

clip rest
  @fox sleeps under a tree in @meadow
"""


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def position_of(text: str, needle: str, encoding: str, occurrence: int = 0) -> types.Position:
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    return types.Position(line=line, character=units(text[line_start:offset], encoding))


def range_of(text: str, needle: str, encoding: str, occurrence: int = 0) -> types.Range:
    start = position_of(text, needle, encoding, occurrence)
    return types.Range(start=start, end=types.Position(line=start.line, character=start.character + units(needle, encoding)))


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions) to `text`, last first."""
    lines = text.split("\n")

    def offset(position: types.Position) -> int:
        before = sum(len(line) + 1 for line in lines[: position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        encoded = line.encode("utf-16-le")[: position.character * 2]
        return before + len(encoded.decode("utf-16-le"))

    spans = sorted(((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


class Session:
    """A started server and a client that records every publishDiagnostics it receives."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.published: list[types.PublishDiagnosticsParams] = []
        self.arrived = asyncio.Event()

    async def diagnostics(self, uri: str, version: Union[int, None] = None, timeout: float = 10.0) -> list[types.Diagnostic]:
        """The first diagnostics published for `uri` (with `version`, when given) not yet taken."""
        async def wait() -> list[types.Diagnostic]:
            while True:
                for index, params in enumerate(self.published):
                    if params.uri == uri and (version is None or params.version == version):
                        del self.published[index]
                        return list(params.diagnostics)
                self.arrived.clear()
                await self.arrived.wait()
        return await asyncio.wait_for(wait(), timeout)

    def open(self, path: Path, text: Union[str, None] = None, version: int = 1) -> str:
        uri = str(from_fs_path(str(path)))
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="story", version=version, text=path.read_text("utf-8") if text is None else text)))
        return uri

    def change(self, uri: str, version: int, range_: types.Range, text: str) -> None:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=range_, text=text)]))


# As the VS Code client starts it: the installed `story` command, `lsp --stdio`.
_STORY = Path(sys.executable).parent / "story"
SERVER = [str(_STORY), "lsp", "--stdio"] if _STORY.exists() else [sys.executable, "-m", "storyc", "lsp", "--stdio"]


@contextlib.asynccontextmanager
async def session(root: Path, encodings: Union[list[str], None] = None) -> AsyncIterator[Session]:
    client = LanguageClient("storyc-tests", "1")
    started = Session(client)

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        started.published.append(params)
        started.arrived.set()

    await client.start_io(*SERVER, env={**os.environ, "DASHSCOPE_REGION": ""})
    general = types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None
    capabilities = types.ClientCapabilities(general=general, text_document=types.TextDocumentClientCapabilities(
        hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
        rename=types.RenameClientCapabilities(prepare_support=True),
        document_symbol=types.DocumentSymbolClientCapabilities(hierarchical_document_symbol_support=True)))
    result = await client.initialize_async(types.InitializeParams(
        capabilities=capabilities, root_uri=str(from_fs_path(str(root))), process_id=os.getpid()))
    started.capabilities = result.capabilities  # type: ignore[attr-defined]
    client.initialized(types.InitializedParams())
    try:
        yield started
    finally:
        await client.shutdown_async(None)
        client.exit(None)
        await asyncio.wait_for(client.stop(), 10)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "story.toml").write_text("")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "cast.story").write_text(CAST + "\nclip stray\n  ignored when included\n", "utf-8")
    (tmp_path / "main.story").write_text(MAIN, "utf-8")
    return tmp_path


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def check_records(path: Path) -> list[dict[str, Any]]:
    _, out = cli("check", "--format", "json", str(path))
    records: list[dict[str, Any]] = json.loads(out)
    return records


def plan_prices(path: Path) -> dict[str, float]:
    """Each clip's price in Singapore (the default region) as `story plan --json` gives it."""
    code, out = cli("plan", "--json", str(path))
    assert code == 0, out
    document = json.loads(out)
    tables = document["storyboards"] if isinstance(document, dict) else document
    prices = {}
    for row in tables[0]["clips"]:
        price = row["price"]
        prices[row["clip"]] = price["amount"] if "amount" in price else price["singapore"]
    return prices


def as_keys(diagnostics: list[types.Diagnostic]) -> set[tuple[object, ...]]:
    return {(d.code, d.message.split("\nhelp:")[0], d.range.start.line, d.range.start.character,
             d.range.end.line, d.range.end.character) for d in diagnostics}


# -- diagnostics


@pytest.mark.asyncio
@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
async def test_diagnostics_on_open_have_exact_ranges_in_every_encoding(project: Path, encoding: str) -> None:
    async with session(project, [encoding]) as started:
        assert started.capabilities.position_encoding == encoding  # type: ignore[attr-defined]
        uri = started.open(project / "main.story")
        found = await started.diagnostics(uri, 1)
        by_code = {d.code: d for d in found}
        assert by_code["SB205"].range == range_of(MAIN, "@foxx", encoding)  # after CJK and an astral emoji
        assert by_code["SB211"].range == range_of(MAIN, "wid", encoding, occurrence=1)
        assert by_code["SB205"].severity == types.DiagnosticSeverity.Error
        assert "help: the closest declared name is `@fox`" in by_code["SB205"].message


@pytest.mark.asyncio
async def test_diagnostics_match_story_check_and_cover_included_files(project: Path) -> None:
    async with session(project, ["utf-32"]) as started:  # UTF-32 columns are code points, as `story check`
        uri = started.open(project / "main.story")
        found = {uri: await started.diagnostics(uri, 1)}
        included = str(from_fs_path(str(project / "shared" / "cast.story")))
        found[included] = await started.diagnostics(included)
    expected: dict[str, set[tuple[object, ...]]] = {}
    for record in check_records(project / "main.story"):
        key = str(from_fs_path(os.path.abspath(record["file"])))
        expected.setdefault(key, set()).add((record["code"], record["message"], record["line"] - 1,
                                             record["column"] - 1, record["end_line"] - 1, record["end_column"] - 1))
    assert {key: as_keys(value) for key, value in found.items()} == expected
    assert any(code == "SB204" for code, *_ in expected[included])  # the include's own problem, shown in it


@pytest.mark.asyncio
async def test_an_edit_publishes_updated_diagnostics(project: Path) -> None:
    async with session(project) as started:
        uri = started.open(project / "main.story")
        first = await started.diagnostics(uri, 1)
        assert {"SB205", "SB211"} <= {d.code for d in first}
        started.change(uri, 2, range_of(MAIN, "@foxx", "utf-16"), "@fox")
        second = await started.diagnostics(uri, 2)
        assert "SB205" not in {d.code for d in second}
        assert "SB211" in {d.code for d in second}
        # A syntax error is reported where it is, on a line after CJK text.
        started.change(uri, 3, range_of(MAIN, "    say fox", "utf-16"), "      say fox")
        third = await started.diagnostics(uri, 3)
        assert [d.code for d in third if d.code.startswith("SB1")] == ["SB102"]


# -- formatting


@pytest.mark.asyncio
async def test_formatting_matches_story_fmt_whole_and_range(project: Path) -> None:
    messy = MAIN.replace("@foxx", "@fox").replace("wid\n", "wide\n").replace("clip chase 6s", "clip   chase   6s") \
        .replace("clip rest", "clip    rest")
    path = project / "messy.story"
    path.write_text(messy, "utf-8")
    async with session(project) as started:
        uri = started.open(path)
        whole = await started.client.text_document_formatting_async(types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri), options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
        line = position_of(messy, "clip   chase", "utf-16").line
        partial = await started.client.text_document_range_formatting_async(types.DocumentRangeFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line + 1, character=0)),
            options=types.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert cli("fmt", "--check", str(path))[0] == 1
    cli("fmt", str(path))
    assert whole and apply_edits(messy, whole) == path.read_text("utf-8")
    assert partial is not None
    ranged = apply_edits(messy, partial)
    assert "clip chase 6s" in ranged and "clip    rest" in ranged  # only the requested line changed


# -- hover, inlay hints, completion


@pytest.mark.asyncio
async def test_hover_on_references_keywords_and_clips(project: Path) -> None:
    text = MAIN.replace("@foxx", "@fox").replace("wid\n", "wide\n")
    price = plan_prices(_write(project / "clean.story", text))["chase"]
    async with session(project) as started:
        uri = started.open(project / "clean.story")
        await started.diagnostics(uri, 1)

        async def hover(needle: str, occurrence: int = 0, shift: int = 1) -> str:
            at = position_of(text, needle, "utf-16", occurrence)
            at = types.Position(line=at.line, character=at.character + shift)
            found = await started.client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=at))
            assert found is not None, needle
            return str(found.contents.value)  # type: ignore[union-attr]

        assert "一隻穿風衣的紅狐狸" in await hover("@fox stops")
        assert "cast.story:2" in await hover("@fox stops")
        assert "line of dialogue" in await hover("say fox")
        assert "another file's cast" in await hover("include")
        clip = await hover("chase 6s")
        assert "[0-6s]" in clip and f"CNY {price:.2f}" in clip and "singapore" in clip
        assert "/ 5000 characters" in clip and "```text" in clip
        shot = await hover("shot 3s wide", shift=6)
        assert "shot 1 of 2" in shot and "[0-3s]" in shot
        assert "the request `chase`: [0-6s] · prompt " in shot and f"CNY {price:.2f} (singapore)" in shot
        assert "camera shot" not in shot
        assert "resolution tier" in await hover("resolution 720P")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


@pytest.mark.asyncio
async def test_inlay_hints_show_shot_ranges_and_clip_prices(project: Path) -> None:
    text = MAIN.replace("@foxx", "@fox").replace("wid\n", "wide\n")
    prices = plan_prices(_write(project / "clean.story", text))
    async with session(project) as started:
        uri = started.open(project / "clean.story")
        hints = await started.client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=99, character=0))))
    assert hints is not None
    labels = {(h.position.line, h.position.character): h.label for h in hints}
    first_shot = position_of(text, "3s wide", "utf-16")
    second_shot = position_of(text, "3s wide", "utf-16", 1)
    assert labels[(first_shot.line, first_shot.character + 2)] == "[0-3s]"
    assert labels[(second_shot.line, second_shot.character + 2)] == "[3-6s]"
    chase = position_of(text, "6s\n", "utf-16")
    assert labels[(chase.line, chase.character + 2)] == f"CNY {prices['chase']:.2f}"
    rest = position_of(text, "rest\n", "utf-16")
    assert labels[(rest.line, rest.character + 4)] == f"CNY {prices['rest']:.2f}"


@pytest.mark.asyncio
async def test_completion_of_names_models_settings_framings_and_includes(project: Path) -> None:
    async with session(project) as started:
        uri = started.open(project / "main.story")
        await started.diagnostics(uri, 1)

        async def complete(line: int, character: int) -> set[str]:
            found = await started.client.text_document_completion_async(types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character)))
            assert isinstance(found, types.CompletionList)
            return {item.label for item in found.items}

        end = MAIN.count("\n")
        started.change(uri, 2, types.Range(start=types.Position(line=end, character=0), end=types.Position(line=end, character=0)),
                       "  shot 2s \n  camera: slow push in, \n  say \n  @\nresolution \nmodel \ninclude \"\n"
                       "\nclip old 5s\n  model wan2.2-t2v-plus\n  resolution \n  A fox sleeps\n")
        await started.diagnostics(uri, 2)
        assert {"wide", "close-up", "medium"} <= await complete(end, 10)
        assert "pan left" in await complete(end + 1, 24)
        assert await complete(end + 2, 6) == {"fox", "owl"}
        assert await complete(end + 3, 3) == {"@fox", "@meadow", "@owl"}
        assert await complete(end + 4, 11) == {"720P", "1080P"}  # what wan2.7-t2v offers, not every tier
        assert "wan2.7-t2v" in await complete(end + 5, 6)
        assert await complete(end + 6, 9) == {"shared/cast.story"}
        # A clip's own `model` line decides what its `resolution` may be.
        assert await complete(end + 10, 13) == set(await _tiers("wan2.2-t2v-plus")) != {"720P", "1080P"}
        assert {"model", "resolution", "shot", "camera", "takes", "continue"} <= await complete(end + 11, 2)
        top = await complete(end + 7, 0)
        assert {"clip", "scene", "cast", "include", "model", "takes"} <= top
        assert "shot" not in top and "continue" not in top  # a clip's own line


async def _tiers(model: str) -> list[str]:
    from storyc.models.profile import catalog

    profile = catalog().get(model)
    assert profile is not None
    return list(profile.resolution["tiers"])


# -- names across includes


@pytest.mark.asyncio
async def test_definition_references_and_rename_across_includes_refusing_bad_names(project: Path) -> None:
    cast_uri = str(from_fs_path(str(project / "shared" / "cast.story")))
    async with session(project) as started:
        uri = started.open(project / "main.story")
        await started.diagnostics(uri, 1)
        at = position_of(MAIN, "@fox stops", "utf-16")
        at = types.Position(line=at.line, character=at.character + 2)
        document = types.TextDocumentIdentifier(uri=uri)
        definition = await started.client.text_document_definition_async(
            types.DefinitionParams(text_document=document, position=at))
        references = await started.client.text_document_references_async(types.ReferenceParams(
            text_document=document, position=at, context=types.ReferenceContext(include_declaration=True)))
        prepared = await started.client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=document, position=at))
        renamed = await started.client.text_document_rename_async(
            types.RenameParams(text_document=document, position=at, new_name="vixen"))
        with pytest.raises(Exception, match="is not a name"):
            await started.client.text_document_rename_async(
                types.RenameParams(text_document=document, position=at, new_name="2fox"))
    assert isinstance(definition, types.Location)
    assert definition.uri == cast_uri and definition.range == range_of(CAST, "fox", "utf-16")
    assert references is not None
    found = {(r.uri, r.range.start.line, r.range.start.character) for r in references}
    expected = {(cast_uri, *_pair(position_of(CAST, "fox", "utf-16")))}
    for needle in ("fox stops", "fox sleeps", "fox: 你好"):
        expected.add((uri, *_pair(position_of(MAIN, needle, "utf-16"))))
    assert found == expected  # `@foxx` is a different name and is left alone
    assert prepared == range_of(MAIN, "fox", "utf-16", occurrence=2)  # the name in `@fox stops`, without `@`
    assert renamed is not None and renamed.changes is not None
    new_main = apply_edits(MAIN, list(renamed.changes[uri]))
    new_cast = apply_edits(CAST, list(renamed.changes[cast_uri]))
    assert "cast vixen:" in new_cast and "@vixen stops" in new_main and "say vixen:" in new_main
    assert "@foxx" in new_main and "@fox " not in new_main


def _pair(position: types.Position) -> tuple[int, int]:
    return position.line, position.character


# -- outline, folding, code actions


@pytest.mark.asyncio
async def test_symbols_and_folding_ranges(project: Path) -> None:
    async with session(project) as started:
        uri = started.open(project / "main.story")
        document = types.TextDocumentIdentifier(uri=uri)
        symbols = await started.client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=document))
        folds = await started.client.text_document_folding_range_async(types.FoldingRangeParams(text_document=document))
    assert symbols is not None
    clips = [s for s in symbols if isinstance(s, types.DocumentSymbol) and s.kind == types.SymbolKind.Module]
    assert [c.name for c in clips] == ["chase", "rest"]
    shots = clips[0].children or []
    assert [(s.name, s.detail) for s in shots] == [("shot 1 wide", "[0-3s]"), ("shot 2 wid", "[3-6s]")]
    assert clips[0].selection_range == range_of(MAIN, "chase", "utf-16", occurrence=1)
    assert folds is not None
    chase = position_of(MAIN, "clip chase", "utf-16").line
    spans = {(f.start_line, f.end_line) for f in folds}
    assert (chase, chase + 5) in spans  # the clip, through its last shot line
    assert (chase + 1, chase + 2) in spans and (chase + 3, chase + 5) in spans


@pytest.mark.asyncio
async def test_code_actions_apply_the_diagnostics_fixes(project: Path) -> None:
    async with session(project) as started:
        uri = started.open(project / "main.story")
        found = await started.diagnostics(uri, 1)
        wanted = range_of(MAIN, "@foxx", "utf-16")
        actions = await started.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=wanted,
            context=types.CodeActionContext(diagnostics=[d for d in found if d.range == wanted])))
        assert actions is not None
        (action,) = [a for a in actions if isinstance(a, types.CodeAction) and a.kind == types.CodeActionKind.QuickFix]
        assert action.kind == types.CodeActionKind.QuickFix and action.title == "Replace `@foxx` with `@fox`"
        assert action.diagnostics and action.diagnostics[0].code == "SB205"
        assert action.edit is not None and action.edit.changes is not None
        fixed = apply_edits(MAIN, list(action.edit.changes[uri]))
        edit = action.edit.changes[uri][0]
        started.change(uri, 2, edit.range, edit.new_text)
        after = await started.diagnostics(uri, 2)
    assert "@fox 向前移動" in fixed
    assert "SB205" not in {d.code for d in after}


def test_fixes_that_say_they_are_machine_applicable_are_preferred() -> None:
    from storyc.base.diagnostics import Fix
    from storyc.base.source import Span
    from storyc.lsp.edits import _preferred

    assert not _preferred(Fix(Span(0, 1), "x"))

    class Applicable(tuple):  # a fix as the diagnostics module will make it, with an applicability
        span = Span(0, 1)
        replacement = "x"

        def __new__(cls, applicability: str) -> Applicable:
            made = super().__new__(cls, ())
            made.applicability = applicability  # type: ignore[attr-defined]
            return made

    assert _preferred(Applicable("machine-applicable"))  # type: ignore[arg-type]
    assert not _preferred(Applicable("maybe-incorrect"))  # type: ignore[arg-type]


# -- a long session stays flat


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.asyncio
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the server's memory from /proc")
async def test_memory_stays_flat_over_many_edits(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
    from gen import storyboard  # type: ignore[import-not-found]

    text = storyboard(40)
    path = _write(tmp_path / "long.story", text)
    async with session(tmp_path) as started:
        uri = started.open(path)
        await started.diagnostics(uri, 1)
        pid = started.client._server.pid  # type: ignore[union-attr]
        line = position_of(text, "turning page 7 ", "utf-16")
        where = types.Range(start=line, end=types.Position(line=line.line, character=line.character + 1))
        sizes: list[int] = []
        edit: Callable[[int], str] = lambda n: "@" if n % 2 else "t"  # noqa: E731 - flips an error on and off
        for version in range(2, 302):
            started.change(uri, version, where, edit(version))
            await started.diagnostics(uri, version)
            if version in (101, 301):
                sizes.append(_rss_kib(pid))
    growth = sizes[1] - sizes[0]
    assert growth < 2 * 1024, f"the server grew by {growth} KiB over 200 edits"


@pytest.mark.asyncio
async def test_an_open_include_shows_what_its_includers_found_only_while_the_texts_agree(project: Path) -> None:
    cast_path = project / "shared" / "cast.story"
    cast_text = cast_path.read_text("utf-8")
    async with session(project) as started:
        main_uri = started.open(project / "main.story")
        await started.diagnostics(main_uri, 1)
        cast_uri = started.open(cast_path)
        own = await started.diagnostics(cast_uri, 1)
        assert "SB204" in {d.code for d in own}  # the includer's finding, for the same text
        # Unsaved edits: the includer read the file from disk, so its positions no longer apply.
        started.change(cast_uri, 2, types.Range(start=types.Position(line=0, character=0),
                                                end=types.Position(line=0, character=0)), "# a new first line\n")
        edited = await started.diagnostics(cast_uri, 2)
        assert "SB204" not in {d.code for d in edited}
        # Saved: the includer is checked again against the new text.
        cast_path.write_text("# a new first line\n" + cast_text, "utf-8")
        started.published.clear()  # what came before the save
        started.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=cast_uri)))
        stray = position_of("# a new first line\n" + cast_text, "clip stray", "utf-16")
        for _ in range(4):
            saved = await started.diagnostics(cast_uri)
            if "SB204" in {d.code for d in saved}:
                break
        assert [d.range.start for d in saved if d.code == "SB204"] == [stray]


FIXABLE = """\
model wan2.7-t2v
cast fox: a fox

clip a 6s
  shot 3s wdie
    @foxx runs
  shot 3s closeup
    @fox stops
"""


@pytest.mark.asyncio
async def test_preferred_quick_fixes_and_fix_all_follow_each_fixes_applicability(tmp_path: Path) -> None:
    path = _write(tmp_path / "fixable.story", FIXABLE)
    records = [r for r in check_records(path) if r["fix"]]
    safe = {(r["line"] - 1, r["column"] - 1) for r in records if r["fix"].get("applicability") == "machine-applicable"}
    async with session(tmp_path) as started:
        uri = started.open(path)
        await started.diagnostics(uri, 1)
        everything = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=99, character=0))
        actions = await started.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=everything,
            context=types.CodeActionContext(diagnostics=[])))
        fix_all = await started.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=everything,
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll])))
    assert actions is not None and fix_all is not None
    quick = [a for a in actions if isinstance(a, types.CodeAction) and a.kind == types.CodeActionKind.QuickFix]
    assert len(quick) == len(records) == 3
    preferred = {(a.diagnostics[0].range.start.line, a.diagnostics[0].range.start.character)
                 for a in quick if a.is_preferred and a.diagnostics}
    assert preferred == safe
    if not safe:  # fixes that do not say how applicable they are: nothing is preferred, nothing fixed at once
        assert fix_all == []
        return
    (action,) = fix_all
    assert isinstance(action, types.CodeAction) and action.edit and action.edit.changes
    fixed = apply_edits(FIXABLE, list(action.edit.changes[uri]))
    cli("check", "--fix", str(path))  # the command line applies the same fixes to the file
    assert fixed == path.read_text("utf-8")
    assert "@foxx" in fixed and "shot 3s wide" in fixed


@pytest.mark.asyncio
async def test_a_burst_of_changes_ends_in_the_last_versions_diagnostics(project: Path) -> None:
    async with session(project) as started:
        uri = started.open(project / "main.story")
        await started.diagnostics(uri, 1)
        end = MAIN.count("\n")
        typed = "  @owlx flies\n"
        for version, char in enumerate(typed, 2):  # one keystroke each, sent without waiting
            at = types.Position(line=end, character=version - 2)
            started.change(uri, version, types.Range(start=at, end=at), char)
        last = len(typed) + 1
        found = await started.diagnostics(uri, last)
        hover = await started.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=end, character=4)))
    undeclared = [d for d in found if d.code == "SB205"]
    assert [d.range.start for d in undeclared] == [position_of(MAIN, "@foxx", "utf-16"),
                                                    types.Position(line=end, character=2)]
    assert hover is not None and "`@owlx` is not declared" in str(hover.contents.value)  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_references_and_rename_of_a_cjk_name_inside_run_on_prose(tmp_path: Path) -> None:
    """`@獵豹追著羚羊` names `獵豹`: references cover those two characters, and rename keeps the prose."""
    text = "cast 獵豹: 一隻獵豹\n\nclip chase 5s\n  shot 5s wide\n    @獵豹追著羚羊\n"
    (tmp_path / "story.toml").write_text("")
    (tmp_path / "main.story").write_text(text, "utf-8")
    async with session(tmp_path) as started:
        uri = started.open(tmp_path / "main.story")
        await started.diagnostics(uri, 1)
        at = position_of(text, "獵豹追著", "utf-16")
        document = types.TextDocumentIdentifier(uri=uri)
        references = await started.client.text_document_references_async(types.ReferenceParams(
            text_document=document, position=at, context=types.ReferenceContext(include_declaration=True)))
        renamed = await started.client.text_document_rename_async(
            types.RenameParams(text_document=document, position=at, new_name="豹子"))
    assert references is not None
    assert {(r.range.start.line, r.range.start.character, r.range.end.character) for r in references} == {
        (0, 5, 7), (4, 5, 7)}
    assert renamed is not None and renamed.changes is not None
    assert apply_edits(text, list(renamed.changes[uri])) == (  # the description's own 獵豹 is prose, not a name
        "cast 豹子: 一隻獵豹\n\nclip chase 5s\n  shot 5s wide\n    @豹子追著羚羊\n")


# -- labels (issue 21): what the prompt calls a name, in completion and hover


@pytest.mark.asyncio
async def test_labels_show_in_completion_and_hover_and_the_clip_hover_is_the_compiled_prompt(
        project: Path, tmp_path: Path) -> None:
    text = ('language zh\ncast mei "阿梅": 一位穿黃色雨衣的女孩\ncast 貓: 一隻橘貓\n'
            "clip a 5s\n  @mei 看著@貓的尾巴\n  say mei: 你好\n")
    path = _write(project / "labels.story", text)
    assert cli("compile", str(path), "-o", str(tmp_path / "out"))[0] == 0
    compiled = (tmp_path / "out" / "a.prompt.txt").read_text("utf-8").strip()
    async with session(project) as started:
        uri = started.open(path)
        await started.diagnostics(uri, 1)

        async def hover(needle: str) -> str:
            at = position_of(text, needle, "utf-16")
            found = await started.client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=at.line, character=at.character + 1)))
            assert found is not None, needle
            return str(found.contents.value)  # type: ignore[union-attr]

        assert "the prompt calls it `阿梅` (its label)" in await hover("@mei")
        assert "the prompt calls it `貓` (no label given: the name)" in await hover("@貓")
        assert f"```text\n{compiled}\n```" in await hover("a 5s")
        end = text.count("\n")
        started.change(uri, 2, types.Range(start=types.Position(line=end, character=0),
                                           end=types.Position(line=end, character=0)), "  @\n")
        await started.diagnostics(uri, 2)
        found = await started.client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=end, character=3)))
        assert isinstance(found, types.CompletionList)
        details = {item.label: item.detail for item in found.items}
    assert details == {"@mei": 'cast "阿梅": 一位穿黃色雨衣的女孩', "@貓": "cast: 一隻橘貓"}
    assert compiled == "貓是一隻橘貓。阿梅(一位穿黃色雨衣的女孩)看著貓的尾巴。阿梅說:「你好」"


@pytest.mark.asyncio
async def test_hover_and_completion_in_a_clip_after_edits_that_move_it(project: Path) -> None:
    """After the clips are checked one by one, hover and completion in a clip read *header + clip*:
    their answers stay where the clip is now, after an edit above it added lines."""
    clips = "".join(f"clip c{n} 5s\n  shot 5s wide\n    @fox runs past tree {n}\n\n" for n in range(6))
    text = "model wan2.7-t2v\ncast fox: a red fox\n\n" + clips
    async with session(project) as started:
        uri = started.open(_write(project / "moved.story", text))
        await started.diagnostics(uri, 1)
        version = 1
        for _ in range(3):  # the clips are checked between messages: a few edits reach the incremental path
            version += 1
            at = position_of(text, "tree 1", "utf-16")
            started.change(uri, version, types.Range(start=at, end=at), "wide\n    ")
            text = text.replace("tree 1", "wide\n    tree 1")
            await started.diagnostics(uri, version)
        at = position_of(text, "shot 5s wide", "utf-16", 4)
        found = await started.client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=at.line, character=3)))
        assert found is not None and "shot 1 of 1** in `c4`" in str(found.contents.value)  # type: ignore[union-attr]
        version += 1
        at = position_of(text, "tree 5", "utf-16")
        started.change(uri, version, types.Range(start=at, end=at), "@f")
        text = text.replace("tree 5", "@ftree 5")
        await started.diagnostics(uri, version)
        after = types.Position(line=at.line, character=at.character + 2)
        listed = await started.client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=after))
        assert isinstance(listed, types.CompletionList)
        fox = [item for item in listed.items if item.label == "@fox"]
        assert fox and isinstance(fox[0].text_edit, types.TextEdit)
        assert fox[0].text_edit.range == types.Range(start=at, end=after)  # `@f` replaced where it is
