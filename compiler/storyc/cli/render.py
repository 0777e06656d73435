"""`story render`: send compiled requests, wait, download the videos.

Without DASHSCOPE_API_KEY (or with --offline) everything runs against the built-in emulator.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any, Sequence, Union

from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Command,
    Failed,
    Options,
    UsageError,
    plural,
    quick_options,
)
from .submitting import command_line, connection, prepared_jobs, shown_path, takes_count

if TYPE_CHECKING:
    import argparse

    from ..submit.jobs import Job, Prepared

EXIT_INTERRUPTED = 130


def define_render(render: argparse.ArgumentParser) -> None:
    command_line(render)
    render.add_argument("-o", "--output", metavar="DIR",
                        help="where the videos go (default: renders/<storyboard> beside the storyboard; with "
                        "several storyboards, DIR/<storyboard>)")
    render.add_argument("--yes", action="store_true", help="spend without asking")
    render.add_argument("--budget", type=float, metavar="AMOUNT",
                        help="refuse to submit when what is not yet paid for costs more (or its price is unknown)")
    render.add_argument("--concurrency", type=int, metavar="N",
                        help="concurrent tasks per model (default: the model's limit; for raised quotas)")
    render.add_argument("--takes", type=takes_count, metavar="N",
                        help="render N takes of every clip (1-10; overrides the `takes` setting): each take is its "
                        "own request with its own seed, paid in full; takes already made are kept and not paid "
                        "again. `story select` picks the one cut, export and preview use")
    render.add_argument("--resubmit-expired", action="store_true",
                        help="submit again clips whose task or video URL expired (older than 24 h); priced in the plan")
    render.set_defaults(run=run_render)


def quick_render(arguments: Sequence[str]) -> Union[Options, None]:
    """`story render PATH... [--offline] [--yes] [--json] [--resubmit-expired]` without argparse
    (see `Command.quick`): a cached render is over in about the time argparse takes to start."""
    return quick_options(arguments, ("--offline", "--json", "--yes", "--resubmit-expired"), region=None,
                         base_url=None, profiles=None, output=None, budget=None, concurrency=None, takes=None,
                         run=run_render, command="render")


COMMANDS = {
    "render": Command(
        "send the requests, wait, download the videos",
        "Check, show the plan and its price (only what is not yet paid for), then submit each clip's request "
        "to Wan text-to-video at the account's rate limits, poll, and download one MP4 per clip. A journal in "
        ".story/ makes a run resumable and never pays twice; <storyboard>.lock records what was made and what "
        "it cost. Without DASHSCOPE_API_KEY, renders against the built-in emulator.",
        define_render,
        quick_render,
    ),
}


def run_render(options: argparse.Namespace) -> int:
    if options.concurrency is not None and options.concurrency < 1:
        raise UsageError("--concurrency is at least 1")
    offline, key, base = connection(options)
    try:
        prepared = prepared_jobs(options, offline)
    except Failed:
        return EXIT_PROBLEMS
    try:
        return _render_prepared(prepared, options, offline, key, base)
    finally:
        prepared.close()


def _render_prepared(prepared: Prepared, options: argparse.Namespace, offline: bool, key: str | None,
                     base: str | None) -> int:
    from ..models.pricing import money_sum, totals
    from ..submit.cached import settle_cached
    from ..submit.jobs import clip_state

    if not prepared.jobs:
        return EXIT_OK
    for journal in {id(job.journal): job.journal for job in prepared.jobs}.values():
        if not journal.exclusive():
            raise UsageError(f"another `story render` is running on `{os.path.dirname(journal.folder)}`; "
                             "wait for it to finish (it shares this folder's journal)")
    _remove_stale_locks(prepared)
    resubmit = options.resubmit_expired or offline  # offline costs nothing: expired emulator tasks are redone
    states = {job.hash: clip_state(job.row(), resubmit) for job in prepared.jobs}
    to_pay = [job for job in prepared.jobs if states[job.hash] == "to submit"]
    out = sys.stderr if options.json else sys.stdout
    out.write(_plan_text(prepared, states, offline))
    sums = totals(job.price for job in to_pay)
    cost = money_sum(sums)
    if options.budget is not None and to_pay:
        if any(item.amount is None for item in sums):
            print(f"story render: the price of some clips is unknown for their region; --budget "
                  f"{options.budget:g} refuses them", file=sys.stderr)
            return EXIT_PROBLEMS
        if len(sums) > 1:
            print(f"story render: --budget is one amount, but these clips are priced in {cost}", file=sys.stderr)
            return EXIT_PROBLEMS
        amount = sums[0].amount or 0.0
        if amount > options.budget:
            print(f"story render: over budget: {cost} > {options.budget:.2f}", file=sys.stderr)
            return EXIT_PROBLEMS
    if to_pay and not offline and not options.yes:
        if not sys.stdin.isatty():
            print(f"story render: this run would spend {cost}; pass --yes to spend without "
                  "asking", file=sys.stderr)
            return EXIT_PROBLEMS
        answer = input(f"submit {plural(len(to_pay), 'clip')} for {cost}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("story render: nothing submitted", file=sys.stderr)
            return EXIT_PROBLEMS
    if not to_pay and settle_cached(prepared.jobs):  # decided before importing the client, asyncio, rich
        _show_cached(prepared, options)
        _write_locks(prepared)
        return _report(prepared, options, {"error": None, "counters": dict.fromkeys(_COUNTERS, 0)}, offline)
    import asyncio

    display = _display(options)
    try:
        outcome = asyncio.run(_render(prepared, options, offline, key, base, display, resubmit))
    except KeyboardInterrupt:
        display.stop()
        _write_locks(prepared)
        running = sum(1 for job in prepared.jobs if (job.row() or _NoRow).state in ("submitted", "creating"))
        print(f"\nstory render: interrupted; the journal is kept. {plural(running, 'submitted task')} keep running "
              "on the service; run the same command again to collect them (nothing is paid twice)", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        display.stop()
    try:
        _write_locks(prepared)
    except OSError as error:  # a full disk or a read-only folder: the journal still has every video
        print("story render: cannot write the lock file beside the storyboard: "
              f"{(error.strerror or str(error)).lower()}; the journal keeps what was rendered, run again "
              "once it can be written", file=sys.stderr)
        _report(prepared, options, outcome, offline)
        return EXIT_PROBLEMS
    return _report(prepared, options, outcome, offline)


class _NoRow:
    state = "new"


_COUNTERS = ("creates", "queries", "lists", "throttled", "retries", "downloads", "uploads")


async def _render(prepared: Prepared, options: argparse.Namespace, offline: bool, key: str | None,
                  base: str | None, display: Any, resubmit: bool) -> dict[str, Any]:
    from ..submit.client import SubmitError
    from ..submit.journal import JournalError
    from ..submit.run import Fatal, LocalFault, Options, Runner
    from ..submit.session import open_session

    regions = {job.region for job in prepared.jobs}
    async with open_session(regions, key, base, offline) as session:
        runner = Runner(session.clients, session.scheduler,
                        Options(concurrency=options.concurrency, resubmit_expired=resubmit, expected=session.expected),
                        on_change=display.update)
        error = None
        try:
            await runner.run(prepared.jobs)
        except Fatal as fatal:
            error = str(fatal.error)
            if fatal.error.code.lower().startswith("invalid_api") or fatal.error.code == "InvalidApiKey":
                error += f"; keys are region-locked: is this a key for `{', '.join(sorted(regions))}`?"
        except (SubmitError, LocalFault, JournalError) as failure:
            error = str(failure)
        counters = [client.counters for client in session.clients.values()]
        return {"error": error, "counters": {
            name: sum(getattr(c, name) for c in counters)
            for name in _COUNTERS}}


def _plan_text(prepared: Prepared, states: dict[str, str], offline: bool) -> str:
    from ..base.columns import table
    from ..models.pricing import money, money_sum, totals

    lines = []
    for path, targets in prepared.storyboards:
        jobs = {id(target): job for job in prepared.jobs for target in job.targets}
        first = jobs[id(targets[0])] if targets else None
        region = first.region if first else "-"
        lines.append(f"{path}: region {region}{' (emulated)' if offline else ''}")
        rows = [("clip", "state", "seconds", "price")]
        for target in targets:
            job = jobs[id(target)]
            state = states[job.hash]
            price = "-" if state != "to submit" else money(job.price.amount, job.currency)
            rows.append((target.label, state, f"{job.seconds:g}s", price))
        lines += table(rows, indent="  ")  # aligned by display width, so CJK clip names line up
    seen = set()
    pay = []
    for job in prepared.jobs:
        if states[job.hash] == "to submit" and job.hash not in seen:
            seen.add(job.hash)
            pay.append(job)

    summary = f"to submit: {plural(len(pay), 'request')}"
    if pay:
        summary += f", {sum(job.seconds for job in pay):g}s, {money_sum(totals(job.price for job in pay))}"
        if offline:
            summary += " (emulated: nothing is paid)"
    cached = sum(1 for job in prepared.jobs if states[job.hash] == "cached")
    flying = sum(1 for job in prepared.jobs if states[job.hash] == "in flight")
    summary += f"; cached: {cached}; in flight: {flying}"
    expired = sum(1 for job in prepared.jobs if states[job.hash] == "expired")
    if expired:
        summary += f"; expired: {expired} (pass --resubmit-expired to pay for them again)"
    lines.append(summary)
    return "\n".join(lines) + "\n"


def _remove_stale_locks(prepared: Prepared) -> None:
    """Half-written lock files a killed run left (the run lock is ours, so no one is writing them)."""
    for folder in {os.path.dirname(os.path.abspath(path)) for path, _ in prepared.storyboards}:
        for name in os.listdir(folder):
            if name.startswith(".lock-"):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(folder, name))


def _write_locks(prepared: Prepared) -> None:
    from ..submit.jobs import storyboard_lock
    from ..submit.lock import LockError, lock_path, lock_text, write_lock

    for path, targets in prepared.storyboards:
        try:
            lock = storyboard_lock(path, targets, prepared.jobs)
        except LockError as error:  # changed under the run: keep it, the journal keeps what was made
            print(f"story render: {error}; the lock file is left as it is (the journal keeps this run's "
                  "videos: fix it and run again to record them)", file=sys.stderr)
            continue
        destination = lock_path(path)
        try:
            with open(destination, encoding="utf-8") as handle:
                if handle.read() == lock_text(lock):
                    continue
        except OSError:
            pass
        if lock.clips or os.path.exists(destination):
            write_lock(destination, lock)


def _report(prepared: Prepared, options: argparse.Namespace, outcome: dict[str, Any], offline: bool) -> int:
    import json

    from ..models.pricing import Price, money, money_sum, totals

    clips = []
    problems = 0
    billed = 0.0
    costs = []
    currency = prepared.jobs[0].currency if prepared.jobs else ""
    for path, targets in prepared.storyboards:
        for target in targets:
            job = next(job for job in prepared.jobs if any(t is target for t in job.targets))
            state = job.outcome or "not done"
            if state in ("failed", "expired", "not done", "canceled"):
                problems += 1
            clips.append({
                "storyboard": path, "clip": target.name, "take": target.take, "label": target.label,
                "outcome": state, "where": target.where,
                "video": shown_path(target.path) if state in ("cached", "rendered") else None,
                "task_id": job.task_id, "seconds_billed": job.billed, "cost": job.cost, "currency": job.currency,
                "detail": job.detail if state not in ("cached", "rendered") else "",
            })
    for job in prepared.jobs:
        if job.outcome == "rendered":
            billed += job.billed or 0.0
            costs.append(Price(job.cost, job.currency, job.region, "", job.billed or 0.0))
    sums = totals(costs)
    spent = sums[0].amount if len(sums) == 1 else (0.0 if not sums else None)
    currency = sums[0].currency if len(sums) == 1 else currency
    for clip in clips:  # problems go to standard error in every format
        if clip["outcome"] == "failed":
            print(f"{clip['where']}: clip `{clip['label']}` failed: {clip['detail']}", file=sys.stderr)
        elif clip["outcome"] == "expired":
            print(f"{clip['where']}: clip `{clip['label']}`: {clip['detail']}; run with --resubmit-expired to "
                  "submit it again (it is priced in the plan)", file=sys.stderr)
        elif clip["outcome"] not in ("cached", "rendered"):
            print(f"{clip['where']}: clip `{clip['label']}` is not done: {clip['detail'] or clip['outcome']}",
                  file=sys.stderr)
    if options.json:
        document = {"clips": clips, "seconds_billed": billed, "cost": spent, "currency": currency,
                    "emulated": offline, "error": outcome["error"], "requests": outcome["counters"]}
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        for clip in clips:
            if clip["outcome"] in ("cached", "rendered"):
                print(f"{clip['label']}: {clip['outcome']} -> {clip['video']}")
        note = " (emulated: nothing was paid)" if offline else ""
        print(f"billed: {billed:g}s, {money_sum(sums) if sums else money(0.0, currency)}{note}")
    if outcome["error"]:
        print(f"story render: {outcome['error']}; the journal is kept, run again to continue", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_PROBLEMS if problems else EXIT_OK


# -- progress ----------------------------------------------------------------------------------------
class _Plain:
    """One line per change of a clip's phase, for logs and pipes."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.last: dict[int, str] = {}

    def update(self, job: Job) -> None:
        if self.last.get(id(job)) == job.phase:
            return
        self.last[id(job)] = job.phase
        detail = f" ({job.detail})" if job.detail else ""
        self.stream.write(f"{job.name}: {job.phase}{detail}\n")
        self.stream.flush()

    def stop(self) -> None:
        pass


class _Live:
    """A live table, one row per clip: phase, task, elapsed against expected time."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self.jobs: dict[int, Job] = {}
        self.live = Live(console=Console(stderr=True), refresh_per_second=4, get_renderable=self._table)
        self.live.start()

    def _table(self) -> Any:
        import time

        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        for column in ("clip", "state", "time", "task"):
            table.add_column(column)
        for job in self.jobs.values():
            elapsed = ""
            if job.submitted_at and job.phase in ("submitted", "pending", "running"):
                elapsed = f"{time.time() - job.submitted_at:.0f}s"
                if job.expected:
                    elapsed += f" / ~{job.expected:.0f}s"
            table.add_row(job.name, job.phase, elapsed, job.task_id or "")
        return table

    def update(self, job: Job) -> None:
        self.jobs[id(job)] = job

    def stop(self) -> None:
        if self.live.is_started:
            self.live.stop()


def _show_cached(prepared: Prepared, options: argparse.Namespace) -> None:
    """What the progress display ends with when every clip is cached, without importing rich."""
    if not (sys.stderr.isatty() and not options.json):
        plain = _Plain(sys.stderr)
        for job in prepared.jobs:
            plain.update(job)
        return
    rows = [(job.name, job.phase, "", job.task_id or "") for job in prepared.jobs]
    widths = [max(len(cell) for cell in column) for column in zip(("clip", "state", "time", "task"), *rows, strict=True)]
    header = "  ".join(title.ljust(width) for title, width in zip(("clip", "state", "time", "task"), widths, strict=True))
    lines = [f"\x1b[1m{header}\x1b[0m"]  # bold, as rich's live table shows its header
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    sys.stderr.write("\n".join(lines) + "\n")


def _display(options: argparse.Namespace) -> Any:
    if sys.stderr.isatty() and not options.json:
        return _Live()
    return _Plain(sys.stderr)
