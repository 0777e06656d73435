"""`story render` throughput against the emulator, beside the official DashScope SDK and the ideal.

    python bench/render_throughput.py [--clips 50] [--seconds 3] [--concurrency 5] [--skip-sequential] [--cold]

A storyboard of N two-second wan2.7 clips (5 concurrent tasks and 5 submissions per second allowed,
as the account limits say) is rendered against `story emulator` (a separate process on 127.0.0.1,
each task taking `--seconds` of emulated processing) by:

- `story render --yes --json` (a subprocess): wall time, status polls per task, throttled submissions;
- (a) the SDK's `VideoSynthesis.call` one clip after another, downloading each video;
- (b) the same from a thread pool of `--concurrency` threads (a 429 is retried after a second);
- (c) the ideal makespan ceil(N / concurrency) x seconds.

Each method uses its own key, so the emulator's per-key limits do not mix. Prints a Markdown table.
With `--cold` the emulator does not announce its speed: `story render` polls as it does against the
real service before it has timed a task of the model (the SDK's schedule), e.g.
`--cold --clips 5 --seconds 18` for the issue-20 figures (polls per 18 s task; the SDK's: 9).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import httpx

from storyc.emulator.testing import relay

MODEL = "wan2.7-t2v"


def storyboard(clips: int) -> str:
    lines = ['storyboard "throughput"', f"model {MODEL}", "resolution 720P", "ratio 1:1", "language en",
             "prompt-extend off", "watermark off", ""]
    for number in range(1, clips + 1):
        lines += [f"clip c{number:03d} 2s", f"  Paper boat number {number} drifts along a rainy gutter.", ""]
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_emulator(seconds: float, keys: list[str], cold: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "storyc", "emulator", "--port", str(port), "--pending", str(seconds / 3),
               "--running", str(seconds * 2 / 3), *(["--no-speed-hint"] if cold else [])]
    for key in keys:
        command += ["--key", key]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/api/v1/tasks/none", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the emulator did not start")


class QueryCounter:
    """Counts status queries (GET /api/v1/tasks/…) in what clients send through the relay, so every
    method's polls are counted the same way, on the wire."""

    def __init__(self) -> None:
        self.queries = 0
        self.lock = threading.Lock()

    def __call__(self, data: bytes) -> None:
        with self.lock:
            self.queries += data.count(b"GET /api/v1/tasks/")

    def take(self) -> int:
        with self.lock:
            count, self.queries = self.queries, 0
        return count


def run_story(story: str, url: str, key: str) -> dict[str, Any]:
    environment = {**os.environ, "DASHSCOPE_API_KEY": key, "DASHSCOPE_BASE_URL": url}
    environment.pop("DASHSCOPE_REGION", None)
    start = time.perf_counter()
    done = subprocess.run(["story", "render", story, "--yes", "--json"], env=environment, capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"story render failed:\n{done.stderr}")
    summary = json.loads(done.stdout)
    return {"wall": wall, "polls": summary["requests"]["queries"], "throttled": summary["requests"]["throttled"],
            "creates": summary["requests"]["creates"]}


class SdkStats:
    def __init__(self) -> None:
        self.throttled = 0
        self.lock = threading.Lock()


def sdk_clip(prompt: str, key: str, folder: str, name: str, stats: SdkStats) -> None:
    from dashscope import VideoSynthesis

    while True:
        response = VideoSynthesis.call(model=MODEL, prompt=prompt, api_key=key, resolution="720P", ratio="1:1",
                                       duration=2, prompt_extend=False, watermark=False)
        if response.status_code == 429:
            with stats.lock:
                stats.throttled += 1
            time.sleep(1.0)
            continue
        if response.status_code != 200 or response.output.task_status != "SUCCEEDED":
            raise SystemExit(f"SDK call failed: {response.status_code} {response.code} {response.message}")
        break
    video = httpx.get(response.output.video_url, timeout=60)
    video.raise_for_status()
    with open(os.path.join(folder, f"{name}.mp4"), "wb") as out:
        out.write(video.content)


def run_sdk(prompts: list[str], url: str, key: str, threads: int, folder: str) -> dict[str, Any]:
    import dashscope

    dashscope.base_http_api_url = url + "/api/v1"
    stats = SdkStats()
    os.makedirs(folder, exist_ok=True)
    start = time.perf_counter()
    if threads == 1:
        for number, prompt in enumerate(prompts):
            sdk_clip(prompt, key, folder, f"c{number}", stats)
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [pool.submit(sdk_clip, prompt, key, folder, f"c{number}", stats)
                       for number, prompt in enumerate(prompts)]
            for future in futures:
                future.result()
    return {"wall": time.perf_counter() - start, "throttled": stats.throttled}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--clips", type=int, default=50)
    options.add_argument("--seconds", type=float, default=3.0, help="emulated processing per task")
    options.add_argument("--concurrency", type=int, default=5, help="the model's concurrent-task limit")
    options.add_argument("--skip-sequential", action="store_true", help="leave out (a), the slowest")
    options.add_argument("--cold", action="store_true",
                         help="the emulator does not announce its speed: storyc polls as before a first timing")
    args = options.parse_args()
    keys = {name: f"sk-bench-{name}" for name in ("story", "sequential", "pool")}
    work = tempfile.mkdtemp(prefix="storyc-throughput-")
    story = os.path.join(work, "throughput.story")
    with open(story, "w", encoding="utf-8") as handle:
        handle.write(storyboard(args.clips))
    prompts = [f"Paper boat number {n} drifts along a rainy gutter." for n in range(1, args.clips + 1)]
    emulator, direct = start_emulator(args.seconds, list(keys.values()), args.cold)
    link = QueryCounter()
    try:
        with relay(direct, watch=link) as url:
            ideal = math.ceil(args.clips / args.concurrency) * args.seconds
            ours = run_story(story, url, keys["story"])
            ours["counted"] = link.take()
            pool = run_sdk(prompts, url, keys["pool"], args.concurrency, os.path.join(work, "pool"))
            pool["counted"] = link.take()
            sequential = None
            if not args.skip_sequential:
                sequential = run_sdk(prompts, url, keys["sequential"], 1, os.path.join(work, "sequential"))
                sequential["counted"] = link.take()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    print(f"{args.clips} clips, {args.concurrency} concurrent tasks, {args.seconds:g} s of emulated processing each"
          f"{' (no speed announced)' if args.cold else ''}; "
          f"ideal makespan ceil({args.clips}/{args.concurrency}) x {args.seconds:g} s = {ideal:.1f} s\n")
    print("| method | wall time | vs ideal | status polls per task | throttled submissions |")
    print("|---|---|---|---|---|")
    print(f"| `story render` | {ours['wall']:.1f} s | {ours['wall'] / ideal:.3f}x | "
          f"{ours['counted'] / args.clips:.2f} | {ours['throttled']} |")
    if sequential is not None:
        print(f"| (a) SDK `VideoSynthesis.call`, sequential | {sequential['wall']:.1f} s | "
              f"{sequential['wall'] / ideal:.3f}x | {sequential['counted'] / args.clips:.2f} | "
              f"{sequential['throttled']} |")
    print(f"| (b) SDK, thread pool of {args.concurrency} | {pool['wall']:.1f} s | {pool['wall'] / ideal:.3f}x | "
          f"{pool['counted'] / args.clips:.2f} | {pool['throttled']} |")
    print(f"| (c) ideal | {ideal:.1f} s | 1.000x | 1 | 0 |")
    print(f"\nStatus queries are counted on the wire by a relay in front of the emulator; `story render`'s own "
          f"count: {ours['polls']}.")
    if sequential is not None:
        print(f"\nIn this run (a) took {sequential['wall'] / ours['wall']:.1f}x and (b) "
              f"{pool['wall'] / ours['wall']:.2f}x the wall time of `story render`.")
    else:
        print(f"\nIn this run (b) took {pool['wall'] / ours['wall']:.2f}x the wall time of `story render`.")


if __name__ == "__main__":
    main()
