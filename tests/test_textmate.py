"""The VS Code extension's TextMate grammar, run by vscode-textmate and vscode-oniguruma (node), agrees
with the compiler's own parse: every keyword, duration, reference, cue label, comment and line of prose
the parser finds in `storyboards/` gets the scope the grammar promises for it."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Iterator

import pytest

from storyc.base.source import Source, Span
from storyc.check.rules import texts
from storyc.cli.common import storyboard_files
from storyc.language.nodes import (
    Camera,
    Clip,
    Cue,
    Declaration,
    Dialogue,
    Include,
    MediaInput,
    Prose,
    Setting,
    Shot,
    Soundtrack,
    Text,
)
from storyc.language.parse import parse

ROOT = Path(__file__).parent.parent
EXTENSION = ROOT / "editors" / "vscode"
STORYBOARDS = [Path(path) for path in storyboard_files([str(ROOT / "storyboards")])]  # not `.story/`

# Lines whose first word only looks like a keyword: the parser reads them as prose, and so must the grammar.
LOOKALIKES = """\
clip lookalikes 6s
  model wan2.6-t2v
  negative: text, watermarks
  shot 3s wide
    Shot from a low angle, the fox looks up.
    music swells as @fox runs  # a trailing comment
    camera crews wait by the road
  shot 3s
    say nothing, just run #not-a-comment
    model trains circle the track
    sfx:  thunder # rolls
"""


def tokenise(files: list[Path]) -> dict[str, list[tuple[str, list[tuple[int, int, list[str]]]]]]:
    node = shutil.which("node")
    if node is None or not (EXTENSION / "node_modules" / "vscode-textmate").is_dir():
        pytest.skip("needs node and `npm ci` in editors/vscode")
    run = subprocess.run([node, str(EXTENSION / "test" / "grammar.js"), *map(str, files)],
                         capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 0, run.stderr
    found: dict[str, list[tuple[str, list[tuple[int, int, list[str]]]]]] = json.loads(run.stdout)
    return found


def scopes_by_offset(text: str, lines: list[tuple[str, list[tuple[int, int, list[str]]]]]) -> dict[int, set[str]]:
    """Each code point's scopes; token columns are UTF-16 units and are converted here."""
    scopes: dict[int, set[str]] = defaultdict(set)
    line_start = 0
    for line, tokens in lines:
        code_point_at: list[int] = []
        for index, char in enumerate(line):
            code_point_at.extend([index] * (2 if ord(char) > 0xFFFF else 1))
        code_point_at.append(len(line))
        for start, end, names in tokens:
            for column in range(code_point_at[start], code_point_at[end]):
                scopes[line_start + column].update(names)
        line_start += len(line) + 1 + (1 if text[line_start + len(line) : line_start + len(line) + 1] == "\r" else 0)
    return scopes


def expectations(source: Source) -> Iterator[tuple[str, Span, str]]:
    """(what, where, scope) for everything the parser found."""
    result = parse(source)
    assert result.storyboard is not None, source.path
    for comment in result.comments:
        yield "comment", comment.span, "comment.line.number-sign.story"

    def keyword(node_span: Span, word: str, scope: str) -> tuple[str, Span, str]:
        assert source.text[node_span.start : node_span.start + len(word)] == word
        return "keyword", Span(node_span.start, node_span.start + len(word)), scope

    def refs(text: Text) -> Iterator[tuple[str, Span, str]]:
        for ref in text.refs:
            yield "reference", ref.span, "variable.other.reference.story"

    for item in result.storyboard.items:
        if isinstance(item, Setting):
            yield keyword(item.span, source.text[item.span.start :].split(":")[0].split()[0], "keyword.other.setting.story")
            yield from refs(item.value)
        elif isinstance(item, Declaration):
            yield keyword(item.span, item.kind, "keyword.other.declaration.story")
            yield "declared name", item.name_span, "entity.name.type.story"
            if item.label is not None:  # `cast mei "阿梅": …`: the quoted label after the name
                start = source.text.index('"', item.name_span.end)
                yield "label", Span(start, start + len(item.label) + 2), "string.quoted.double.label.story"
            for medium in item.media:
                yield keyword(medium.span, medium.kind, "keyword.other.media.story")
                yield "media path", medium.text.span, "string.unquoted.path.story"
        elif isinstance(item, Include):
            yield keyword(item.span, "include", "keyword.control.import.story")
        elif isinstance(item, Clip):
            yield keyword(item.span, item.kind, "keyword.other.clip.story")
            yield "clip name", item.name_span, "entity.name.function.clip.story"
            if item.duration is not None:
                yield "duration", item.duration.span, "constant.numeric.duration.story"
            yield from _clip_lines(item, keyword)
    for text in texts(result.storyboard):
        yield from refs(text)


def _clip_lines(clip: Clip, keyword: object) -> Iterator[tuple[str, Span, str]]:
    make = keyword  # (span, word, scope) -> expectation
    for line in clip.lines:
        if isinstance(line, Setting):  # a clip's own setting
            yield make(line.span, line.key, "keyword.other.setting.story")  # type: ignore[operator]
            continue
        if isinstance(line, Shot):
            yield make(line.span, "shot", "keyword.other.shot.story")  # type: ignore[operator]
            yield "duration", line.timing.span, "constant.numeric.duration.story"
            if line.framing is not None:
                yield "framing", line.framing.span, "support.constant.framing.story"
            if line.text is not None:
                yield "prose", line.text.span, "meta.prose.story"
            inner = line.lines
        else:
            inner = (line,)
        for each in inner:
            if isinstance(each, Prose):
                yield "prose", each.text.span, "meta.prose.story"
            elif isinstance(each, (Camera, Cue, Soundtrack)):
                word = "camera" if isinstance(each, Camera) else "soundtrack" if isinstance(each, Soundtrack) else each.kind
                yield make(each.span, word, "keyword.other.cue.story")  # type: ignore[operator]
            elif isinstance(each, MediaInput):
                yield make(each.span, each.kind, "keyword.other.media.story")  # type: ignore[operator]
                yield "media path", each.text.span, "string.unquoted.path.story"
            elif isinstance(each, Dialogue):
                yield make(each.span, each.kind, "keyword.other.dialogue.story")  # type: ignore[operator]
                yield "speaker", each.speaker_span, "variable.other.speaker.story"


def test_the_grammar_scopes_what_the_parser_finds(tmp_path: Path) -> None:
    lookalikes = tmp_path / "lookalikes.story"
    lookalikes.write_text("cast fox: a fox\n\n" + LOOKALIKES, "utf-8")
    files = [*STORYBOARDS, lookalikes]
    assert len(STORYBOARDS) >= 5
    tokens = tokenise(files)
    seen: dict[str, int] = defaultdict(int)
    problems = []
    for path in files:
        text = path.read_text("utf-8")
        scopes = scopes_by_offset(text, tokens[str(path)])
        source = Source(str(path), text)
        for what, span, scope in expectations(source):
            seen[what] += 1
            for offset in range(span.start, span.end):
                if scope not in scopes[offset]:
                    position = source.position(offset)
                    problems.append(f"{path.name}:{position.line}:{position.column}: {what} "
                                    f"`{text[span.start:span.end]}` lacks {scope} (has {sorted(scopes[offset])})")
                    break
        # Prose never takes a keyword's scope, even where its first word is one.
        for what, span, _ in expectations(source):
            if what == "prose":
                for offset in range(span.start, span.end):
                    wrong = [s for s in scopes[offset] if s.startswith(("keyword.", "comment."))]
                    if wrong:
                        problems.append(f"{path.name}: prose `{text[span.start:span.end]}` has {wrong}")
                        break
    assert not problems, "\n".join(problems[:20])
    assert {"comment", "keyword", "reference", "duration", "prose", "framing", "speaker", "declared name"} <= set(seen)
    assert seen["prose"] >= 20 and seen["reference"] >= 15


def test_the_extension_declares_what_it_ships() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text("utf-8"))
    contributes = manifest["contributes"]
    for entry in (*contributes["grammars"], *contributes["snippets"]):
        assert (EXTENSION / entry["path"]).is_file()
    assert (EXTENSION / contributes["languages"][0]["configuration"]).is_file()
    assert (EXTENSION / manifest["main"]).is_file()
    assert contributes["configuration"]["properties"]["storyc.path"]["default"] == "story"
    snippets = json.loads((EXTENSION / "snippets" / "story.json").read_text("utf-8"))
    assert {"clip", "shot", "cast"} <= set(snippets)
    grammar = json.loads((EXTENSION / "syntaxes" / "story.tmLanguage.json").read_text("utf-8"))
    assert grammar["scopeName"] == contributes["grammars"][0]["scopeName"]
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node")
    checked = subprocess.run([node, "--check", str(EXTENSION / manifest["main"])], capture_output=True, text=True,
                             check=False, timeout=30)
    assert checked.returncode == 0, checked.stderr
    # The client starts `story lsp` with the configured path: the command it builds is one this CLI accepts.
    source = (EXTENSION / manifest["main"]).read_text("utf-8")
    assert 'config.get("path") || "story"' in source and '["lsp", ...' in source
