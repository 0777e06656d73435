"""Framings read as the trade's shot scales in every prompt language (issue 21).

Each `tests/cases/framings/ok-SB211-*.story` writes one term and states, in a `#= zh … | zh-Hans … | en …`
line, how a prompt in each language must write it; the file is compiled once per language.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from storyc.base.diagnostics import has_errors
from storyc.check import framing
from storyc.compile.diagnose import checked_plan
from storyc.compile.emit import compile_plan
from storyc.language.load import load
from storyc.models.profile import catalog

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((Path(__file__).parent / "cases" / "framings").glob("ok-*.story"))
EXPECTED = re.compile(r"^#= (.+)$", re.MULTILINE)
PUNCTUATION = {"zh": ":", "zh-Hans": ":", "en": ": "}


def expected_names(path: Path) -> dict[str, str]:
    match = EXPECTED.search(path.read_text(encoding="utf-8"))
    assert match, f"{path.name} states no `#=` line"
    pairs = (part.strip().split(" ", 1) for part in match.group(1).split("|"))
    return {language: name for language, name in pairs}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_each_term_compiles_to_its_shot_scale_in_every_language(path: Path, tmp_path: Path) -> None:
    names = expected_names(path)
    assert set(names) == set(PUNCTUATION)
    for language, name in names.items():
        copy = tmp_path / f"{language}.story"
        copy.write_text(f"language {language}\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
        found, planned = checked_plan(load(str(copy)), catalog())
        assert not found and planned is not None, found
        [clip] = compile_plan(planned).clips
        assert clip.prompt.startswith(name + PUNCTUATION[language]), (language, clip.prompt)


def test_the_table_has_the_seven_shot_scales_and_cites_its_sources() -> None:
    table = json.loads((ROOT / "compiler/storyc/base/data/framings.json").read_text(encoding="utf-8"))
    assert "Brown" in table["source"] and "視聽語言" in table["source"]
    written = {entry["zh"] for entry in table["framings"].values()}
    assert {"大遠景", "遠景", "全景", "中景", "近景", "特寫", "大特寫"} <= written
    assert framing.canonical("近景") == "medium-close-up" != framing.canonical("特寫")


def test_every_alias_means_one_framing() -> None:
    seen: dict[str, str] = {}
    for key, entry in framing.table().items():
        for word in [key, *entry.get("aliases", ())]:  # type: ignore[misc]
            assert seen.setdefault(str(word).lower(), key) == key, word
            assert framing.canonical(str(word)) == key


def test_the_docs_table_shows_every_framing_side_by_side() -> None:
    docs = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    for key, entry in framing.table().items():
        row = f"| `{key}` | {entry['en']} | {entry['zh']} | {entry['zh-Hans']} |"
        assert row in docs, row


def test_an_unknown_term_names_the_closest_one(tmp_path: Path) -> None:
    path = tmp_path / "a.story"
    path.write_text("clip a 5s\n  shot 5s 中特寫\n    雨夜\n", encoding="utf-8")
    found, _ = checked_plan(load(str(path)), catalog())
    [diagnostic] = found
    assert has_errors(found) and diagnostic.code == "SB211"
    assert diagnostic.help == "the closest framing is `特寫`"
