"""The render loop: every job driven from its journal state to a downloaded, checked video.

    new/failed -> (upload) -> intent -> create -> submitted -> polls -> succeeded -> download -> downloaded

Each step writes the journal before and after, so a run killed anywhere resumes: `creating` rows are
matched against the service's task list (§11) before anything is sent again, and so is every request
the journal cannot vouch for (it was lost, damaged or never here: `recall`); `submitted` tasks are
polled, never created again; `succeeded` ones are only downloaded. A FAILED task costs nothing and is
tried again (a few times in one run when the failure is the service's own); a task the service has
forgotten (older than 24 h) is resubmitted only with `resubmit_expired`.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Callable, NamedTuple

from ..models.pricing import billed_seconds, cost_of
from .cached import place
from .client import (
    AccessDenied,
    ApiError,
    AuthError,
    Client,
    InvalidRequest,
    NetworkError,
    NotFound,
    RateLimited,
    ResponseLost,
    ServerError,
    SubmitError,
    UrlExpired,
    parse_service_time,
    remove_partial_files,
)
from .files import PART_PREFIX, copy_video, make_readable
from .jobs import Job
from .journal import Row, video_file
from .recall import WAIT, Recall, matches
from .scheduler import Scheduler
from .upload import ensure_uploaded, with_urls

TRANSIENT_FAILURES = ("InternalError", "SystemError", "ModelServiceFailed", "RequestTimeOut", "ModelServingError",
                      "ModelUnavailable")
TASK_RETRIES = 3  # FAILED tasks with a transient code, per request and run
LISTING_SKEW = 300.0  # the service's clock against ours, when looking for a possibly created task
LISTING_SETTLE = 1.0  # how long a created task may take to appear in the listing
DAY = 24 * 3600


class Options(NamedTuple):
    concurrency: int | None = None
    resubmit_expired: bool = False
    downloads: int = 4
    expected: float | None = None  # seed for the first poll (the emulator's timings offline)


class Fatal(Exception):
    """An error that stops the whole run (key, account, access): no other request can succeed."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error


class LocalFault(Exception):
    """The machine's fault, not the service's: a folder that cannot be written, a full disk, a file that
    cannot be read. The run stops (nothing more is paid for); what is downloaded and journaled stays."""


def local_fault(error: OSError) -> LocalFault:
    from ..base.paths import FileProblem

    if isinstance(error, FileProblem):
        return LocalFault(str(error))
    where = error.filename if isinstance(error.filename, str) else ""
    if os.path.basename(where).startswith(PART_PREFIX):  # a temporary name means nothing to the user
        where = os.path.dirname(where)
    reason = (error.strerror or str(error) or type(error).__name__).lower()
    return LocalFault(f"cannot write `{os.path.relpath(where)}`: {reason}" if where else f"cannot write: {reason}")


def writable(folder: str) -> None:
    """Create the folder and a file in it, at once: a read-only or missing folder stops the run before
    anything is paid for. Raises OSError."""
    import tempfile

    os.makedirs(folder, exist_ok=True)
    handle, probe = tempfile.mkstemp(prefix=f"{PART_PREFIX}probe-", dir=folder)
    os.close(handle)
    os.remove(probe)


class Runner:
    def __init__(self, clients: dict[str, Client], scheduler: Scheduler, options: Options | None = None,
                 on_change: Callable[[Job], None] = lambda job: None, wall: Callable[[], float] = time.time) -> None:
        self.clients = clients  # one per region
        self.scheduler = scheduler
        self.options = options or Options()
        self.on_change = on_change
        self.wall = wall
        self.downloads = asyncio.Semaphore(self.options.downloads)
        self.upload_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.listing_lock = asyncio.Lock()
        self.claimed: set[str] = set()  # task ids adopted by some job in this run
        self.twin_locks: dict[tuple[str, ...], asyncio.Lock] = {}  # one unsettled create among twins
        self.settled: set[str] = set()  # listed task ids that ended without a video: never adoptable
        self.recalls: dict[tuple[str, str], Recall] = {}  # (region, model) -> its task list, for lost journals
        self.started = wall()
        self.finished: dict[int, asyncio.Event] = {}  # id(job) -> set when its driver ends (chains wait on it)
        self.chained: set[int] = set()  # jobs of a `continue` chain, which take a free slot first
        self.followers: dict[int, list[Job]] = {}  # id(source job) -> the jobs continuing it
        self.expecting: dict[int, Any] = {}  # id(job) -> the Slots holding a slot back for it

    # -- entry -------------------------------------------------------------------------------------
    async def run(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        folders = {os.path.dirname(target.path) for job in jobs for target in job.targets}
        for folder in folders:
            remove_partial_files(folder)
        # a folder a video is still to be written to (a read-only checkout of cached videos is fine)
        for folder in sorted({os.path.dirname(target.path) for job in jobs if not _downloaded(job)
                              for target in job.targets}):
            try:
                writable(folder)
            except OSError as error:
                raise local_fault(error) from None
        for job in jobs:
            limits = job.rate_limits
            concurrent = self.options.concurrency or int(limits["concurrent_tasks"])
            model = self.scheduler.model(f"{job.region}/{job.model}", int(limits["submit_per_second"]), concurrent,
                                         self.options.expected or job.journal.timing(job.model) or 0.0)
            row = job.row()
            if row is not None and row.state in ("creating", "submitted"):
                model.slots.occupy()  # a task of ours may be running: it holds a slot already
                job.holds_slot = True
        for job in jobs:
            clock = self.scheduler.model(f"{job.region}/{job.model}").polls
            if not clock.known and job.journal.timing(job.model):
                clock.learn(job.journal.timing(job.model) or 0.0)
        self.finished = {id(job): asyncio.Event() for job in jobs}
        # a chain's makespan is its own length only if its links never queue behind independent clips
        self.chained = {id(job) for job in jobs if job.link is not None} | {
            id(job.link.job) for job in jobs if job.link is not None}
        for job in jobs:
            if job.link is not None:
                self.followers.setdefault(id(job.link.job), []).append(job)
        # resumed tasks first, then the rest in clip order
        order = sorted(jobs, key=lambda job: 0 if job.holds_slot else 1)
        drivers = [asyncio.create_task(self.drive(job)) for job in order]
        try:
            done, pending = await asyncio.wait(drivers, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in drivers:
                task.cancel()
            await asyncio.gather(*drivers, return_exceptions=True)

    def _client(self, job: Job) -> Client:
        return self.clients[job.region]

    def _set(self, job: Job, phase: str, detail: str = "") -> None:
        job.phase = phase
        job.detail = detail
        self.on_change(job)

    # -- one job -----------------------------------------------------------------------------------
    async def drive(self, job: Job) -> None:
        try:
            if job.link is None or await self._follow(job):
                await self._drive(job)
        except OSError as error:  # a full disk, a folder made read-only during the run, a file swapped
            raise local_fault(error) from None
        finally:
            self.finished.setdefault(id(job), asyncio.Event()).set()
            slots = self.expecting.pop(id(job), None)
            if slots is not None:  # a slot held back for this link that it did not take
                await slots.forget()

    async def _follow(self, job: Job) -> bool:
        """A continuing clip: wait for its source's video, settle its identity, give it the last frame.

        Whether to go on: a source without a video leaves the clip not done (nothing is sent)."""
        from .chain import follow

        link = job.link
        assert link is not None
        if not link.job.outcome:
            self._set(job, "waiting", f"for `{link.source}`")
            await self.finished.setdefault(id(link.job), asyncio.Event()).wait()
        row = link.job.row()
        if row is None or row.state != "downloaded" or not row.sha256:
            job.outcome = "not done"
            self._set(job, "waiting", f"its source `{link.source}` has no video")
            return False
        await follow(job, row)
        return True

    async def _drive(self, job: Job) -> None:
        limits = self.scheduler.model(f"{job.region}/{job.model}")
        try:
            while True:
                if job.outcome == "canceled":
                    return  # someone canceled the task (story cancel): not sent again in this run
                row = job.row()
                assert row is not None
                job.task_id = row.task_id
                if row.state == "downloaded":
                    if self._place(job, row):
                        if not job.outcome:
                            job.outcome = "cached"
                            self._set(job, "done", "cached")
                        else:
                            self._set(job, "done")
                        return
                    job.journal.forget_download(job.hash)
                elif row.state == "expired":
                    if not self.options.resubmit_expired:
                        job.outcome = "expired"
                        self._set(job, "expired", row.message or "expired")
                        return
                    job.journal.not_created(job.hash)
                elif row.state == "failed" and job.attempts > 0:
                    transient = (row.code or "").split(".")[0] in TRANSIENT_FAILURES
                    if not transient or job.attempts >= TASK_RETRIES:
                        job.outcome = "failed"
                        self._set(job, "failed", f"{row.code}: {row.message}")
                        return
                    job.journal.not_created(job.hash)
                elif row.state == "new" and not job.journal.offline and not job.journal.searched(job.hash):
                    await self._recall(job, limits)
                elif row.state in ("new", "failed", "creating"):
                    await self._create_alone(job, limits)
                elif row.state == "submitted":
                    await self._poll(job, row, limits)
                elif row.state == "succeeded":
                    await self._download(job, row)
        finally:
            if job.holds_slot:
                job.holds_slot = False
                # a task may still run; the slot is given back so this run's other jobs can end
                limits.slots.used = max(0, limits.slots.used - 1)

    async def _release(self, job: Job, limits: Any) -> None:
        if job.holds_slot:
            job.holds_slot = False
            self._hand_down(job)
            await limits.slots.release()

    def _hand_down(self, job: Job) -> None:
        """The links continuing `job` ask for a slot once its video is in and their frame uploaded: until
        then their model's slots are held back for them, so that an independent clip does not take the
        slot the chain needs (the chain's makespan stays its own length)."""
        for follower in self.followers.get(id(job), ()):
            if follower.holds_slot or id(follower) in self.expecting or follower.outcome:
                continue
            slots = self.scheduler.model(f"{follower.region}/{follower.model}").slots
            slots.expect()
            self.expecting[id(follower)] = slots

    # -- submitting --------------------------------------------------------------------------------
    async def _submit(self, job: Job, limits: Any) -> None:
        urls = {}
        for url, path in job.files.items():
            key = (job.hashes[url], job.model)
            lock = self.upload_locks.setdefault(key, asyncio.Lock())
            async with lock:
                self._set(job, "uploading", os.path.basename(path))
                urls[url] = await self._call(job, ensure_uploaded(self._client(job), job.journal, path, key[0], job.model))
        body = with_urls(job.body, urls)
        if not job.holds_slot:
            self._set(job, "queued")
            held = self.expecting.pop(id(job), None)
            if held is not None and held is not limits.slots:
                await held.forget()
            await limits.slots.acquire(urgent=id(job) in self.chained, expected=held is limits.slots)
            job.holds_slot = True
        await limits.submissions.wait()
        job.attempts += 1
        job.journal.intend(job.hash)  # from here on a task may exist
        self._set(job, "submitting")
        try:
            created = await self._client(job).create(body, job.create_path)
        except ResponseLost:
            self._set(job, "checking", "the create answer was lost; looking for the task")
            return  # the row stays `creating`: _reconcile finds out
        except InvalidRequest as error:
            if error.code.startswith("InvalidURL") and job.files and not job.reuploaded:
                # the service no longer resolves our upload (expired, or another account's): upload again
                for sha in job.hashes.values():
                    job.journal.drop_upload(sha, job.model)
                job.reuploaded = True
                job.journal.not_created(job.hash)
                return
            job.journal.failed(job.hash, None, error.code, error.message)
            job.attempts = TASK_RETRIES
            await self._release(job, limits)
            return
        except (AuthError, AccessDenied, NotFound) as error:
            job.journal.not_created(job.hash)
            raise Fatal(error) from None
        except RateLimited:
            # still throttled after the client's retries (another process on the account, a quota):
            # the service said no, so no task exists; keep the slot and try again a little later
            job.journal.not_created(job.hash)
            self._set(job, "throttled", "the account's limit is reached; trying again")
            await self.scheduler.sleep(5.0)
            return
        except SubmitError as error:  # retries exhausted on 5xx or an unreachable service
            job.journal.not_created(job.hash)
            await self._release(job, limits)
            job.outcome = "failed"
            self._set(job, "failed", str(error))
            raise
        job.journal.submitted(job.hash, created.task_id, at=self.wall())
        job.task_id = created.task_id
        job.submitted_at = self.wall()
        self._set(job, "submitted", created.task_id)

    async def _call(self, job: Job, call: Any) -> Any:
        try:
            return await call
        except (AuthError, AccessDenied, NotFound) as error:
            raise Fatal(error) from None

    async def _create_alone(self, job: Job, limits: Any) -> None:
        """Create the job's task, settling a create whose answer was lost, while no twin creates.

        Twins are requests the service's task list cannot tell apart (`recall.matches`: the takes of
        a clip differ only by seed, which it does not echo). With one unsettled create among twins at
        a time, a lost create found in the task list is that request's own, never its twin's.
        """
        body = job.body
        twins = (job.region, job.model, str((body.get("input") or {}).get("prompt")),
                 str((body.get("parameters") or {}).get("duration")))
        async with self.twin_locks.setdefault(twins, asyncio.Lock()):
            row = job.row()
            if row is not None and row.state in ("new", "failed"):
                await self._submit(job, limits)
                row = job.row()
            while row is not None and row.state == "creating":
                await self._reconcile(job, row, limits)
                row = job.row()

    # -- a request the journal cannot vouch for ----------------------------------------------------
    async def _recall(self, job: Job, limits: Any) -> None:
        """Adopt the task a lost journal forgot, if the service has one; else vouch for the request.

        Offline runs skip this: their emulator starts empty with each run.
        """
        recall = self.recalls.setdefault((job.region, job.model), Recall(self._client(job), job.model, self.wall))
        self._set(job, "checking", "looking in the account's task list for a task a lost journal forgot")
        failures = 0
        while True:
            try:
                # One search at a time, with `_look`: the tasks known and claimed are read, and a task
                # found is claimed, before another job may look. Takes of a clip differ only by seed,
                # which the service does not echo, so two of them would otherwise adopt one task.
                async with self.listing_lock:
                    found = await self._call(job, recall.find(job.body, job.journal.known_task_ids() | self.claimed))
                    if isinstance(found, tuple):
                        self.claimed.add(found[0])
            except (NetworkError, ServerError, RateLimited):
                failures += 1  # after the client's own retries: the listing is tried again a few times
                if failures >= 4:
                    raise
                await self.scheduler.sleep(min(10.0, 2.0 ** failures))
                continue
            if found is None:
                job.journal.vouch(job.hash)
                return
            if found != WAIT:
                break
            clock = limits.polls  # a tenth of the model's usual task time: the same pace as _reconcile
            recall.recheck = max(0.25, min(15.0, clock.expected * 0.1 if clock.known else 1.0))
            await self.scheduler.sleep(recall.recheck)
        assert isinstance(found, tuple)
        task_id, document = found
        output = document.get("output") or {}
        self.claimed.add(task_id)
        began = parse_service_time(output.get("submit_time")) or self.wall()
        job.journal.submitted(job.hash, task_id, at=began)
        job.journal.succeeded(job.hash, task_id, str(output.get("video_url", "")), document.get("usage"))
        job.task_id = task_id
        self._set(job, "succeeded", f"found task {task_id} in the account's task list; not created again")

    # -- a create whose answer was lost ---------------------------------------------------------
    async def _reconcile(self, job: Job, row: Row, limits: Any) -> None:
        """Find the task a lost create may have made (§11); send again only when there is none."""
        if not job.holds_slot:
            limits.slots.occupy()
            job.holds_slot = True
        attempt = row.attempt_at or self.wall()
        if self.wall() - attempt > DAY - 600:
            job.journal.expired(job.hash, "a create more than 24 h ago may have made a task the service no "
                                "longer lists; its video cannot be collected")
            await self._release(job, limits)
            return
        settle = attempt + LISTING_SETTLE - self.wall()
        if settle > 0:
            await self.scheduler.sleep(settle)
        self._set(job, "checking", "looking for a task a lost answer may have created")
        while True:
            verdict = await self._look(job, attempt)
            if verdict == "none":
                job.journal.not_created(job.hash)  # the slot is kept for the submission that follows
                return
            if verdict == "adopted":
                await self._release(job, limits)
                return
            clock = limits.polls
            await self.scheduler.sleep(max(0.25, min(15.0, clock.expected * 0.1 if clock.known else 1.0)))

    async def _look(self, job: Job, attempt: float) -> str:
        """'adopted', 'none', or 'wait' while an unknown task that may be ours is still running."""
        async with self.listing_lock:
            now = self.wall()
            listed = await self._call(job, self._client(job).list_tasks(attempt - LISTING_SKEW, min(now + 60,
                                                                  attempt - LISTING_SKEW + DAY), job.model))
            known = job.journal.known_task_ids() | self.claimed
            running = False
            for entry in listed:
                task_id = str(entry.get("task_id", ""))
                if not task_id or task_id in known or task_id in self.settled:
                    continue
                created = entry.get("gmt_create")
                if isinstance(created, (int, float)) and created / 1000 < attempt - LISTING_SKEW:
                    continue
                document = await self._call(job, self._client(job).query(task_id))
                output = document.get("output") or {}
                status = output.get("task_status")
                if status in ("PENDING", "RUNNING"):
                    running = True
                    continue
                if status == "SUCCEEDED" and matches(job.body, job.model, entry, document):
                    self.claimed.add(task_id)
                    at = created / 1000 if isinstance(created, (int, float)) else attempt
                    job.journal.submitted(job.hash, task_id, at=at)
                    job.journal.succeeded(job.hash, task_id, str(output.get("video_url", "")), document.get("usage"))
                    job.task_id = task_id
                    self._set(job, "succeeded", f"found task {task_id}")
                    return "adopted"
                if status != "SUCCEEDED":
                    self.settled.add(task_id)  # failed, canceled or gone: no one's to adopt
                # a SUCCEEDED task that is not this request's may be another lost create's
            return "wait" if running else "none"

    # -- polling -----------------------------------------------------------------------------------
    async def _poll(self, job: Job, row: Row, limits: Any) -> None:
        assert row.task_id is not None
        task_id: str = row.task_id
        if not job.holds_slot:
            limits.slots.occupy()
            job.holds_slot = True
        submitted = row.submitted_at or self.wall()
        job.task_id = task_id
        job.submitted_at = submitted
        polls = 0
        last_poll: float | None = None
        clock = limits.polls
        client = self._client(job)
        phase = "running" if row.status == "RUNNING" else "submitted"
        self._set(job, phase, task_id)
        while True:
            if client.hinted_seconds is not None:
                clock.seed(client.hinted_seconds)  # an emulator on loopback said how long its tasks take
            job.expected = clock.expected if clock.known else None
            wait = clock.due(submitted, last_poll, polls) - self.wall()
            if wait > 0.001:
                await clock.sleep_or_learn(wait)
                continue  # re-plan: the due time moves when a duration is learnt
            try:
                document = await self._call(job, client.query(task_id))
            except (NetworkError, ServerError, RateLimited):
                await self.scheduler.sleep(1.0)
                continue
            last_poll = self.wall()
            polls += 1
            job.polls += 1
            output = document.get("output") or {}
            status = str(output.get("task_status", "UNKNOWN"))
            if status in ("PENDING", "RUNNING"):
                if status != row.status:
                    job.journal.status(job.hash, task_id, status)
                    row = row._replace(status=status)
                phase = status.lower()
                self._set(job, phase, task_id)
                continue
            await self._release(job, limits)
            began = parse_service_time(output.get("submit_time"))
            ended = parse_service_time(output.get("end_time"))
            if status == "SUCCEEDED":
                if began is not None and ended is not None:
                    # the service's own times; a run that watched the task start knows a bound too
                    seen = (last_poll - submitted) * 0.9 if submitted >= self.started else 0.0
                    clock.learn(max(ended - began, seen))
                    job.journal.remember_timing(job.model, clock.expected)
                job.journal.succeeded(job.hash, task_id, str(output.get("video_url", "")), document.get("usage"))
                self._set(job, "succeeded", task_id)
            elif status == "FAILED":
                code, message = str(output.get("code", "Failed")), str(output.get("message", ""))
                job.journal.failed(job.hash, task_id, code, message)
                self._set(job, "failed", f"{code}: {message}")
            elif status == "CANCELED":
                job.journal.canceled(job.hash, task_id)
                job.outcome = "canceled"
                self._set(job, "canceled", f"task {task_id} was canceled")
            else:
                job.journal.expired(job.hash, f"task {task_id} is unknown to the service (tasks are kept 24 h)")
            return

    # -- downloading -------------------------------------------------------------------------------
    async def _download(self, job: Job, row: Row) -> None:
        target = job.targets[0]
        folder = os.path.dirname(target.path)
        url = row.video_url or ""
        attempt = 0
        async with self.downloads:
            while True:
                self._set(job, "downloading", row.task_id or "")
                try:
                    got = await self._client(job).download(url, folder, target.name)
                except UrlExpired:
                    fresh = await self._fresh_url(job, row)
                    if fresh is None or fresh == url:
                        job.journal.expired(job.hash, f"the video URL of task {row.task_id} has expired "
                                            "(result URLs are kept 24 h)")
                        return
                    url = fresh
                    continue
                except (NetworkError, ServerError):
                    attempt += 1
                    if attempt >= 8:
                        raise
                    await self.scheduler.sleep(min(10.0, 0.25 * 2 ** attempt))
                    continue
                make_readable(got.path)
                os.replace(got.path, target.path)
                for other in job.targets[1:]:
                    copy_video(target.path, other.path)
                job.journal.downloaded(job.hash, target.path, got.sha256, got.size)
                if job.outcome != "cached":
                    job.outcome = "rendered"
                self._account(job, row)
                return

    async def _fresh_url(self, job: Job, row: Row) -> str | None:
        if not row.task_id:
            return None
        try:
            document = await self._client(job).query(row.task_id)
        except SubmitError:
            return None
        output = document.get("output") or {}
        if output.get("task_status") != "SUCCEEDED" or not output.get("video_url"):
            return None
        url = str(output["video_url"])
        job.journal.succeeded(job.hash, row.task_id, url, document.get("usage") or row.usage)
        return url

    def _account(self, job: Job, row: Row) -> None:
        fresh = job.row()
        usage = (fresh.usage if fresh else None) or row.usage or {}
        job.billed = billed_seconds(usage)
        job.cost = cost_of(job.price, job.billed)

    # -- cached files ------------------------------------------------------------------------------
    def _place(self, job: Job, row: Row) -> bool:
        """True when every clip's file holds the journal's video (copying it where one is missing)."""
        source = video_file(row, (target.path for target in job.targets))
        if source is None:
            return False
        place(job, row, source)
        job.billed = billed_seconds(row.usage or {})
        job.cost = cost_of(job.price, job.billed)
        return True


def _downloaded(job: Job) -> bool:
    row = job.row()
    return row is not None and row.state == "downloaded"
