"""The emulator's HTTP surface: the DashScope text-to-video paths, headers, bodies and errors.

    create_app(config) -> Starlette application (ASGI)

Served by `story emulator`, or in-process through httpx's ASGITransport (see `testing.py`).
`app.state.emulator` is the `Emulator`; `app.state.emulator.tasks.billable()` is its own record
of the tasks it admitted (for tests that count what a client paid for).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import secrets
import shutil
import tempfile
import time
import uuid
import weakref
from typing import Any, AsyncIterator, Callable, Union
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..models.profile import Catalog, Profile, catalog
from . import errors
from .accounts import Accounts, Dice, RateLimits
from .config import REGIONS, SPEED_HINT, EmulatorConfig
from .errors import ApiError
from .guard import Guard
from .tasks import FINAL, Task, TaskFailure, TaskStore, time_text, usage
from .uploads import MEGABYTE, Uploads
from .validate import TaskSpec, inspect

CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
CREATE_KF2V = "/api/v1/services/aigc/image2video/video-synthesis"  # first and last frame, legacy (media §2.1)
ADMIN = "/_emulator/tasks"  # not a path of the real service; served only with `EmulatorConfig(admin=True)`
REGION_IDS = {"beijing": "cn-beijing", "singapore": "ap-southeast-1", "virginia": "us-east-1",
              "frankfurt": "eu-central-1"}
MAX_DEPTH = 32  # JSON nesting a request body may have; real bodies have 3 levels
log = logging.getLogger("storyc.emulator")


def served_models(profiles: Catalog, region: str) -> frozenset[str]:
    """The model ids a region serves (API reference §1): a profile's `regions`, under its
    `region_ids` name where the region spells it differently (wanx2.1 / wan2.1)."""
    found = set()
    for profile in profiles.profiles.values():
        if region in profile.data.get("regions", ()):
            found.add(profile.data.get("region_ids", {}).get(region, profile.id))
    return frozenset(found)


class Emulator:
    """State shared by the routes: accounts, limits, tasks, uploads, signing secret and fault dice."""

    def __init__(self, config: EmulatorConfig, profiles: Catalog, clock: Callable[[], float],
                 wall: Callable[[], float]) -> None:
        if config.region not in REGIONS:
            raise ValueError(f"unknown region {config.region!r}; known: {', '.join(REGIONS)}")
        if config.reject not in ("sync", "async"):
            raise ValueError(f"reject is 'sync' or 'async', not {config.reject!r}")
        self.config = config
        self.profiles = profiles
        self.served = served_models(profiles, config.region)
        self.storage = config.storage
        if not self.storage:  # uploads and videos then live in a temporary folder, removed with the app
            self.storage = tempfile.mkdtemp(prefix="storyc-emulator-")
            weakref.finalize(self, shutil.rmtree, self.storage, ignore_errors=True)
        self.secret = secrets.token_bytes(32)
        self.accounts = Accounts(config.accounts, config.api_keys, self.secret)
        self.limits = RateLimits(config.limits)
        self.dice = Dice(config.faults.seed)
        self.uploads = Uploads(self.storage, self.secret, config.policy_lifetime_seconds, config.upload_lifetime_seconds)
        self.tasks = TaskStore(config, self.storage, clock, wall, self._audio_for, self.dice)
        self.tasks.fetch_media = self._media_file
        self.clock = clock
        self.wall = wall

    # -- helpers -----------------------------------------------------------------------------
    def roll(self, rate: float, family: str = "misc") -> bool:
        return self.dice.roll(family, rate)

    def caller(self, request: Request) -> Union[tuple[str, str], ApiError]:
        """(key, account) of the caller, or the 401 to answer."""
        return self.accounts.account(request.headers.get("authorization", ""))

    def key(self, request: Request) -> Union[str, ApiError]:
        """The caller's key (kept for callers of the earlier API)."""
        found = self.caller(request)
        return found if isinstance(found, ApiError) else found[0]

    def url_signature(self, task_id: str, expires: str) -> str:
        return self.uploads.sign(f"{task_id}:{expires}").replace("+", "-").replace("/", "_").rstrip("=")

    def sign_url(self, base: str, task: Task) -> str:
        expires = str(int(self.wall() + self.config.url_lifetime_seconds))
        signature = self.url_signature(task.id, expires)
        return f"{base}results/{task.id}.mp4?Expires={expires}&OSSAccessKeyId=STORYC-EMULATOR&Signature={signature}"

    def upload_limit(self, profile: Profile) -> int:
        """Uploads for text-to-video are audio: the model's audio limit (15 MB) applies (§5, §10); for a
        model that takes media, its largest input (a 100 MB clip, a 20 MB picture)."""
        if profile.media is not None:
            return int(max(role["max_megabytes"] for role in profile.media["roles"].values())) * MEGABYTE
        file = profile.audio.get("file") or {}
        return int(file.get("max_megabytes", 15)) * MEGABYTE

    def _media_file(self, url: str) -> Union[str, None]:
        """A media URL that is not an upload: downloaded when on loopback, else stood in for (None)."""
        from .fetch import fetch

        return fetch(url, self.storage, self.config.fetch_timeout_seconds, 100 * MEGABYTE, self.config.fetch_remote_audio)

    def _audio_for(self, task: Task) -> Union[str, None]:
        from .fetch import fetch

        url = task.spec.audio_url
        if not url:
            return None
        path = task.audio_path
        if path is None:
            path = fetch(url, self.storage, self.config.fetch_timeout_seconds, self.upload_limit(task.spec.profile),
                         self.config.fetch_remote_audio)
            if path is None:  # a remote URL stood in for by silence
                return None
        _check_audio(path, task.spec)
        return path


def _check_audio(path: str, spec: TaskSpec) -> None:
    from ..check.audio import measure_seconds

    limits = spec.profile.audio["file"]
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension not in limits["formats"]:
        raise TaskFailure("InvalidFile.Format", "File type is not supported. Allowed types are: .wav, .mp3.")
    if os.path.getsize(path) > limits["max_megabytes"] * 1024 * 1024:
        raise TaskFailure("InvalidFile.Size", "File size is larger than 15MB.")
    length = measure_seconds(path)
    if length is None:
        raise TaskFailure("InvalidFile.Openerror", "The input audio file cannot be opened.")
    if not limits["min_seconds"] <= length <= limits["max_seconds"]:
        raise TaskFailure("InvalidFile.Duration",
                          f"Invalid file duration. The file duration must be {limits['min_seconds']:g} s ~ "
                          f"{limits['max_seconds']:g} s.")


def _media_paths(emulator: Emulator, request: Request, spec: TaskSpec, account: str) -> Union[dict[str, str], ApiError]:
    from .media import resolve

    if not spec.media:
        return {}
    oss = request.headers.get("x-dashscope-ossresourceresolve", "").lower() == "enable"
    return resolve(list(spec.media), oss, emulator.uploads, emulator.accounts.public_id(account), spec.model)


def _error(error: ApiError, request_id: str) -> JSONResponse:
    return JSONResponse({"code": error.code, "message": error.message, "request_id": request_id},
                        status_code=error.status)


def parse_body(raw: bytes) -> Union[Any, ApiError]:
    """A JSON body, or the 400 the service answers for one it cannot read: not JSON, nested
    deeper than `MAX_DEPTH`, or holding text that is not Unicode (a lone surrogate)."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return errors.BAD_BODY
    pending: list[tuple[Any, int]] = [(body, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return errors.BAD_BODY
        if isinstance(value, str):
            if not _unicode(value):
                return errors.BAD_BODY
        elif isinstance(value, dict):
            for name, item in value.items():
                if not _unicode(name):
                    return errors.BAD_BODY
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return body


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _Dropped(Response):
    """Headers promise a body that never fully arrives: the client sees the connection drop."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"output": {"task_', "more_body": False})


CALL_FAULTS = ("drop", "error_500")
SUBMISSION_FAULTS = (("error_503", errors.UNAVAILABLE), ("throttle", errors.THROTTLED), ("arrearage", errors.ARREARAGE),
                     ("allocation_quota", errors.ALLOCATION_QUOTA), ("burst_rate", errors.BURST_RATE),
                     ("data_inspection", errors.DATA_INSPECTION))


def _roll(emulator: Emulator, submission: bool) -> dict[str, Any]:
    """Every fault family in play for one call rolls (each its own stream), before anything can
    end the call early, so one family's rate never shifts another's sequence."""
    faults = emulator.config.faults
    rolls: dict[str, Any] = {family: emulator.roll(getattr(faults, family), family) for family in ("slow", *CALL_FAULTS)}
    if submission:
        rolls.update((family, emulator.roll(getattr(faults, family), family)) for family, _ in SUBMISSION_FAULTS)
        rolls["task"] = emulator.tasks.roll_task_faults()
    return rolls


async def _faults(emulator: Emulator, request_id: str, rolls: dict[str, Any]) -> Union[Response, None]:
    if rolls["slow"]:
        await asyncio.sleep(emulator.config.faults.slow_seconds)
    if rolls["drop"]:
        return _Dropped()
    if rolls["error_500"]:
        return _error(errors.INTERNAL, request_id)
    for family, error in SUBMISSION_FAULTS[:2]:  # 503 and 429 come before the body is read
        if rolls.get(family):
            return _error(error, request_id)
    return None


def _submission_faults(rolls: dict[str, Any]) -> Union[ApiError, None]:
    """The error families a well-formed submission can meet (each off unless its rate is set)."""
    return next((error for family, error in SUBMISSION_FAULTS[2:] if rolls[family]), None)


def create_app(config: Union[EmulatorConfig, None] = None, profiles: Union[Catalog, None] = None,
               clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> Starlette:
    emulator = Emulator(config or EmulatorConfig(), profiles or catalog(), clock, wall)
    config = emulator.config

    def begin(request: Request) -> Union[tuple[str, str, str], Response]:
        """(request id, key, account) for an API call, or the 401 to answer."""
        request_id = str(uuid.uuid4())
        found = emulator.caller(request)
        if isinstance(found, ApiError):
            return _error(found, request_id)
        return (request_id, *found)

    def hinted(response: Response) -> Response:
        """A create or query answer, with the emulator's task length when `speed_hint` is on."""
        if config.speed_hint:
            seconds = (config.pending_seconds + config.running_seconds) / config.speed
            response.headers[SPEED_HINT] = f"{seconds:.3f}"
        return response

    def throttled(account: str, request_id: str) -> Union[Response, None]:
        """Query, list and cancel share one per-second budget per account (§8)."""
        if emulator.limits.allow((account, "tasks"), config.query_per_second, emulator.clock()):
            return None
        return _error(errors.THROTTLED, request_id)

    async def create_task(request: Request) -> Response:
        started = begin(request)
        if isinstance(started, Response):
            return started
        request_id, key, account = started
        if request.headers.get("x-dashscope-async", "").lower() != "enable":
            return _error(errors.SYNC_NOT_SUPPORTED, request_id)
        rolls = _roll(emulator, submission=True)
        faulted = await _faults(emulator, request_id, rolls)
        if faulted is not None:
            return faulted
        body = parse_body(await request.body())
        if isinstance(body, ApiError):
            return _error(body, request_id)
        spec = inspect(body, emulator.profiles, emulator.served, config.reject)
        if isinstance(spec, ApiError):
            return _error(spec, request_id)
        media = spec.profile.media
        if request.url.path != (f"/api/v1/services/aigc/{media['path']}" if media else CREATE):
            return _error(errors.NO_MODEL, request_id)  # first and last frame has its own path, and only it
        media_paths = _media_paths(emulator, request, spec, account)
        if isinstance(media_paths, ApiError):
            return _error(media_paths, request_id)
        if media_paths:
            from .media import input_seconds

            spec = spec._replace(input_seconds=input_seconds(spec, media_paths))
        audio_path = None
        if spec.audio_url:
            try:
                scheme = urlsplit(spec.audio_url).scheme
            except ValueError:
                scheme = ""
            if scheme == "oss":
                if request.headers.get("x-dashscope-ossresourceresolve", "").lower() != "enable":
                    return _error(errors.BAD_URL, request_id)
                audio_path = emulator.uploads.resolve(spec.audio_url, emulator.accounts.public_id(account), spec.model)
                if audio_path is None:
                    return _error(errors.BAD_URL, request_id)
            elif scheme not in ("http", "https"):
                return _error(errors.BAD_URL, request_id)
        injected = _submission_faults(rolls)
        if injected is not None:
            return _error(injected, request_id)
        per_second = spec.profile.data["rate_limits"]["submit_per_second"]
        if not emulator.tasks.admit(key, spec, account) or \
                not emulator.limits.allow((account, "submit", spec.model), per_second, emulator.clock()):
            return _error(errors.THROTTLED, request_id)
        task = emulator.tasks.submit(spec, key, request_id, audio_path, account, rolls["task"], media_paths)
        request.state.task_id = task.id
        return hinted(JSONResponse({"output": {"task_status": "PENDING", "task_id": task.id}, "request_id": request_id}))

    async def get_task(request: Request) -> Response:
        started = begin(request)
        if isinstance(started, Response):
            return started
        request_id, _key, account = started
        task_id = request.path_params["task_id"]
        request.state.task_id = task_id
        if request.headers.get("x-dashscope-async", "").lower() == "enable":
            return _error(errors.ASYNC_ON_QUERY, request_id)
        limited = throttled(account, request_id)
        if limited is not None:
            return limited
        faulted = await _faults(emulator, request_id, _roll(emulator, submission=False))
        if faulted is not None:
            return faulted
        task = emulator.tasks.get(task_id, account)
        status = emulator.tasks.status(task) if task is not None else "UNKNOWN"
        if task is None or status == "UNKNOWN":  # another account's task looks like no task at all
            return JSONResponse({"request_id": request_id, "output": {"task_id": task_id, "task_status": "UNKNOWN"}})
        return hinted(JSONResponse(_task_view(emulator, task, status, str(request.base_url), request_id)))

    async def cancel_task(request: Request) -> Response:
        started = begin(request)
        if isinstance(started, Response):
            return started
        request_id, _key, account = started
        request.state.task_id = request.path_params["task_id"]
        limited = throttled(account, request_id)
        if limited is not None:
            return limited
        task = emulator.tasks.get(request.path_params["task_id"], account)
        if task is None or not emulator.tasks.cancel(task):
            return _error(errors.CANNOT_CANCEL, request_id)
        return JSONResponse({"request_id": request_id})

    async def list_tasks(request: Request) -> Response:
        started = begin(request)
        if isinstance(started, Response):
            return started
        request_id, _key, account = started
        limited = throttled(account, request_id)
        if limited is not None:
            return limited
        return _task_list(emulator, request, request_id, account)

    async def upload_policy(request: Request) -> Response:
        started = begin(request)
        if isinstance(started, Response):
            return started
        request_id, _key, account = started
        model = request.query_params.get("model", "")
        if request.query_params.get("action") != "getPolicy" or not model:
            return _error(errors.MISSING, request_id)
        profile = emulator.profiles.get(model)
        if profile is None or model not in emulator.served:
            return _error(errors.NO_MODEL, request_id)
        if not emulator.limits.allow((account, "policy", model), config.policy_per_second, emulator.clock()):
            return _error(errors.THROTTLED, request_id)
        host = f"{request.base_url}oss/upload"
        data = emulator.uploads.policy(emulator.accounts.public_id(account), model, host, emulator.upload_limit(profile))
        return JSONResponse({"request_id": request_id, "data": data})

    async def oss_upload(request: Request) -> Response:
        try:
            async with request.form(max_files=1, max_fields=32, max_part_size=64 * 1024) as form:
                upload = form.get("file")
                if upload is None or isinstance(upload, str):
                    return _oss_error("InvalidArgument", "The file field is missing.")
                data = await upload.read()
                fields = {name: value for name, value in form.items() if isinstance(value, str)}
        except Exception as error:  # noqa: BLE001 - Starlette raises several kinds for a bad form
            return _oss_error("InvalidArgument", f"The form is not valid multipart: {type(error).__name__}.")
        refused = emulator.uploads.accept(fields, data)
        if refused is not None and refused.code == "PolicyExpired":
            return _error(errors.POLICY_EXPIRED, str(uuid.uuid4()))
        if refused is not None:
            return _oss_error(refused.code, refused.message, refused.status, request.url.netloc)
        # OSS answers 200, 201 or 204 as asked; any other value gets its default, 204.
        status = {"200": 200, "201": 201}.get(fields.get("success_action_status", "").strip(), 204)
        return Response(status_code=status)

    async def download(request: Request) -> Response:
        name = request.path_params["name"]
        task = emulator.tasks.get(name.removesuffix(".mp4"))
        expires = request.query_params.get("Expires", "")
        signature = request.query_params.get("Signature", "")
        if task is None or not expires.isascii() or not expires.isdigit() or len(expires) > 12:
            return _oss_error("AccessDenied", "Request has expired or is not signed.", 403)
        if not secrets.compare_digest(emulator.url_signature(task.id, expires).encode(),
                                      signature.encode("utf-8", "replace")):
            return _oss_error("SignatureDoesNotMatch", "The request signature does not match.", 403)
        if int(expires) < emulator.wall():
            return _oss_error("AccessDenied", "Request has expired.", 403)
        if task.url_expires_after is not None and \
                emulator.wall() > emulator.tasks.end_wall(task) + task.url_expires_after / config.speed:
            return _oss_error("AccessDenied", "Request has expired.", 403)  # injected: expired early
        if task.video is None or not task.video.done() or task.video.cancelled() or task.video.exception() \
                or not task.video.result():
            return _oss_error("NoSuchKey", "The specified key does not exist.", 404)
        path = task.video.result()
        if emulator.roll(config.faults.truncate_download, "truncate_download"):
            return _Truncated(path)
        return FileResponse(path, media_type="video/mp4")

    async def admin_tasks(request: Request) -> Response:
        """The emulator's own record of admitted tasks (a test aid; no such path on the service)."""
        account = None
        if request.headers.get("authorization"):
            found = emulator.caller(request)
            if isinstance(found, ApiError):
                return _error(found, str(uuid.uuid4()))
            account = found[1]
        rows = [_admin_row(emulator, task) for task in emulator.tasks.billable()
                if account is None or task.account == account]
        return JSONResponse({"tasks": rows, "total": len(rows)})

    routes = [
        Route(CREATE, create_task, methods=["POST"]),
        Route(CREATE_KF2V, create_task, methods=["POST"]),
        Route("/api/v1/tasks/{task_id}/cancel", cancel_task, methods=["POST"]),
        Route("/api/v1/tasks/{task_id}", get_task, methods=["GET"]),
        Route("/api/v1/tasks/{task_id}/", get_task, methods=["GET"]),
        Route("/api/v1/tasks", list_tasks, methods=["GET"]),
        Route("/api/v1/tasks/", list_tasks, methods=["GET"]),
        Route("/api/v1/uploads", upload_policy, methods=["GET"]),
        Route("/api/v1/uploads/", upload_policy, methods=["GET"]),
        Route("/oss/upload", oss_upload, methods=["POST"]),
        Route("/results/{name}", download, methods=["GET"]),
    ]
    if config.admin:
        routes.append(Route(ADMIN, admin_tasks, methods=["GET"]))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        emulator.tasks.shutdown()

    async def not_found(request: Request, _: Exception) -> Response:
        return _error(errors.NOT_FOUND, str(uuid.uuid4()))

    async def not_allowed(request: Request, _: Exception) -> Response:
        return _error(ApiError(405, "MethodNotAllowed", "The method is not allowed for this resource."),
                      str(uuid.uuid4()))

    app = Starlette(
        routes=routes, lifespan=lifespan,
        middleware=[Middleware(Guard, max_body_bytes=config.max_body_bytes,
                               body_timeout_seconds=config.body_timeout_seconds)],
        exception_handlers={404: not_found, 405: not_allowed},
    )
    app.state.emulator = emulator
    return app


def _admin_row(emulator: Emulator, task: Task) -> dict[str, Any]:
    status = emulator.tasks.status(task)
    return {"task_id": task.id, "request_id": task.request_id, "model": task.spec.model,
            "account": emulator.accounts.public_id(task.account), "status": status,
            "duration": task.spec.duration,
            "billed_seconds": task.spec.duration + task.spec.input_seconds if status == "SUCCEEDED" else 0}


# OSS error numbers ("EC") the emulator gives, from OSS's error-code pages (help.aliyun.com/document_detail/600325).
OSS_ERROR_NUMBERS = {"FileAlreadyExists": "0026-00000201"}


def _oss_error(code: str, message: str, status: int = 400, host: str = "") -> Response:
    """An OSS error document, as OSS writes one: Code, Message, RequestId, HostId (and EC where known),
    with the request id also in `x-oss-request-id`."""
    from xml.sax.saxutils import escape

    request_id = uuid.uuid4().hex[:24].upper()
    number = OSS_ERROR_NUMBERS.get(code)
    body = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>{escape(code)}</Code>\n" \
           f"  <Message>{escape(message)}</Message>\n  <RequestId>{request_id}</RequestId>\n" \
           f"  <HostId>{escape(host)}</HostId>\n" + (f"  <EC>{number}</EC>\n" if number else "") + "</Error>\n"
    headers = {"x-oss-request-id": request_id, **({"x-oss-ec": number} if number else {})}
    return Response(body, status_code=status, media_type="application/xml", headers=headers)


class _Truncated(Response):
    """A download that stops half way, with the full length promised."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        with open(self.path, "rb") as handle:
            data = handle.read()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"video/mp4"), (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data[: len(data) // 2], "more_body": False})


def _task_view(emulator: Emulator, task: Task, status: str, base: str, request_id: str) -> dict[str, Any]:
    output: dict[str, Any] = {"task_id": task.id, "task_status": status, "submit_time": time_text(task.wall)}
    if status != "PENDING" and status != "CANCELED":
        output["scheduled_time"] = time_text(emulator.tasks.scheduled_wall(task))
    view: dict[str, Any] = {"request_id": request_id, "output": output}
    if status == "FAILED":
        output["end_time"] = time_text(emulator.tasks.end_wall(task))
        code, message = task.failure or ("InternalError", "Unknown error.")
        output.update(code=code, message=message)
    elif status == "SUCCEEDED":
        output["end_time"] = time_text(emulator.tasks.end_wall(task))
        output["orig_prompt"] = task.spec.prompt
        if task.spec.prompt_extend and task.spec.profile.data["usage"]["billed_seconds"] == "video_duration":
            output["actual_prompt"] = task.spec.prompt  # wan2.5 and older echo the prompt they used
        output["video_url"] = emulator.sign_url(base, task)
        view["usage"] = usage(task.spec)
    return view


def _task_list(emulator: Emulator, request: Request, request_id: str, account: str) -> Response:
    query = request.query_params
    now = emulator.wall()
    try:
        start = _parse_time(query.get("start_time")) or now - 24 * 3600
        end = _parse_time(query.get("end_time")) or now
        page_no = max(1, int(query.get("page_no", "1")))
        page_size = min(100, max(1, int(query.get("page_size", "10"))))
    except (ValueError, OverflowError):
        return _error(errors.MISSING, request_id)
    if end - start > 24 * 3600 or page_no > 10**6:
        return _error(errors.MISSING, request_id)
    region = REGION_IDS[emulator.config.region]
    rows: list[dict[str, Any]] = []
    for task in emulator.tasks.of_account(account):
        status = emulator.tasks.status(task)
        if not start <= task.wall <= end or status == "UNKNOWN":
            continue
        if query.get("model_name") and task.spec.model != query["model_name"]:
            continue
        if query.get("status") and status != query["status"]:
            continue
        if query.get("task_id") and task.id != query["task_id"]:
            continue
        fingerprint = emulator.accounts.public_id(task.key)
        rows.append({
            "task_id": task.id, "status": status, "model_name": task.spec.model, "region": region,
            "request_id": task.request_id, "api_key_id": fingerprint[:8],
            "caller_uid": emulator.accounts.public_id(task.account, 16),
            "caller_parent_id": emulator.accounts.public_id(task.account, 16), "user_api_unique_key": fingerprint,
            "gmt_create": int(task.wall * 1000), "start_time": int(task.wall * 1000),
            "end_time": int(emulator.tasks.end_wall(task) * 1000) if status in FINAL and status != "CANCELED" else None,
        })
    rows.sort(key=lambda row: (-row["gmt_create"], row["task_id"]))
    total = len(rows)
    page = rows[(page_no - 1) * page_size : page_no * page_size]
    return JSONResponse({"request_id": request_id, "total": total, "total_page": math.ceil(total / page_size),
                         "page_no": page_no, "page_size": page_size, "data": page})


def _parse_time(text: Union[str, None]) -> Union[float, None]:
    """`YYYYMMDDhhmmss` in UTC+8 -> epoch seconds."""
    if not text:
        return None
    import calendar

    if len(text) != 14 or not text.isascii() or not text.isdigit():
        raise ValueError(text)
    parsed = time.strptime(text, "%Y%m%d%H%M%S")
    return calendar.timegm(parsed) - 8 * 3600
