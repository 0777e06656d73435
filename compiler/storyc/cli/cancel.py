"""`story cancel`: cancel the storyboards' tasks still waiting in the service's queue."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .common import EXIT_OK, EXIT_PROBLEMS, Command, Failed, plural
from .submitting import command_line, connection, prepared_jobs

if TYPE_CHECKING:
    import argparse

    from ..submit.jobs import Prepared


def define_cancel(cancel: argparse.ArgumentParser) -> None:
    command_line(cancel)
    cancel.set_defaults(run=run_cancel)


COMMANDS = {
    "cancel": Command(
        "cancel the storyboard's tasks still waiting in the queue",
        "Cancel every PENDING task of the storyboards (the service cancels only tasks that have not started).",
        define_cancel,
    ),
}


def run_cancel(options: argparse.Namespace) -> int:
    import asyncio

    offline, key, base = connection(options)
    if offline:
        print("story cancel: offline runs use an emulator that lives only as long as `story render`; "
              "there is nothing to cancel", file=sys.stderr)
        return EXIT_OK
    try:
        prepared = prepared_jobs(options, offline, create=False, record=False)
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
