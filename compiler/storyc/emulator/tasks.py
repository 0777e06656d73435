"""Tasks and their lifecycle: PENDING -> RUNNING -> SUCCEEDED | FAILED (or CANCELED while PENDING).

A task's status follows from the time since it was submitted (scaled by `speed`), so nothing polls
or ticks; the result video is rendered by a worker thread while the task is PENDING or RUNNING, and
the task succeeds once both its running time is over and its video exists. Its `end_time` is
the later of the two, so a task is never RUNNING after the end it announces.

Admission counts in-flight tasks incrementally (a heap of expected ends per account and model),
and tasks past their lifetime are forgotten, oldest first, so the cost of a submission does not
grow with the number of tasks ever submitted.

`TaskStore.tasks` (task id -> Task, oldest first) is the emulator's own record of what it billed:
tests read it through `app.state.emulator.tasks` (see `billable`).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Union

from . import errors
from .accounts import Dice
from .config import EmulatorConfig
from .validate import TaskSpec

ACTIVE = ("PENDING", "RUNNING")
TASK_FAULTS = ("fail_task", "data_inspection_task", "timeout_task", "stuck", "expire_url")
FINAL = ("SUCCEEDED", "FAILED", "CANCELED")


class Task:
    def __init__(self, spec: TaskSpec, key: str, submitted: float, wall: float, request_id: str,
                 account: str = "") -> None:
        self.id = str(uuid.uuid4())
        self.spec = spec
        self.key = key
        self.account = account or key
        self.submitted = submitted  # monotonic seconds
        self.wall = wall  # epoch seconds, for the time fields
        self.request_id = request_id
        self.canceled = False
        self.audio_path: Union[str, None] = None  # an uploaded (oss://) file, resolved at submission
        self.media_paths: dict[str, str] = {}  # media oss:// URL -> uploaded file, resolved at submission
        self.failure: Union[tuple[str, str], None] = spec.failure
        self.video: Union[Future[str], None] = None
        self.stuck = False  # injected: RUNNING until `stuck_seconds`, then InternalError.Timeout
        self.url_expires_after: Union[float, None] = None  # injected: the result URL dies early
        self.finished: Union[float, None] = None  # monotonic time the video was done
        self.counted = True  # still counted among the in-flight tasks of its account and model
        self.nominal_end = 0.0  # monotonic time its running time is over


class _InFlight:
    """In-flight tasks of one account and model, counted without looking at finished ones."""

    def __init__(self) -> None:
        self.heap: list[tuple[float, int, Task]] = []
        self.overdue: list[Task] = []  # past their nominal end, still rendering
        self.count = 0


class TaskStore:
    def __init__(self, config: EmulatorConfig, storage: str, clock: Callable[[], float],
                 wall: Callable[[], float], resolve_audio: Callable[[Task], Union[str, None]],
                 dice: Union[Dice, None] = None) -> None:
        self.config = config
        self.storage = storage
        self.clock = clock
        self.wall = wall
        self.resolve_audio = resolve_audio
        self.fetch_media: Callable[[str], Union[str, None]] = lambda url: None  # set by the app (fetch.py)
        self.dice = dice or Dice(config.faults.seed)
        self.tasks: dict[str, Task] = {}  # oldest first
        self.by_account: dict[str, dict[str, Task]] = {}
        self.in_flight: dict[tuple[str, str], _InFlight] = {}
        self.lock = threading.RLock()
        self.order = itertools.count()
        self.workers = ThreadPoolExecutor(max_workers=max(1, config.render_workers), thread_name_prefix="storyc-render")
        self.fetchers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="storyc-fetch")

    # -- the record tests read ---------------------------------------------------------------
    def billable(self, account: Union[str, None] = None) -> list[Task]:
        """Tasks that were admitted (each one a task the service would bill if it succeeds),
        oldest first; only `account`'s when given (an account name from `--account`, or a key)."""
        with self.lock:
            found = list(self.tasks.values())
        if account is None:
            return found
        return [task for task in found if account in (task.key, task.account, task.account.removeprefix("account:"))]

    # -- rate limits -------------------------------------------------------------------------
    def admit(self, key: str, spec: TaskSpec, account: str = "") -> bool:
        """Whether the account may start another task of this model (the concurrency limit)."""
        if not self.config.limits:
            return True
        limit = spec.profile.data["rate_limits"]["concurrent_tasks"]
        with self.lock:
            flight = self.in_flight.get((account or key, spec.model))
            return flight is None or self._prune(flight) < limit

    def _prune(self, flight: _InFlight) -> int:
        now = self.clock()
        while flight.heap and flight.heap[0][0] <= now:
            task = heapq.heappop(flight.heap)[2]
            if task.counted:
                flight.overdue.append(task)
        if flight.overdue:
            still = []
            for task in flight.overdue:
                if task.counted and self.status(task) in ACTIVE:
                    still.append(task)
                elif task.counted:
                    task.counted = False
                    flight.count -= 1
            flight.overdue = still
        return flight.count

    # -- lifecycle ---------------------------------------------------------------------------
    def roll_task_faults(self) -> str:
        """The injected task fault for one submission ('' for none). Every family rolls every
        time, on its own stream, so one rate never shifts another's."""
        faults = self.config.faults
        rolled = [(family, self.dice.roll(family, getattr(faults, family))) for family in TASK_FAULTS]
        return next((family for family, hit in rolled if hit), "")

    def submit(self, spec: TaskSpec, key: str, request_id: str, audio_path: Union[str, None] = None,
               account: str = "", fault: Union[str, None] = None, media_paths: Union[dict[str, str], None] = None) -> Task:
        """Admit a task; `fault` is what `roll_task_faults` gave for it (rolled here when None)."""
        task = Task(spec, key, self.clock(), self.wall(), request_id, account)
        task.audio_path = audio_path
        task.media_paths = media_paths or {}
        faults, config = self.config.faults, self.config
        hit = self.roll_task_faults() if fault is None else fault
        if task.failure is None and hit:
            if hit == "stuck":
                task.stuck = True
            elif hit == "expire_url":
                task.url_expires_after = faults.expire_url_seconds
            else:
                task.failure = {"fail_task": errors.TASK_ALGO, "data_inspection_task": errors.TASK_INSPECTION,
                                "timeout_task": errors.TASK_TIMEOUT}[hit]
        running = faults.stuck_seconds if task.stuck else config.running_seconds
        task.nominal_end = task.submitted + (config.pending_seconds + running) / config.speed
        with self.lock:
            self._forget_expired()
            self.tasks[task.id] = task
            self.by_account.setdefault(task.account, {})[task.id] = task
            flight = self.in_flight.setdefault((task.account, spec.model), _InFlight())
            heapq.heappush(flight.heap, (task.nominal_end, next(self.order), task))
            flight.count += 1
        if task.failure is None and not task.stuck:
            task.video = self._start(task)
        return task

    def _start(self, task: Task) -> Future[str]:
        video: Future[str] = Future()

        def render(audio: Union[str, None], check_upload: bool) -> None:
            if not video.set_running_or_notify_cancel():
                return
            try:
                result = self._render(task, self.resolve_audio(task) if check_upload else audio)
            except BaseException as error:  # noqa: BLE001 - the task ends FAILED with it
                task.finished = self.clock()
                video.set_exception(error)
            else:
                task.finished = self.clock()
                video.set_result(result)

        def fetched(done: Future[Union[str, None]]) -> None:
            error = None if done.cancelled() else done.exception()
            if done.cancelled() or error is not None:
                if video.set_running_or_notify_cancel():
                    task.finished = self.clock()
                    video.set_exception(error or TaskFailure(*errors.TASK_ALGO))
                return
            try:
                self.workers.submit(render, done.result(), False)
            except RuntimeError:  # shutting down
                video.cancel()

        try:
            if task.audio_path is None and task.spec.audio_url:  # http(s): fetched off the render workers
                self.fetchers.submit(self.resolve_audio, task).add_done_callback(fetched)
            else:
                self.workers.submit(render, None, task.audio_path is not None)
        except RuntimeError:  # shutting down
            video.cancel()
        return video

    def _forget_expired(self) -> None:
        """Drop tasks past their lifetime (oldest first: submission order is time order)."""
        limit = self.config.task_lifetime_seconds
        while self.tasks:
            task = next(iter(self.tasks.values()))
            if self.elapsed(task) <= limit:
                break
            del self.tasks[task.id]
            mine = self.by_account.get(task.account)
            if mine is not None:
                mine.pop(task.id, None)
                if not mine:
                    del self.by_account[task.account]
            if task.video is not None and task.video.done() and not task.video.cancelled() \
                    and task.video.exception() is None and task.video.result():
                with contextlib.suppress(OSError):
                    os.remove(task.video.result())

    def elapsed(self, task: Task) -> float:
        return (self.clock() - task.submitted) * self.config.speed

    def status(self, task: Task) -> str:
        elapsed = self.elapsed(task)
        config = self.config
        if elapsed > config.task_lifetime_seconds:
            return "UNKNOWN"
        if task.canceled:
            return "CANCELED"
        if elapsed < config.pending_seconds:
            return "PENDING"
        if task.stuck:
            if elapsed < config.pending_seconds + config.faults.stuck_seconds:
                return "RUNNING"
            task.failure = task.failure or errors.TASK_TIMEOUT
            return "FAILED"
        if elapsed < config.pending_seconds + config.running_seconds:
            return "RUNNING"
        if task.failure is not None:
            return "FAILED"
        if task.video is not None and not task.video.done():
            return "RUNNING"  # the video takes longer than the configured running time
        if task.video is not None and not task.video.cancelled() and task.video.exception() is not None:
            error = task.video.exception()
            task.failure = getattr(error, "failure", None) or ("InternalError", "Video generation failed.")
            return "FAILED"
        return "SUCCEEDED"

    def end_wall(self, task: Task) -> float:
        """The end time a finished task announces: its running time is over and its video exists."""
        end = task.nominal_end
        if task.finished is not None and not task.stuck:
            end = max(end, task.finished)
        return task.wall + (end - task.submitted)

    def scheduled_wall(self, task: Task) -> float:
        return task.wall + self.config.pending_seconds / self.config.speed

    def get(self, task_id: str, account: Union[str, None] = None) -> Union[Task, None]:
        """The task, if it exists and (when `account` is given) belongs to that account."""
        with self.lock:
            task = self.tasks.get(task_id)
        if task is None or (account is not None and task.account != account):
            return None
        return task

    def of_account(self, account: str) -> list[Task]:
        with self.lock:
            return list(self.by_account.get(account, {}).values())

    def cancel(self, task: Task) -> bool:
        with self.lock:
            if self.status(task) != "PENDING":
                return False
            task.canceled = True
            if task.counted:
                task.counted = False
                flight = self.in_flight.get((task.account, task.spec.model))
                if flight is not None:
                    flight.count -= 1
        if task.video is not None:
            task.video.cancel()  # no video is owed for a canceled task
        return True

    def _render(self, task: Task, audio: Union[str, None]) -> str:
        from .video import render_video

        spec = task.spec
        path = os.path.join(self.storage, "results", f"{task.id}.mp4")
        if not self.config.render_videos:
            return ""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if spec.media:  # pictures, clips and voices: the video shows them (media.py)
            from .media import render

            render(path, spec, task.media_paths, self.fetch_media, f"{spec.model} · task {task.id[:8]} · {spec.duration}s")
            return path
        render_video(
            path, spec.prompt, spec.width, spec.height, spec.duration,
            heading=f"{spec.model} · task {task.id[:8]} · {spec.duration}s",
            audio=audio, silent_track=(bool(spec.profile.audio["generated"]) or bool(spec.audio_url)) and audio is None,
        )
        return path

    def shutdown(self) -> None:
        self.fetchers.shutdown(wait=False, cancel_futures=True)
        self.workers.shutdown(wait=False, cancel_futures=True)


class TaskFailure(Exception):
    """Raised in a worker to end a task FAILED with a service error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.failure = (code, message)


def time_text(epoch: float) -> str:
    """`YYYY-MM-DD HH:mm:ss.SSS` in UTC+8, as the service writes task times."""
    shifted = epoch + 8 * 3600
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(shifted)) + f".{int(shifted * 1000) % 1000:03d}"


def usage(spec: TaskSpec) -> dict[str, Any]:
    """Usage fields per protocol (API reference §6.3-§6.4)."""
    tier_number = int(spec.resolution.rstrip("P")) if spec.resolution else 0
    if spec.profile.data["usage"]["billed_seconds"] == "video_duration":
        return {"video_duration": spec.duration, "video_ratio": spec.size, "video_count": 1}
    fields: dict[str, Any] = {
        "duration": float(spec.duration + spec.input_seconds), "input_video_duration": spec.input_seconds or 0,
        "output_video_duration": spec.duration, "video_count": 1, "SR": tier_number,
    }
    if spec.profile.protocol == "new":
        fields["ratio"] = spec.ratio
    else:
        fields["size"] = spec.size
    return fields
