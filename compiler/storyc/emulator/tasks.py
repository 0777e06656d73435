"""Tasks and their lifecycle: PENDING -> RUNNING -> SUCCEEDED | FAILED (or CANCELED while PENDING).

A task's status follows from the time since it was submitted (scaled by `speed`), so nothing polls
or ticks; the result video is rendered by a worker thread while the task is PENDING or RUNNING, and
the task succeeds once both its running time is over and its video exists.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Union

from .config import EmulatorConfig
from .validate import TaskSpec

ACTIVE = ("PENDING", "RUNNING")


class Task:
    def __init__(self, spec: TaskSpec, key: str, submitted: float, wall: float, request_id: str) -> None:
        self.id = str(uuid.uuid4())
        self.spec = spec
        self.key = key
        self.submitted = submitted  # monotonic seconds
        self.wall = wall  # epoch seconds, for the time fields
        self.request_id = request_id
        self.canceled = False
        self.audio_path: Union[str, None] = None  # an uploaded (oss://) file, resolved at submission
        self.failure: Union[tuple[str, str], None] = spec.failure
        self.video: Union[Future[str], None] = None


class TaskStore:
    def __init__(self, config: EmulatorConfig, storage: str, clock: Callable[[], float],
                 wall: Callable[[], float], resolve_audio: Callable[[Task], str | None]) -> None:
        self.config = config
        self.storage = storage
        self.clock = clock
        self.wall = wall
        self.resolve_audio = resolve_audio
        self.tasks: dict[str, Task] = {}
        self.submissions: dict[tuple[str, str], deque[float]] = {}
        self.lock = threading.Lock()
        self.random = random.Random(config.faults.seed)
        self.workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="storyc-render")

    # -- rate limits -------------------------------------------------------------------------
    def admit(self, key: str, spec: TaskSpec) -> bool:
        """Record a submission unless it breaks the model's per-second or concurrency limit."""
        limits = spec.profile.data["rate_limits"]
        now = self.clock()
        with self.lock:
            window = self.submissions.setdefault((key, spec.model), deque())
            while window and now - window[0] >= 1.0:
                window.popleft()
            active = sum(
                1 for task in self.tasks.values()
                if task.key == key and task.spec.model == spec.model and self.status(task) in ACTIVE
            )
            if len(window) >= limits["submit_per_second"] or active >= limits["concurrent_tasks"]:
                return False
            window.append(now)
            return True

    # -- lifecycle ---------------------------------------------------------------------------
    def submit(self, spec: TaskSpec, key: str, request_id: str, audio_path: Union[str, None] = None) -> Task:
        task = Task(spec, key, self.clock(), self.wall(), request_id)
        task.audio_path = audio_path
        if task.failure is None and self.random.random() < self.config.faults.fail_task:
            task.failure = ("InternalError.Algo", "An internal error occurred while generating the video.")
        with self.lock:
            self.tasks[task.id] = task
        if task.failure is None:
            task.video = self.workers.submit(self._render, task)
        return task

    def elapsed(self, task: Task) -> float:
        return (self.clock() - task.submitted) * self.config.speed

    def status(self, task: Task) -> str:
        elapsed = self.elapsed(task)
        if elapsed > self.config.task_lifetime_seconds:
            return "UNKNOWN"
        if task.canceled:
            return "CANCELED"
        if elapsed < self.config.pending_seconds:
            return "PENDING"
        if elapsed < self.config.pending_seconds + self.config.running_seconds:
            return "RUNNING"
        if task.failure is not None:
            return "FAILED"
        if task.video is not None and not task.video.done():
            return "RUNNING"  # the video takes longer than the configured running time
        if task.video is not None and task.video.exception() is not None:
            error = task.video.exception()
            task.failure = getattr(error, "failure", None) or ("InternalError", f"Video generation failed: {error}")
            return "FAILED"
        return "SUCCEEDED"

    def get(self, task_id: str) -> Union[Task, None]:
        with self.lock:
            return self.tasks.get(task_id)

    def cancel(self, task: Task) -> bool:
        with self.lock:
            if self.status(task) != "PENDING":
                return False
            task.canceled = True
        if task.video is not None:
            task.video.cancel()  # no video is owed for a canceled task
        return True

    def _render(self, task: Task) -> str:
        from .video import render_video

        spec = task.spec
        audio = self.resolve_audio(task)
        path = os.path.join(self.storage, "results", f"{task.id}.mp4")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not self.config.render_videos:
            return ""
        render_video(
            path, spec.prompt, spec.width, spec.height, spec.duration,
            heading=f"{spec.model} · task {task.id[:8]} · {spec.duration}s",
            audio=audio, silent_track=bool(spec.profile.audio["generated"]) and audio is None,
        )
        return path

    def shutdown(self) -> None:
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
        "duration": float(spec.duration), "input_video_duration": 0,
        "output_video_duration": spec.duration, "video_count": 1, "SR": tier_number,
    }
    if spec.profile.protocol == "new":
        fields["ratio"] = spec.ratio
    else:
        fields["size"] = spec.size
    return fields
