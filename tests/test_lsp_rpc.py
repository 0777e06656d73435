"""`story lsp` answers every request, driven by a raw JSON-RPC client on its stdio (no LSP library
between the test and the wire): out-of-range and malformed params get an error, never silence."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator, Union

import pytest
from lsprotocol import types

from storyc.lsp.server import create_server

TIMEOUT = 20.0  # seconds for any one answer: far above a loaded machine's, far below "waits forever"
TEXT = "cast fox: a red fox\n\nclip chase 3s\n  shot 3s wide\n    @fox runs\n"


class RawClient:
    """Frames JSON-RPC messages by hand and reads the server's on a thread."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "storyc", "lsp", "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env={**os.environ, "DASHSCOPE_REGION": ""})
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        stream = self.process.stdout
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if not line:
                return
            self.messages.put(json.loads(stream.read(length)))

    def write(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        body = json.dumps(message).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def request(self, method: Any, params: Any = None, *, with_params: bool = True) -> int:
        self.next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if with_params:
            message["params"] = params
        self.write(message)
        return self.next_id

    def notify(self, method: str, params: Any) -> None:
        self.write({"jsonrpc": "2.0", "method": method, "params": params})

    def answers(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        """The responses to `ids`, each waited for at most TIMEOUT; a missing one fails the test."""
        found: dict[int, dict[str, Any]] = {}
        while set(found) != ids:
            try:
                message = self.messages.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no answer within {TIMEOUT:.0f} s to ids {sorted(ids - set(found))}") from None
            if "method" not in message and message.get("id") in ids:
                found[message["id"]] = message
        return found

    def close(self) -> None:
        self.process.kill()
        self.process.wait(10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def answer(self, request_id: int) -> dict[str, Any]:
        return self.answers({request_id})[request_id]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[RawClient]:
    started = RawClient()
    try:
        initialized = started.answer(started.request("initialize", {
            "processId": os.getpid(), "rootUri": tmp_path.as_uri(), "capabilities": {}}))
        assert "result" in initialized, initialized
        started.notify("initialized", {})
        yield started
    finally:
        started.close()


def registered_requests() -> list[str]:
    """Every request method the server answers: its features and pygls's built-in ones."""
    server = create_server()
    methods = set(server.protocol.fm.features)
    for name in dir(type(server.protocol)):
        method = getattr(getattr(type(server.protocol), name), "method_name", None)
        if isinstance(method, str):
            methods.add(method)
    return sorted(method for method in methods
                  if method in types.METHOD_TO_TYPES and types.METHOD_TO_TYPES[method][1] is not None
                  and method not in (types.SHUTDOWN, types.INITIALIZE))  # both are tested on their own


def everything_params(uri: str, line: Any, character: Any) -> dict[str, Any]:
    """One params object with every field the requests read, positions set to (line, character)."""
    position = {"line": line, "character": character}
    return {
        "textDocument": {"uri": uri}, "position": position, "range": {"start": position, "end": position},
        "context": {"diagnostics": [], "includeDeclaration": True, "triggerKind": 1},
        "newName": "vixen", "options": {"tabSize": 2, "insertSpaces": True}, "command": "none", "arguments": [],
    }


OUT_OF_RANGE = [(-1, 0), (0, -1), (-2**31, -2**31), (2**31, 0), (0, 2**31), (2**32 + 5, 2**40), (2**63, 0),
                (1.5, 0), ("3", 0), (None, 0), (True, 0)]


def malformed(uri: str) -> list[tuple[bool, Any]]:
    """(with_params, params) pairs no request accepts: no params, wrong shapes, wrong types."""
    return [
        (False, None), (True, None), (True, []), (True, [1, 2]), (True, 7), (True, "text"), (True, {}),
        (True, {"textDocument": 5}), (True, {"textDocument": {"uri": 5}}),
        (True, {"textDocument": {"uri": uri}, "position": "here"}),
        (True, {"textDocument": {"uri": uri}, "position": {"line": 0}}),
        (True, {"textDocument": {"uri": uri}, "range": [0, 1]}),
    ]


def test_the_list_of_requests_covers_what_the_server_offers() -> None:
    methods = registered_requests()
    for wanted in (types.TEXT_DOCUMENT_HOVER, types.TEXT_DOCUMENT_COMPLETION, types.TEXT_DOCUMENT_RENAME,
                   types.TEXT_DOCUMENT_FORMATTING, types.WORKSPACE_EXECUTE_COMMAND):
        assert wanted in methods


def test_every_request_with_out_of_range_or_malformed_params_is_answered(client: RawClient, tmp_path: Path) -> None:
    uri = (tmp_path / "a.story").as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "story", "version": 1, "text": TEXT}})
    sent: dict[int, tuple[str, Any]] = {}
    for method in registered_requests():
        for line, character in OUT_OF_RANGE:
            params = everything_params(uri, line, character)
            sent[client.request(method, params)] = (method, params)
        for with_params, params in malformed(uri):
            sent[client.request(method, params, with_params=with_params)] = (method, params)
    answers = client.answers(set(sent))
    errors = 0
    for request_id, answer in answers.items():
        method, params = sent[request_id]
        assert ("result" in answer) != ("error" in answer), (method, params, answer)
        if "error" in answer:
            errors += 1
            error = answer["error"]
            assert isinstance(error["code"], int) and error["message"], answer
            assert "Traceback" not in error["message"]
    # A negative or too large position is a wrong param for every method that reads one.
    hover_line = next(i for i, (m, p) in sent.items()
                      if m == types.TEXT_DOCUMENT_HOVER and isinstance(p, dict) and p.get("position", {}).get("line") == -1)
    assert answers[hover_line]["error"]["code"] == -32602
    assert "Position.line should be in range [0:2147483647], but was -1" in answers[hover_line]["error"]["message"]
    assert answers[hover_line]["error"]["message"].startswith("invalid params for textDocument/hover")
    assert errors >= len(registered_requests()) * 4
    # Still serving: a well-formed request after all of them gets its result.
    good = client.answer(client.request(types.TEXT_DOCUMENT_HOVER, {
        "textDocument": {"uri": uri}, "position": {"line": 4, "character": 6}}))
    assert "fox" in json.dumps(good["result"])


def test_ids_of_every_json_rpc_kind_are_answered_in_kind(client: RawClient, tmp_path: Path) -> None:
    uri = (tmp_path / "a.story").as_uri()
    params = everything_params(uri, -1, 0)
    for request_id in ("text-id", 0, 2**40):
        client.write({"jsonrpc": "2.0", "id": request_id, "method": types.TEXT_DOCUMENT_HOVER, "params": params})
        assert client.messages.get(timeout=TIMEOUT)["id"] == request_id
    client.write({"jsonrpc": "2.0", "id": {"odd": 1}, "method": types.TEXT_DOCUMENT_HOVER, "params": params})
    answered = client.messages.get(timeout=TIMEOUT)
    assert answered["id"] is None and answered["error"]["code"] == -32602  # JSON-RPC: an unreadable id is null
    unknown = client.answer(client.request("storyc/noSuchMethod", {}))
    assert unknown["error"]["code"] == -32601


def test_malformed_initialize_and_requests_after_shutdown_are_answered(tmp_path: Path) -> None:
    started = RawClient()
    try:
        bad = started.answer(started.request("initialize", {"processId": "me", "capabilities": 3}))
        assert bad["error"]["code"] == -32602 and "initialize" in bad["error"]["message"]
        good = started.answer(started.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}}))
        assert "result" in good
        started.notify("initialized", {})
        assert started.answer(started.request("shutdown")) ["result"] is None
        late = started.answer(started.request(types.TEXT_DOCUMENT_HOVER, everything_params("file:///a.story", 0, 0)))
        assert late["error"]["code"] == -32600 and "shutting down" in late["error"]["message"]
        started.notify("exit", None)
        assert started.process.wait(TIMEOUT) == 0
    finally:
        started.close()


def rename(client: RawClient, uri: str, line: int, character: int, new_name: str) -> dict[str, Any]:
    return client.answer(client.request(types.TEXT_DOCUMENT_RENAME, {
        "textDocument": {"uri": uri}, "position": {"line": line, "character": character}, "newName": new_name}))


@pytest.mark.parametrize(("new_name", "why"), [
    ("two words", "`two words` is not a name"),
    ("2fox", "starting with a letter"),
    ("", "is not a name"),
    ("@fox", "is not a name"),
    ("owl", "`owl` is already declared"),
])
def test_a_rename_the_language_cannot_take_is_an_error_saying_why(
        client: RawClient, tmp_path: Path, new_name: str, why: str) -> None:
    uri = (tmp_path / "a.story").as_uri()
    text = TEXT.replace("\n\n", "\ncast owl: an owl\n\n")
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "story", "version": 1, "text": text}})
    answer = rename(client, uri, 5, 6, new_name)  # on `fox` in `@fox runs`
    assert answer.get("error"), answer
    assert answer["error"]["code"] == -32602 and why in answer["error"]["message"]


def test_a_rename_where_no_name_is_says_so(client: RawClient, tmp_path: Path) -> None:
    uri = (tmp_path / "a.story").as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "story", "version": 1, "text": TEXT}})
    answer = rename(client, uri, 2, 1, "vixen")  # on the keyword `clip`
    assert answer["error"]["code"] == -32602 and "no declared name at line 3, column 2" in answer["error"]["message"]
    renamed: Union[dict[str, Any], None] = rename(client, uri, 4, 6, "vixen").get("result")
    assert renamed is not None and len(renamed["changes"][uri]) == 2


def test_the_server_checks_the_clips_after_opening_and_says_so(client: RawClient, tmp_path: Path) -> None:
    uri = (tmp_path / "three.story").as_uri()
    text = TEXT + "".join(f"\nclip more{n} 3s\n  shot 3s wide\n    @fox rests {n}\n" for n in range(2))
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "story", "version": 1, "text": text}})
    said = []
    while not said:
        message = client.messages.get(timeout=TIMEOUT)
        if message.get("method") == "window/logMessage":
            said.append(message["params"]["message"])
    assert said == ["storyc: three.story: 3 clips checked in " + said[0].split(" in ")[1]]
    assert said[0].endswith("s; an edit now re-checks only its clip")
    line = text.split("\n").index("    @fox rests 1")
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": line, "character": 5}, "end": {"line": line, "character": 5}}, "text": "x"}]})
    while True:
        message = client.messages.get(timeout=TIMEOUT)
        if message.get("method") == "textDocument/publishDiagnostics" and message["params"].get("version") == 2:
            break
    assert [(d["code"], d["range"]["start"]["line"]) for d in message["params"]["diagnostics"]] == [("SB205", line)]
