"""`story render`, `story status`, `story cancel`: send compiled requests, watch them, stop them.

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
    profiles_option,
    quick_options,
)

if TYPE_CHECKING:
    import argparse

    from ..compile.emit import Compiled
    from ..compile.plan import Plan
    from ..submit.jobs import Job, Prepared

EXIT_INTERRUPTED = 130


def _common(parser: argparse.ArgumentParser, network: bool = True) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="storyboard files or folders")
    parser.add_argument("--region", metavar="REGION",
                        help="the service region when the storyboard sets none (else $DASHSCOPE_REGION, else singapore)")
    parser.add_argument("--offline", action="store_true",
                        help="use the built-in emulator (the default when DASHSCOPE_API_KEY is not set)")
    if network:
        parser.add_argument("--base-url", metavar="URL",
                            help="the service root, e.g. http://127.0.0.1:8000 (also $DASHSCOPE_BASE_URL)")
    parser.add_argument("--json", action="store_true", help="print a machine-readable summary")
    profiles_option(parser)


def define_render(render: argparse.ArgumentParser) -> None:
    _common(render)
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


def define_status(status: argparse.ArgumentParser) -> None:
    _common(status, network=False)
    status.set_defaults(run=run_status)


def define_cancel(cancel: argparse.ArgumentParser) -> None:
    _common(cancel)
    cancel.set_defaults(run=run_cancel)


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
    "status": Command(
        "show what the journal knows of each clip",
        "For each clip: cached, in flight (with its task id and status), failed, expired or to submit.",
        define_status,
    ),
    "cancel": Command(
        "cancel the storyboard's tasks still waiting in the queue",
        "Cancel every PENDING task of the storyboards (the service cancels only tasks that have not started).",
        define_cancel,
    ),
}


# -- shared steps ----------------------------------------------------------------------------------
def compile_storyboards(options: argparse.Namespace) -> list[tuple[str, Plan, Compiled, str]]:
    """Check and compile each storyboard (as `story compile` does), with the region each resolves to.

    Each result is (path, plan, compiled, region): the region the plan priced, which clips may override.
    """
    from ..models.regions import RegionError, resolve_region
    from .compile import compile_storyboards as check_and_compile

    region_option = getattr(options, "region", None)
    try:
        return [(path, planned, compiled, resolve_region(compiled.region, region_option, os.environ))
                for path, planned, compiled in check_and_compile(options)]
    except RegionError as error:
        raise UsageError(str(error)) from None


def _connection(options: argparse.Namespace) -> tuple[bool, str | None, str | None]:
    """(offline, key, base URL). No key means offline, with a one-line notice."""
    key = os.environ.get("DASHSCOPE_API_KEY", "").strip() or None
    offline = bool(options.offline) or key is None
    if key is None and not options.offline:
        print(f"story {options.command}: DASHSCOPE_API_KEY is not set: using the built-in emulator (offline); "
              "nothing is paid", file=sys.stderr)
    base = getattr(options, "base_url", None) or os.environ.get("DASHSCOPE_BASE_URL") or None
    if base:
        from ..models.regions import RegionError, normalise_base_url

        try:
            normalise_base_url(base)
        except RegionError as error:
            raise UsageError(str(error)) from None
    return offline, (None if offline else key), base


def _prepare(options: argparse.Namespace, offline: bool, create: bool = True, record: bool = True) -> Prepared:
    from ..submit.jobs import OutputError, prepare
    from ..submit.journal import JournalError
    from ..submit.lock import LockError
    from ..submit.upload import SoundtrackMissing

    compiled = compile_storyboards(options)
    try:
        prepared = prepare(compiled, getattr(options, "output", None), create_journal=create, offline=offline,
                           record=record, takes=getattr(options, "takes", None))
    except (SoundtrackMissing, JournalError, OutputError, LockError) as error:
        raise UsageError(str(error)) from None
    for journal in prepared.journals:
        if journal.notice:
            print(f"story {options.command}: {journal.notice}", file=sys.stderr)
    return prepared


def _shown(path: str) -> str:
    relative = os.path.relpath(path)
    return path if relative.startswith(".." + os.sep + "..") else relative


# -- story render ------------------------------------------------------------------------------------
def run_render(options: argparse.Namespace) -> int:
    if options.concurrency is not None and options.concurrency < 1:
        raise UsageError("--concurrency is at least 1")
    offline, key, base = _connection(options)
    try:
        prepared = _prepare(options, offline)
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
                "video": _shown(target.path) if state in ("cached", "rendered") else None,
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


# -- story status ------------------------------------------------------------------------------------
def run_status(options: argparse.Namespace) -> int:


    offline = bool(options.offline) or not os.environ.get("DASHSCOPE_API_KEY", "").strip()
    try:
        prepared = _prepare(options, offline, create=False, record=False)
    except Failed:
        return EXIT_PROBLEMS
    try:
        return _status(prepared, options, offline)
    finally:
        prepared.close()


def _status(prepared: Prepared, options: argparse.Namespace, offline: bool) -> int:
    import json

    from ..compile.takes import take_label
    from ..submit.jobs import clip_state
    from ..submit.lock import committed_video, lock_path, read_lock

    rows: list[dict[str, Any]] = []
    several_takes: set[tuple[str, str]] = set()  # (storyboard, clip) with more than one take
    for path, targets in prepared.storyboards:
        lock = read_lock(lock_path(path))  # validated by prepare already
        selects = {name: entry.take for name, entry in lock.clips.items()} if lock else {}
        several_takes |= {(path, target.name) for target in targets if target.take > 1}
        for target in targets:
            job = next(job for job in prepared.jobs if any(t is target for t in job.targets))
            row = job.row()
            state = clip_state(row)
            if row is not None and row.state == "failed":
                state = "failed"
            video = row.video if row and row.video and state == "cached" else None
            committed = committed_video(lock, lock_path(path), target.name, job.hash, offline, target.take) \
                if lock is not None and state == "to submit" else None
            if committed is not None:  # a teammate's render, committed with its lock entry: nothing to pay
                state, video = "cached", committed
            rows.append({"storyboard": path, "clip": target.name, "take": target.take,
                         "selected": selects.get(target.name, 1) == target.take, "state": state,
                         "task_id": row.task_id if row and row.task_id else (
                             lock.every_take()[target.name][target.take].task_id if committed and lock else None),
                         "status": row.status if row else None,
                         "video": _shown(video) if video else None,
                         "detail": f"{row.code}: {row.message}" if row and row.code else
                         ("from the lock file" if committed else "")})
    if options.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    for shown in rows:
        extra = " ".join(str(part) for part in (shown["task_id"], shown["status"], shown["video"], shown["detail"])
                         if part)
        label = take_label(shown["clip"], shown["take"])
        mark = " [selected]" if shown["selected"] and (shown["storyboard"], shown["clip"]) in several_takes else ""
        print(f"{shown['storyboard']}: {label}: {shown['state']}" + (f" ({extra})" if extra else "") + mark)
    if offline:
        print("(the journal of offline runs, against the built-in emulator)")
    return EXIT_OK


def takes_count(text: str) -> int:
    """`--takes N`: a whole number in the range the `takes` setting allows."""
    import argparse

    from ..compile.takes import takes_range

    low, high = takes_range()
    if not text.isdigit() or not low <= int(text) <= high:
        raise argparse.ArgumentTypeError(f"`{text}` is not a number of takes from {low} to {high}")
    return int(text)


# -- story cancel ------------------------------------------------------------------------------------
def run_cancel(options: argparse.Namespace) -> int:
    import asyncio

    offline, key, base = _connection(options)
    if offline:
        print("story cancel: offline runs use an emulator that lives only as long as `story render`; "
              "there is nothing to cancel", file=sys.stderr)
        return EXIT_OK
    try:
        prepared = _prepare(options, offline, create=False, record=False)
    except Failed:
        return EXIT_PROBLEMS
    try:
        return asyncio.run(_cancel(prepared, key, base))
    finally:
        prepared.close()


async def _cancel(prepared: Prepared, key: str | None, base: str | None) -> int:
    from ..submit.client import ApiError, SubmitError
    from ..submit.session import open_session

    waiting = [job for job in prepared.jobs if (row := job.row()) is not None and row.state == "submitted"]
    if not waiting:
        print("story cancel: no task of these storyboards is in flight")
        return EXIT_OK
    canceled = 0
    async with open_session({job.region for job in waiting}, key, base, False) as session:
        for job in waiting:
            row = job.row()
            assert row is not None and row.task_id is not None
            client = session.clients[job.region]
            try:
                await client.cancel(row.task_id)
            except ApiError as error:
                if error.code == "UnsupportedOperation":
                    print(f"{job.name}: task {row.task_id} has started; it cannot be canceled")
                    continue
                print(f"story cancel: {job.name}: {error}", file=sys.stderr)
                return EXIT_PROBLEMS
            except SubmitError as error:
                print(f"story cancel: {job.name}: {error}", file=sys.stderr)
                return EXIT_PROBLEMS
            job.journal.canceled(job.hash, row.task_id)
            canceled += 1
            print(f"{job.name}: canceled task {row.task_id}")
    print(f"canceled {plural(canceled, 'task')}")
    return EXIT_OK
