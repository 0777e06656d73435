"""`story status`: what the journal (and the lock file) knows of each clip."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from .common import EXIT_OK, EXIT_PROBLEMS, Command, Failed
from .submitting import command_line, prepared_jobs, shown_path

if TYPE_CHECKING:
    import argparse

    from ..submit.jobs import Prepared


def define_status(status: argparse.ArgumentParser) -> None:
    command_line(status, network=False)
    status.set_defaults(run=run_status)


COMMANDS = {
    "status": Command(
        "show what the journal knows of each clip",
        "For each clip: cached, in flight (with its task id and status), failed, expired or to submit.",
        define_status,
    ),
}


def run_status(options: argparse.Namespace) -> int:


    offline = bool(options.offline) or not os.environ.get("DASHSCOPE_API_KEY", "").strip()
    try:
        prepared = prepared_jobs(options, offline, create=False, record=False)
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
                         "video": shown_path(video) if video else None,
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
