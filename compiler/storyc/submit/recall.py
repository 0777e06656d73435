"""Tasks a lost journal forgot, found in the account's task list (§11) and each candidate's details.

A request the journal cannot vouch for (`Journal.searched`: no row, or a `new` row never searched)
may already have a task on the service: the journal was deleted, truncated or set aside, or the
folder is a fresh clone of one whose render was killed. Before such a request is created, the tasks
the account made for its model in the last 24 h (as long as the service remembers a task) are
compared with it by what the service echoes back (`matches`). A SUCCEEDED match is adopted; an
unknown PENDING or RUNNING task of the model may be ours and is waited for (its prompt shows only
once it has succeeded); FAILED and CANCELED tasks cost nothing and are never adopted.

Queries per run, for each (region, model) with requests to search for, however many they are:

    list     ceil(T / 100) pages, once (T = the account's tasks of that model in the last 24 h)
    detail   one per listed SUCCEEDED task the journal does not know, kept for the run; one per
             unknown PENDING/RUNNING task every `recheck` seconds until it ends (a tenth of the
             model's usual task time, 0.25 to 15 s), whichever of the run's requests asks

Every query waits its turn at the client's pacer (the account's 20 queries/s).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Union

if TYPE_CHECKING:
    from .client import Client

DAY = 24 * 3600
WINDOW = DAY - 120  # the listing's window, inside the service's 24 h limit whatever the rounding
AHEAD = 60.0  # the service's clock may run ahead of ours
FINAL = ("SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN")
FREE = ("FAILED", "CANCELED", "UNKNOWN")  # no video and nothing billed: never adopted, never waited for

WAIT = "wait"


class Recall:
    """The task list of one model in one region, listed once per run, with the details it needed."""

    def __init__(self, client: Client, model: str, wall: Callable[[], float]) -> None:
        self.client = client
        self.model = model
        self.wall = wall
        self.listing: Union[list[dict[str, Any]], None] = None
        self.details: dict[str, tuple[float, dict[str, Any]]] = {}  # task id -> (when read, document)
        self.recheck = 1.0  # seconds between two looks at an unknown task that is still running

    async def find(self, body: dict[str, Any], known: set[str]) -> Union[tuple[str, dict[str, Any]], str, None]:
        """(task id, details) of an unknown SUCCEEDED task that is this request, WAIT, or None (none can be).

        The caller holds the run's listing lock, so `known` is current and a task found is claimed
        before another search may look (`Runner._recall`)."""
        running = False
        for entry in await self._listed():
            task_id = str(entry.get("task_id") or "")
            if not task_id or task_id in known or entry.get("status") in FREE:
                continue
            document = await self._detail(task_id)
            status = (document.get("output") or {}).get("task_status")
            if status in ("PENDING", "RUNNING"):
                running = True
            elif status == "SUCCEEDED" and matches(body, self.model, entry, document):
                return task_id, document
        return WAIT if running else None

    async def _listed(self) -> list[dict[str, Any]]:
        if self.listing is None:
            end = self.wall() + AHEAD
            self.listing = await self.client.list_tasks(end - WINDOW, end, self.model)
        return self.listing

    async def _detail(self, task_id: str) -> dict[str, Any]:
        seen = self.details.get(task_id)
        if seen is not None:
            status = (seen[1].get("output") or {}).get("task_status")
            if status in FINAL or self.wall() - seen[0] < self.recheck:
                return seen[1]
        document = await self.client.query(task_id)
        self.details[task_id] = (self.wall(), document)
        return document


def matches(body: dict[str, Any], model: str, entry: dict[str, Any], document: dict[str, Any]) -> bool:
    """Whether a finished task is this request, by every field the service echoes back.

    The model (the listing), the prompt (`orig_prompt`), the duration and the picture (`usage`: `SR`
    and `ratio`, or `size` / `video_ratio`). A field the service does not echo cannot tell two
    requests apart (seed, soundtrack, negative prompt): such twins adopt one task each.
    """
    output = document.get("output") or {}
    usage = document.get("usage") or {}
    parameters = body.get("parameters") or {}
    if entry.get("model_name", model) != model or output.get("orig_prompt") != (body.get("input") or {}).get("prompt"):
        return False
    echoed = {
        "duration": usage.get("output_video_duration", usage.get("video_duration")),
        "resolution": f"{usage['SR']}P" if usage.get("SR") else None,
        "ratio": usage.get("ratio"),
        "size": usage.get("size", usage.get("video_ratio")),
    }
    for name, got in echoed.items():
        wanted = parameters.get(name)
        if wanted is None or got in (None, ""):
            continue
        if name == "duration" and _number(wanted) != _number(got):
            return False
        if name != "duration" and str(wanted).upper() != str(got).upper():
            return False
    return True


def _number(value: Any) -> Union[float, None]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
