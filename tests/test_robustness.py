"""Hostile input: whatever bytes reach `story check`, it answers with diagnostics, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyc.cli import main

VALID = "model wan2.7-t2v\ncast fox: a fox\nclip a 3s\n  shot 3s wide\n    @fox runs\n"

HOSTILE = {
    "invalid-utf8": b"clip a 3s\n  \xc3\x28 broken\n",
    "nul-bytes": b"clip a 3s\n  a\x00b\x00\n\x00",
    "bom": b"\xef\xbb\xbf" + VALID.encode(),
    "crlf": VALID.replace("\n", "\r\n").encode(),
    "lone-cr": b"clip a 3s\r  one\r",
    "megabyte-line": b"clip a 3s\n  " + "長".encode() * 350_000 + b"\n",
    "megabyte-word": b"x" * 1_000_000,
    "tabs-and-spaces": b"clip a 3s\n\tshot 3s\n  \t  deeper\n        back\n",
    "deep-nesting": b"".join(b" " * depth + b"clip a\n" for depth in range(10_000)),
    "repeated-blocks": b"cast fox: fox\n" + b"clip a 3s\n  shot 3s\n    @fox\n" * 10_000,
    "only-newlines": b"\n" * 10_000,
    "empty": b"",
    "keyword-soup": b"clip clip clip\nshot shot\n:::\n[[[\n@@@\n",
    "surrogate-escape": b"\xed\xa0\x80\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_check_survives(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / f"{name}.story"
    path.write_bytes(HOSTILE[name])
    status = main(["check", "--format", "json", str(path)])
    output = capsys.readouterr()
    assert status in (0, 1), output.err
    assert "Traceback" not in output.out + output.err
    records = json.loads(output.out)
    for record in records:
        assert record["line"] >= 1 and record["column"] >= 1


def test_bom_does_not_shift_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bom.story"
    path.write_bytes(b"\xef\xbb\xbfclip a 3s\n  @ghost\n")
    main(["check", "--format", "json", str(path)])
    [record] = json.loads(capsys.readouterr().out)
    assert (record["code"], record["line"], record["column"]) == ("SB205", 2, 3)


def test_crlf_columns_match_lf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "cast fox: fox\nclip a 3s\n  @fox and @wolf\n"
    results = []
    for newline in ("\n", "\r\n"):
        path = tmp_path / "x.story"
        path.write_bytes(text.replace("\n", newline).encode())
        main(["check", "--format", "json", str(path)])
        results.append([(r["line"], r["column"], r["end_column"]) for r in json.loads(capsys.readouterr().out)])
    assert results[0] == results[1] == [(3, 12, 17)]
