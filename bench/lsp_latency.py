"""`story lsp` latency and memory: from a didChange to its publishDiagnostics, 1,000 and 5,000 shots.

Starts the server on stdio and talks to it as an editor would, opens the document (shots in scenes of
`--per-clip`), then sends EDITS single-character edits at random shots (each adds an `@` before a
word, making an undeclared `@name`, and the next edit takes it away, so the diagnostics really
change) and waits for each one's diagnostics. Then the same with edits in the last scene only.
Prints the median and 95th percentile latency, the server's CPU per edit, its resident memory, and
the ratio of an edit in the last scene at the largest size to one at the smallest. In process, last:
an edit in the last scene (recalled) and a new word typed in its middle at each edit (checked again).

    python bench/lsp_latency.py [--shots 1000 5000] [--edits 400] [--per-clip 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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


def feature(shots: int, per_clip: int) -> str:
    """`shots` shots in scenes of `per_clip` shots each (a feature film's shot list); 0: one scene of all."""
    if per_clip == 0:
        return storyboard(shots)
    head, _, body = storyboard(shots).partition("scene long\n")
    blocks = body.split("  shot ")[1:]
    out = [head]
    for first in range(0, len(blocks), per_clip):
        out.append(f"scene s{first // per_clip + 1}\n")
        out.extend("  shot " + block for block in blocks[first : first + per_clip])
        out.append("\n")
    return "".join(out)


async def run(shots: int, edits: int, per_clip: int, where: str, seed: int) -> dict[str, float]:
    text = feature(shots, per_clip)
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
    # The server then checks the clips one by one between messages (so that edits re-check only
    # their clip) and says in its log when it is done; the edits start then, as a person starts
    # typing a moment after opening.
    await server.until(lambda message: message.get("method") == "window/logMessage"
                       and "clips checked" in message["params"]["message"])
    figures["warm_s"] = time.perf_counter() - started
    # Edit points: the first letter of "paces" in a shot, at random (or in the last clip); each
    # point gets an `@` (an undeclared `@paces`: one more error) and then loses it.
    lines = text.split("\n")
    targets = [number for number, line in enumerate(lines) if "paces the" in line]
    if where == "last":
        last_clip = max(number for number, line in enumerate(lines) if line.startswith(("scene ", "clip ")))
        targets = [number for number in targets if number > last_clip]
    chosen = random.Random(seed)
    latencies = []
    cpu_before = cpu_seconds(pid)
    for version in range(2, edits + 2):
        inserting = version % 2 == 0
        if inserting:
            line = chosen.choice(targets)
            column = lines[line].index("paces")
        end = column if inserting else column + 1
        change = {"range": {"start": {"line": line, "character": column}, "end": {"line": line, "character": end}},
                  "text": "@" if inserting else ""}
        started = time.perf_counter()
        server.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": [change]})
        found = (await server.until(diagnostics_for(version)))["params"]["diagnostics"]
        latencies.append((time.perf_counter() - started) * 1000)
        expected = baseline + (1 if inserting else 0)
        assert len(found) == expected, (version, len(found), expected)
        if version == min(101, edits + 1):
            figures["rss_100_mib"] = rss_mib(pid)
    figures["rss_end_mib"] = rss_mib(pid)
    figures["cpu_per_edit_ms"] = (cpu_seconds(pid) - cpu_before) * 1000 / edits
    figures["median_ms"] = statistics.median(latencies)
    figures["p95_ms"] = statistics.quantiles(latencies, n=20)[-1]
    figures["edits"] = edits
    # A hover after each change, in the edited clip (read as header + clip) and on the header's first
    # line (read whole): what a feature request costs on the first request after a change.
    version = edits + 2
    for place, hover_line in (("clip", line), ("header", 0)):
        times = []
        for _ in range(20):
            version += 1
            change = {"range": {"start": {"line": line, "character": column}, "end": {"line": line, "character": column}},
                      "text": "x" if version % 2 else ""}
            if version % 2 == 0:
                change["range"]["end"]["character"] = column + 1
            started = time.perf_counter()
            server.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                   "contentChanges": [change]})
            asked = server.send("textDocument/hover", {"textDocument": {"uri": uri},
                                                      "position": {"line": hover_line, "character": 1}}, request=True)
            await server.until(lambda message, asked=asked: message.get("id") == asked)
            times.append((time.perf_counter() - started) * 1000)
        figures[f"hover_{place}_ms"] = statistics.median(times)
    figures["shots"] = shots
    asked = server.send("shutdown", None, request=True)
    await server.until(lambda message: message.get("id") == asked)
    server.send("exit", None)
    await process.wait()
    return figures


def in_process(shots: int, per_clip: int, edits: int) -> float:
    """The server's own work for one edit in the last scene, in this process (no pipe, no JSON):
    the change applied to the kept lines and the diagnostics put together. CPU microseconds."""
    from lsprotocol import types

    from storyc.lsp.documents import EditedLines
    from storyc.lsp.incremental import Incremental
    from storyc.models.profile import catalog

    text = feature(shots, per_clip)
    kept = EditedLines(text)
    engine = Incremental(os.path.join(tempfile.mkdtemp(), "long.story"), catalog(), "utf-16")
    engine.update(kept.lines, kept.take_dirty())
    line = max(number for number, text_line in enumerate(kept.lines) if "paces the" in text_line)
    column = kept.lines[line].index("paces")
    started = time.process_time()
    for number in range(edits):
        end = column if number % 2 == 0 else column + 1
        kept.apply(types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=line, character=column),
                              end=types.Position(line=line, character=end)), text="@" if number % 2 == 0 else ""),
            "utf-16")
        assert engine.update(kept.lines, kept.take_dirty()) is not None
    return (time.process_time() - started) * 1e6 / edits


def in_process_new_words(shots: int, per_clip: int, edits: int) -> float:
    """One edit's check in this process: a word never typed before put before "paces" in the middle
    shot of the last scene, so that no clip result is recalled (the change applied and the
    diagnostics put together, as `in_process`). Wall-clock milliseconds, median."""
    from lsprotocol import types

    from storyc.lsp.documents import EditedLines
    from storyc.lsp.incremental import Incremental
    from storyc.models.profile import catalog

    text = feature(shots, per_clip)
    kept = EditedLines(text)
    engine = Incremental(os.path.join(tempfile.mkdtemp(), "long.story"), catalog(), "utf-16")
    engine.update(kept.lines, kept.take_dirty())
    last_clip = max(number for number, line in enumerate(kept.lines) if line.startswith(("scene ", "clip ")))
    targets = [number for number, line in enumerate(kept.lines) if number > last_clip and "paces the" in line]
    line = targets[len(targets) // 2]
    column = kept.lines[line].index("paces")
    times = []
    typed = ""
    for number in range(edits):
        word = f"w{number} "
        started = time.perf_counter()
        kept.apply(types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=line, character=column),
                              end=types.Position(line=line, character=column + len(typed))), text=word), "utf-16")
        assert engine.update(kept.lines, kept.take_dirty()) is not None and engine.rechecked == 1
        times.append((time.perf_counter() - started) * 1000)
        typed = word
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--edits", type=int, default=400)
    parser.add_argument("--per-clip", type=int, default=4,
                        help="shots per scene (default 4); 0 puts every shot in one scene")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} at start; {options.edits} edits per row, "
          f"{options.per_clip or 'all'} shots per scene")
    last: dict[int, float] = {}
    for shots in options.shots:
        for where in ("random", "last"):
            figures = asyncio.run(run(shots, options.edits, options.per_clip, where, options.seed))
            if where == "last":
                last[shots] = figures["median_ms"]
            print(f"{shots:>6} shots, edits at {where:<6}: didChange -> publishDiagnostics median "
                  f"{figures['median_ms']:6.1f} ms, p95 {figures['p95_ms']:6.1f} ms; server CPU per edit "
                  f"{figures['cpu_per_edit_ms']:5.1f} ms; open {figures['open_ms']:.0f} ms "
                  f"({figures['diagnostics']:.0f} diagnostics), every clip checked {figures['warm_s']:.1f} s after opening; RSS {figures['rss_open_mib']:.0f} -> "
                  f"{figures['rss_end_mib']:.0f} MiB; change + hover median {figures['hover_clip_ms']:.1f} ms in "
                  f"the clip, {figures['hover_header_ms']:.1f} ms on the header")
    if len(last) >= 2:
        small, large = min(last), max(last)
        print(f"last clip: {large} shots / {small} shots = {last[large] / last[small]:.2f}x (median)")
    costs = {shots: in_process(shots, options.per_clip, options.edits) for shots in options.shots}
    print("in process, an edit in the last scene (apply + diagnostics): " + ", ".join(
        f"{shots} shots {cost:.0f} µs CPU" for shots, cost in costs.items()))
    words = {shots: in_process_new_words(shots, options.per_clip, min(options.edits, 100)) for shots in options.shots}
    print("in process, a new word in the middle of the last scene (checked again, median): " + ", ".join(
        f"{shots} shots {cost:.1f} ms" for shots, cost in words.items()))
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
