"""Emulator at scale: creates per second as tasks pile up, and ffmpeg CPU per result video.

    python bench/emulator_scale.py                 # this tree
    python bench/emulator_scale.py --rev 84eb1af   # an older revision, for a before/after

1. Creates per second over HTTP on loopback (one keep-alive client, one key) for tasks 1-1,000
   and 5,001-6,000: two emulators, the second given 5,000 tasks first, timed in alternating
   rounds of 100 so that both see the same machine load; the mean rate and the rate from the
   median time of one create, with the limits raised out of reach but still counted (profiles with
   1e9 submissions per second and 1e9 concurrent tasks), and with `limits=False` where the
   revision has it. The second rate should be within 20% of the first.
2. CPU seconds of ffmpeg (children's user + system time) per emulated 15 s clip of three shots,
   at 720P and 1080P: the card renderer of this tree against the earlier one (each PNG looped
   and decoded 30 times a second), which is kept below as `render_before`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
BODY = {"model": "wan2.7-t2v", "input": {"prompt": "Shot 1 [0-5s] a fox"},
        "parameters": {"resolution": "720P", "duration": 5}}


def creates(lifted: bool) -> dict[str, float]:
    """Creates per second for tasks 1-1,000 (emulator A) and 5,001-6,000 (emulator B, given
    5,000 tasks first), timed in alternating rounds of 100 so both see the same machine load."""
    import contextlib

    import httpx

    from storyc.emulator import EmulatorConfig, create_app
    from storyc.emulator.testing import serve
    from storyc.models.profile import Catalog, Profile, catalog

    profiles = catalog()
    raised = Catalog({model: Profile({**profile.data, "rate_limits": {"submit_per_second": 10**9,
                                                                      "concurrent_tasks": 10**9}})
                      for model, profile in profiles.profiles.items()})
    options: dict[str, Any] = {"render_videos": False, "pending_seconds": 3600, "running_seconds": 3600}
    if lifted:
        options["limits"] = False
    config = EmulatorConfig(**options)
    headers = {"Authorization": "Bearer sk-bench", "X-DashScope-Async": "enable"}

    def create(client: httpx.Client) -> float:
        started = time.perf_counter()
        answer = client.post(CREATE, headers=headers, json=BODY)
        spent = time.perf_counter() - started
        if answer.status_code != 200:
            raise SystemExit(f"{answer.status_code} {answer.text}")
        return spent

    apps = [create_app(config, profiles=raised), create_app(config, profiles=raised)]
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(httpx.Client(base_url=stack.enter_context(serve(config, app=app))))
                   for app in apps]
        for _ in range(5000):
            create(clients[1])
        spans: list[list[float]] = [[], []]
        for round_number in range(10):  # which goes first alternates: the first of a pair runs slower
            for index in (0, 1) if round_number % 2 == 0 else (1, 0):
                spans[index] += [create(clients[index]) for _ in range(100)]
        for app in apps:
            app.state.emulator.tasks.shutdown()
    rates: dict[str, float] = {}
    for name, span in zip(("1-1000", "5001-6000"), spans, strict=True):
        rates[f"{name} mean"] = len(span) / sum(span)
        rates[f"{name} median"] = 1 / statistics.median(span)
    return rates


def render_before(path: str, prompt: str, width: int, height: int, duration: int, heading: str,
                  silent_track: bool) -> None:
    """The card renderer as it was: each card a looped PNG input, decoded for every frame."""
    from storyc.emulator.video import FPS, cards, draw_card, ffmpeg

    shots = cards(prompt, float(duration))
    with tempfile.TemporaryDirectory(prefix="storyc-video-") as folder:
        command = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y"]
        for index, card in enumerate(shots):
            image = os.path.join(folder, f"card{index}.png")
            draw_card(card, len(shots), heading, width, height, image)
            command += ["-loop", "1", "-framerate", str(FPS), "-t", f"{card.end - card.start:.3f}", "-i", image]
        inputs = len(shots)
        filters = "".join(f"[{i}:v]" for i in range(inputs)) + f"concat=n={inputs}:v=1:a=0,fps={FPS}[v]"
        if silent_track:
            command += ["-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=44100"]
            filters += f";[{inputs}:a]anull[a]"
        command += ["-filter_complex", filters, "-map", "[v]"]
        if silent_track:
            command += ["-map", "[a]", "-c:a", "aac", "-b:a", "96k"]
        command += ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage", "-pix_fmt", "yuv420p",
                    "-r", str(FPS), "-t", str(duration), "-movflags", "+faststart", path]
        subprocess.run(command, check=True, capture_output=True, timeout=600)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ffmpeg_cpu(repeats: int) -> dict[str, float]:
    from storyc.emulator.video import render_video

    prompt = "Shot 1 [0-4.5s] wide: a fox in the rain. Shot 2 [4.5-10s] close-up: its eyes. Shot 3 [10-15s] it runs"
    found: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "clip.mp4")
        for tier, (width, height) in (("720P", (1280, 720)), ("1080P", (1920, 1080))):
            for name, render in (("before", render_before), ("after", render_video)):
                samples = []
                for _ in range(repeats):
                    cpu = children_cpu()
                    render(path, prompt, width, height, 15, heading="bench", silent_track=True)
                    samples.append(children_cpu() - cpu)
                found[f"{tier} {name}"] = statistics.median(samples)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rev", help="measure the creates of this git revision instead of the tree")
    parser.add_argument("--repeats", type=int, default=3, help="ffmpeg runs per case (median)")
    parser.add_argument("--skip-video", action="store_true")
    options = parser.parse_args()
    if options.rev:
        with tempfile.TemporaryDirectory() as folder:
            archive = subprocess.run(["git", "archive", options.rev, "compiler"], capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
            code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import runpy; "
                    "bench = runpy.run_path(sys.argv[2]); print(json.dumps(bench['creates'](False)))")
            result = subprocess.run([sys.executable, "-c", code, os.path.join(folder, "compiler"), __file__],
                                    capture_output=True, text=True, check=True)
            print(json.dumps({"rev": options.rev, "creates per second (raised limits)": json.loads(result.stdout)}))
        return
    report: dict[str, Any] = {
        "creates per second (raised limits, counted)": creates(False),
        "creates per second (limits=False)": creates(True),
    }
    if not options.skip_video:
        report["ffmpeg CPU seconds per 15 s clip"] = ffmpeg_cpu(options.repeats)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
