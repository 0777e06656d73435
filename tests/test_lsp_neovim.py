"""Neovim's built-in LSP client (Debian's `neovim`, headless) drives `story lsp`: diagnostics, hover,
completion, formatting and rename, each compared with what the CLI says of the same text.

The Lua below runs inside `nvim --headless --clean`, talks to the server only through `vim.lsp`, and
writes what the editor ended up with to a JSON file. It uses the API of Neovim 0.7 (Debian 12's),
which later versions keep.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storyc.cli import main

NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim is not installed (Debian: apt-get install neovim)")

TEXT = """\
cast fox: a red fox
cast owl: an owl

clip   chase 6s
  shot 3s wide
    草原 @foxx runs
  shot 3s wid
    @fox stops
"""

DRIVER = r"""
local out = {}
local function finish()
  local file = io.open(vim.env.STORY_OUT, 'w')
  file:write(vim.fn.json_encode(out))
  file:close()
  vim.cmd('qa!')
end
local ok, failure = pcall(function()
  local timeout = 30000
  vim.cmd('edit ' .. vim.fn.fnameescape(vim.env.STORY_FILE))
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({name = 'storyc', cmd = vim.fn.json_decode(vim.env.STORY_CMD),
                                   root_dir = vim.fn.fnamemodify(vim.env.STORY_FILE, ':h'),
                                   flags = {debounce_text_changes = 0}})  -- each change sent as made
  vim.lsp.buf_attach_client(buf, id)
  out.attached = vim.wait(timeout, function() return #vim.diagnostic.get(buf) > 0 end, 20)
  out.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(out.diagnostics, {lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
                                   code = d.code, message = d.message, severity = d.severity})
  end
  local client = vim.lsp.get_client_by_id(id)
  out.server_name = client.name

  -- hover on `fox` in `@fox stops` (0-based line 7)
  vim.api.nvim_win_set_cursor(0, {8, 6})
  local hover = vim.lsp.buf_request_sync(buf, 'textDocument/hover', vim.lsp.util.make_position_params(), timeout)
  out.hover = vim.lsp.util.convert_input_to_markdown_lines(hover[id].result.contents)

  -- completion after a typed `@` on a new line in the first shot
  vim.api.nvim_buf_set_lines(buf, 6, 6, true, {'    @'})
  -- (in insert mode the cursor stands after the `@`; a headless normal-mode cursor cannot, so the position is given)
  local params = {textDocument = vim.lsp.util.make_text_document_params(), position = {line = 6, character = 5}}
  params.context = {triggerKind = 2, triggerCharacter = '@'}
  local completion = vim.lsp.buf_request_sync(buf, 'textDocument/completion', params, timeout)
  out.completion = {}
  for _, item in ipairs(vim.lsp.util.text_document_completion_list_to_complete_items(completion[id].result, '')) do
    table.insert(out.completion, item.word)
  end
  vim.api.nvim_buf_set_lines(buf, 6, 7, true, {})
  out.after_completion = vim.api.nvim_buf_get_lines(buf, 0, -1, true)

  -- formatting, as `:lua vim.lsp.buf.formatting_sync()` does it
  vim.lsp.buf.formatting_sync(nil, timeout)
  out.formatted = vim.api.nvim_buf_get_lines(buf, 0, -1, true)

  -- rename `fox` to `vixen` as `:lua vim.lsp.buf.rename('vixen')` does (prepareRename, rename, apply)
  local fox = nil
  for number, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, true)) do
    if line:find('@fox stops', 1, true) then fox = number end
  end
  vim.api.nvim_win_set_cursor(0, {fox, 6})
  local messages = {}
  vim.notify = function(message) table.insert(messages, message) end
  vim.lsp.buf.rename('vixen')
  out.renamed = vim.wait(timeout, function()
    return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, true), '\n'):find('@vixen stops', 1, true) ~= nil
  end, 20)
  out.after_rename = vim.api.nvim_buf_get_lines(buf, 0, -1, true)

  -- a name the language cannot take: the client gets an error, shown to the user
  local refused = vim.lsp.buf_request_sync(buf, 'textDocument/rename',
    vim.tbl_extend('force', vim.lsp.util.make_position_params(), {newName = 'two words'}), timeout)
  local answer = refused[id].error or refused[id].err  -- `error` in 0.7, `err` from 0.8 on
  out.refused = answer and answer.message or vim.NIL
  vim.lsp.buf.rename('two words')
  out.shown = vim.wait(timeout, function() return #messages > 0 end, 20) and messages or {}

  vim.lsp.stop_client(id)
  out.stopped = vim.wait(timeout, function() return vim.lsp.client_is_stopped(id) end, 20)
end)
out.ok = ok
out.failure = failure and tostring(failure) or vim.NIL
finish()
"""


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def editor(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("nvim")
    (folder / "story.toml").write_text("")
    story = folder / "main.story"
    story.write_text(TEXT, "utf-8")
    driver = folder / "driver.lua"
    driver.write_text(DRIVER, "utf-8")
    out = folder / "out.json"
    server = [sys.executable, "-m", "storyc", "lsp", "--stdio"]
    assert NVIM is not None
    environment = {**os.environ, "STORY_FILE": str(story), "STORY_CMD": json.dumps(server), "STORY_OUT": str(out),
                   "DASHSCOPE_REGION": "", "XDG_STATE_HOME": str(folder / "state"), "XDG_DATA_HOME": str(folder / "data")}
    finished = subprocess.run([NVIM, "--headless", "--clean", "-n", "-c", f"luafile {driver}"], env=environment,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=180, cwd=folder)
    assert out.exists(), finished.stderr.decode("utf-8", "replace")
    result: dict[str, Any] = json.loads(out.read_text("utf-8"))
    assert result["ok"], result["failure"]
    assert result["attached"] and result["stopped"] and result["server_name"] == "storyc"
    result["path"] = story
    return result


def test_neovim_shows_the_diagnostics_story_check_reports(editor: dict[str, Any]) -> None:
    _, out = cli("check", "--format", "json", str(editor["path"]))
    lines = TEXT.split("\n")

    def byte_column(line: int, column: int) -> int:  # Neovim counts bytes, `story check` characters
        return len(lines[line - 1][: column - 1].encode("utf-8"))

    expected = sorted((r["code"], r["message"], r["line"] - 1, byte_column(r["line"], r["column"]), r["end_line"] - 1,
                       byte_column(r["end_line"], r["end_column"])) for r in json.loads(out))
    shown = sorted((d["code"], d["message"].split("\nhelp:")[0], d["lnum"], d["col"], d["end_lnum"], d["end_col"])
                   for d in editor["diagnostics"])
    assert shown == expected and len(expected) == 3  # SB206 owl unused, SB205 @foxx, SB211 wid


def test_neovim_hover_shows_the_declaration(editor: dict[str, Any]) -> None:
    assert any("a red fox" in line for line in editor["hover"]), editor["hover"]


def test_neovim_completes_declared_names_after_an_at(editor: dict[str, Any]) -> None:
    assert {"fox", "owl"} <= {word.lstrip("@") for word in editor["completion"]}, editor["completion"]
    assert editor["after_completion"] == TEXT.rstrip("\n").split("\n")


def test_neovim_formatting_gives_what_story_fmt_writes(editor: dict[str, Any], tmp_path: Path) -> None:
    copy = tmp_path / "main.story"
    copy.write_text(TEXT, "utf-8")
    assert cli("fmt", str(copy))[0] == 0
    assert editor["formatted"] == copy.read_text("utf-8").rstrip("\n").split("\n")
    assert editor["formatted"] != TEXT.rstrip("\n").split("\n")  # `clip   chase` did change


def test_neovim_rename_renames_every_occurrence_and_refuses_a_bad_name(editor: dict[str, Any]) -> None:
    assert editor["renamed"]
    after = "\n".join(editor["after_rename"])
    assert "cast vixen: a red fox" in after and "@vixen stops" in after
    assert "@foxx" in after and "@fox " not in after  # `@foxx` is another name
    assert "`two words` is not a name" in editor["refused"]
    assert any("two words" in message for message in editor["shown"]), editor["shown"]
