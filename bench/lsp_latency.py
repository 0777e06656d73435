"""`story lsp` latency and memory: from a didChange to its publishDiagnostics on a 1,000-shot document.

Starts the server on stdio and talks to it as an editor would, opens the document, then sends
EDITS single-character edits (each flips a word in one shot's prose, alternately adding and removing
an undeclared `@name`, so the diagnostics really change) and waits for each one's diagnostics.
Prints the median and 90th percentile latency and the server's resident memory after opening, after
the first 100 edits and after all of them.

    python bench/lsp_latency.py [--shots 1000] [--edits 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(__file__))
from gen import storyboard  # noqa: E402


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (load on other cores does not inflate it)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Connection:
    """A bare JSON-RPC client on the server's stdio: it only frames and `json.loads` messages, so the
    figures are the server's time (plus the pipe), not a Python client's decoding of the results."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self.writer = process.stdin
        self.reader = process.stdout
        self.next_id = 0

    def send(self, method: str, params: Any, request: bool = False) -> int:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            message["id"] = self.next_id
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        self.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self.next_id

    async def receive(self) -> dict[str, Any]:
        length = 0
        while True:
            line = await self.reader.readline()
            if not line:
                raise EOFError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("ascii").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        message: dict[str, Any] = json.loads(await self.reader.readexactly(length))
        return message

    async def until(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        while True:
            message = await self.receive()
            if wanted(message):
                return message


async def run(shots: int, edits: int) -> dict[str, float]:
    text = storyboard(shots)
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "long.story")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    uri = "file://" + path
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "storyc", "lsp", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    server = Connection(process)
    pid = process.pid

    def diagnostics_for(version: int) -> Callable[[dict[str, Any]], bool]:
        return lambda message: (message.get("method") == "textDocument/publishDiagnostics"
                                and message["params"]["uri"] == uri and message["params"].get("version") == version)

    asked = server.send("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {}}, request=True)
    await server.until(lambda message: message.get("id") == asked)
    server.send("initialized", {})
    started = time.perf_counter()
    server.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "story", "version": 1, "text": text}})
    baseline = len((await server.until(diagnostics_for(1)))["params"]["diagnostics"])
    figures = {"open_ms": (time.perf_counter() - started) * 1000, "rss_open_mib": rss_mib(pid),
               "diagnostics": baseline}
    # The edit point: the first letter of "paces" in a shot halfway down.
    line = text[: text.index(f"turning page {shots // 2} ")].count("\n")
    column = text.splitlines()[line].index("paces")
    where = {"start": {"line": line, "character": column}, "end": {"line": line, "character": column + 1}}
    latencies = []
    cpu_before = cpu_seconds(pid)
    for version in range(2, edits + 2):
        replacement = "@" if version % 2 == 0 else "p"
        started = time.perf_counter()
        server.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [{"range": where, "text": replacement}]})
        found = (await server.until(diagnostics_for(version)))["params"]["diagnostics"]
        latencies.append((time.perf_counter() - started) * 1000)
        expected = baseline + (1 if replacement == "@" else 0)
        assert len(found) == expected, (version, len(found), expected)
        if version == min(101, edits + 1):
            figures["rss_100_mib"] = rss_mib(pid)
    figures["rss_end_mib"] = rss_mib(pid)
    figures["cpu_per_edit_ms"] = (cpu_seconds(pid) - cpu_before) * 1000 / edits
    figures["median_ms"] = statistics.median(latencies)
    figures["p90_ms"] = statistics.quantiles(latencies, n=10)[-1]
    figures["edits"] = edits
    figures["shots"] = shots
    asked = server.send("shutdown", None, request=True)
    await server.until(lambda message: message.get("id") == asked)
    server.send("exit", None)
    await process.wait()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=1000)
    options = parser.parse_args()
    figures = asyncio.run(run(options.shots, options.edits))
    print(f"{figures['shots']:.0f} shots, {figures['edits']:.0f} edits")
    print(f"open -> diagnostics: {figures['open_ms']:.0f} ms ({figures['diagnostics']:.0f} diagnostics)")
    print(f"didChange -> publishDiagnostics: median {figures['median_ms']:.1f} ms, p90 {figures['p90_ms']:.1f} ms")
    print(f"server CPU per edit: {figures['cpu_per_edit_ms']:.1f} ms (load average {os.getloadavg()[0]:.1f})")
    print(f"server RSS: {figures['rss_open_mib']:.1f} MiB after open, {figures['rss_100_mib']:.1f} MiB after {min(100, options.edits)} edits, "
          f"{figures['rss_end_mib']:.1f} MiB after {figures['edits']:.0f}")


if __name__ == "__main__":
    main()
