"""The emulator's HTTP surface: the DashScope text-to-video paths, headers, bodies and errors.

    create_app(config) -> Starlette application (ASGI)

Served by `story emulator`, or in-process through httpx's ASGITransport (see `testing.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
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
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..profile import Catalog, catalog
from . import errors
from .config import EmulatorConfig
from .errors import ApiError
from .tasks import Task, TaskFailure, TaskStore, time_text, usage
from .uploads import Uploads
from .validate import TaskSpec, inspect

CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"


class Emulator:
    """State shared by the routes: tasks, uploads, signing secret and fault dice."""

    def __init__(self, config: EmulatorConfig, profiles: Catalog, clock: Callable[[], float],
                 wall: Callable[[], float]) -> None:
        self.config = config
        self.profiles = profiles
        self.storage = config.storage
        if not self.storage:  # uploads and videos then live in a temporary folder, removed with the app
            self.storage = tempfile.mkdtemp(prefix="storyc-emulator-")
            weakref.finalize(self, shutil.rmtree, self.storage, ignore_errors=True)
        self.secret = secrets.token_bytes(32)
        self.uploads = Uploads(self.storage, self.secret, config.policy_lifetime_seconds, config.upload_lifetime_seconds)
        self.tasks = TaskStore(config, self.storage, clock, wall, self._audio_for)
        self.wall = wall

    # -- helpers -----------------------------------------------------------------------------
    def roll(self, rate: float) -> bool:
        return rate > 0 and self.tasks.random.random() < rate

    def key(self, request: Request) -> Union[str, ApiError]:
        header = request.headers.get("authorization", "")
        if not header.strip():
            return errors.NO_KEY
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return errors.NO_KEY
        allowed = self.config.api_keys
        if (allowed is not None and key not in allowed) or (allowed is None and not key.startswith("sk-")):
            return errors.BAD_KEY
        return key

    def url_signature(self, task_id: str, expires: str) -> str:
        return self.uploads.sign(f"{task_id}:{expires}").replace("+", "-").replace("/", "_").rstrip("=")

    def sign_url(self, base: str, task: Task) -> str:
        expires = str(int(self.wall() + self.config.url_lifetime_seconds))
        signature = self.url_signature(task.id, expires)
        return f"{base}results/{task.id}.mp4?Expires={expires}&OSSAccessKeyId=STORYC-EMULATOR&Signature={signature}"

    def _audio_for(self, task: Task) -> Union[str, None]:
        url = task.spec.audio_url
        if not url:
            return None
        path = task.audio_path or _download(url, self.storage)
        _check_audio(path, task.spec)
        return path


def _download(url: str, storage: str) -> str:
    import httpx

    try:
        response = httpx.get(url, timeout=5.0, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError:
        raise TaskFailure("InvalidParameter.DataInspection",
                          "Unable to download the media resource during the data inspection process.") from None
    suffix = os.path.splitext(urlsplit(url).path)[1]
    handle, path = tempfile.mkstemp(suffix=suffix, dir=storage)
    with os.fdopen(handle, "wb") as out:
        out.write(response.content)
    return path


def _check_audio(path: str, spec: TaskSpec) -> None:
    from ..audio import measure_seconds

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


def _error(error: ApiError, request_id: str) -> JSONResponse:
    return JSONResponse({"code": error.code, "message": error.message, "request_id": request_id},
                        status_code=error.status)


class _Dropped(Response):
    """Headers promise a body that never fully arrives: the client sees the connection drop."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"output": {"task_', "more_body": False})


async def _faults(emulator: Emulator, request_id: str, submission: bool) -> Union[Response, None]:
    faults = emulator.config.faults
    if emulator.roll(faults.slow):
        await asyncio.sleep(faults.slow_seconds)
    if emulator.roll(faults.drop):
        return _Dropped()
    if emulator.roll(faults.error_500):
        return _error(errors.INTERNAL, request_id)
    if submission and emulator.roll(faults.error_503):
        return _error(errors.UNAVAILABLE, request_id)
    if submission and emulator.roll(faults.throttle):
        return _error(errors.THROTTLED, request_id)
    return None


def create_app(config: Union[EmulatorConfig, None] = None, profiles: Union[Catalog, None] = None,
               clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time) -> Starlette:
    emulator = Emulator(config or EmulatorConfig(), profiles or catalog(), clock, wall)

    async def create_task(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        key = emulator.key(request)
        if isinstance(key, ApiError):
            return _error(key, request_id)
        if request.headers.get("x-dashscope-async", "").lower() != "enable":
            return _error(errors.SYNC_NOT_SUPPORTED, request_id)
        faulted = await _faults(emulator, request_id, submission=True)
        if faulted is not None:
            return faulted
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(errors.BAD_BODY, request_id)
        spec = inspect(body, emulator.profiles)
        if isinstance(spec, ApiError):
            return _error(spec, request_id)
        audio_path = None
        if spec.audio_url:
            scheme = urlsplit(spec.audio_url).scheme
            if scheme == "oss":
                if request.headers.get("x-dashscope-ossresourceresolve", "").lower() != "enable":
                    return _error(errors.BAD_URL, request_id)
                audio_path = emulator.uploads.resolve(spec.audio_url, key, spec.model)
                if audio_path is None:
                    return _error(errors.BAD_URL, request_id)
            elif scheme not in ("http", "https"):
                return _error(errors.BAD_URL, request_id)
        if not emulator.tasks.admit(key, spec):
            return _error(errors.THROTTLED, request_id)
        task = emulator.tasks.submit(spec, key, request_id, audio_path)
        return JSONResponse({"output": {"task_status": "PENDING", "task_id": task.id}, "request_id": request_id})

    async def get_task(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        key = emulator.key(request)
        if isinstance(key, ApiError):
            return _error(key, request_id)
        if request.headers.get("x-dashscope-async", "").lower() == "enable":
            return _error(errors.ASYNC_ON_QUERY, request_id)
        faulted = await _faults(emulator, request_id, submission=False)
        if faulted is not None:
            return faulted
        task = emulator.tasks.get(request.path_params["task_id"])
        status = emulator.tasks.status(task) if task is not None else "UNKNOWN"
        if task is None or status == "UNKNOWN":
            return JSONResponse({"request_id": request_id, "output": {
                "task_id": request.path_params["task_id"], "task_status": "UNKNOWN"}})
        return JSONResponse(_task_view(emulator, task, status, str(request.base_url), request_id))

    async def cancel_task(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        key = emulator.key(request)
        if isinstance(key, ApiError):
            return _error(key, request_id)
        task = emulator.tasks.get(request.path_params["task_id"])
        if task is None or not emulator.tasks.cancel(task):
            return _error(errors.CANNOT_CANCEL, request_id)
        return JSONResponse({"request_id": request_id})

    async def list_tasks(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        key = emulator.key(request)
        if isinstance(key, ApiError):
            return _error(key, request_id)
        return _task_list(emulator, request, request_id)

    async def upload_policy(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        key = emulator.key(request)
        if isinstance(key, ApiError):
            return _error(key, request_id)
        model = request.query_params.get("model", "")
        if request.query_params.get("action") != "getPolicy" or not model:
            return _error(errors.MISSING, request_id)
        if emulator.profiles.get(model) is None:
            return _error(errors.NO_MODEL, request_id)
        host = f"{request.base_url}oss/upload"
        return JSONResponse({"request_id": request_id, "data": emulator.uploads.policy(key, model, host)})

    async def oss_upload(request: Request) -> Response:
        async with request.form(max_part_size=1024 ** 3) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                return _oss_error("InvalidArgument", "the file field is missing")
            data = await upload.read()
            fields = {name: value for name, value in form.items() if isinstance(value, str)}
        refused = emulator.uploads.accept(fields, data)
        if refused == "PolicyExpired":
            return _error(errors.POLICY_EXPIRED, str(uuid.uuid4()))
        if refused:
            return _oss_error(refused, "the upload was refused", 403)
        return Response(status_code=int(fields.get("success_action_status", "204") or 204))

    async def download(request: Request) -> Response:
        name = request.path_params["name"]
        task = emulator.tasks.get(name.removesuffix(".mp4"))
        expires = request.query_params.get("Expires", "")
        signature = request.query_params.get("Signature", "")
        if task is None or not expires.isdigit():
            return _oss_error("AccessDenied", "Request has expired or is not signed.", 403)
        if not secrets.compare_digest(emulator.url_signature(task.id, expires), signature):
            return _oss_error("SignatureDoesNotMatch", "The request signature does not match.", 403)
        if int(expires) < emulator.wall():
            return _oss_error("AccessDenied", "Request has expired.", 403)
        if task.video is None or not task.video.done() or task.video.exception() or not task.video.result():
            return _oss_error("NoSuchKey", "The specified key does not exist.", 404)
        path = task.video.result()
        if emulator.roll(emulator.config.faults.truncate_download):
            return _Truncated(path)
        return FileResponse(path, media_type="video/mp4")

    routes = [
        Route(CREATE, create_task, methods=["POST"]),
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
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        emulator.tasks.shutdown()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.emulator = emulator
    return app


def _oss_error(code: str, message: str, status: int = 400) -> Response:
    body = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return Response(body, status_code=status, media_type="application/xml")


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
    config = emulator.config
    output: dict[str, Any] = {"task_id": task.id, "task_status": status,
                              "submit_time": time_text(task.wall)}
    if status != "PENDING" and status != "CANCELED":
        output["scheduled_time"] = time_text(task.wall + config.pending_seconds / config.speed)
    view: dict[str, Any] = {"request_id": request_id, "output": output}
    if status == "FAILED":
        output["end_time"] = time_text(task.wall + (config.pending_seconds + config.running_seconds) / config.speed)
        code, message = task.failure or ("InternalError", "Unknown error.")
        output.update(code=code, message=message)
    elif status == "SUCCEEDED":
        output["end_time"] = time_text(task.wall + (config.pending_seconds + config.running_seconds) / config.speed)
        output["orig_prompt"] = task.spec.prompt
        if task.spec.prompt_extend and task.spec.profile.data["usage"]["billed_seconds"] == "video_duration":
            output["actual_prompt"] = task.spec.prompt  # wan2.5 and older echo the prompt they used
        output["video_url"] = emulator.sign_url(base, task)
        view["usage"] = usage(task.spec)
    return view


def _task_list(emulator: Emulator, request: Request, request_id: str) -> Response:
    query = request.query_params
    now = emulator.wall()
    try:
        start = _parse_time(query.get("start_time")) or now - 24 * 3600
        end = _parse_time(query.get("end_time")) or now
        page_no = max(1, int(query.get("page_no", "1")))
        page_size = min(100, max(1, int(query.get("page_size", "10"))))
    except ValueError:
        return _error(errors.MISSING, request_id)
    if end - start > 24 * 3600:
        return _error(errors.MISSING, request_id)
    rows: list[dict[str, Any]] = []
    for task in list(emulator.tasks.tasks.values()):
        status = emulator.tasks.status(task)
        if not start <= task.wall <= end or status == "UNKNOWN":
            continue
        if query.get("model_name") and task.spec.model != query["model_name"]:
            continue
        if query.get("status") and status != query["status"]:
            continue
        if query.get("task_id") and task.id != query["task_id"]:
            continue
        rows.append({
            "task_id": task.id, "status": status, "model_name": task.spec.model, "region": "ap-southeast-1",
            "request_id": task.request_id, "api_key_id": _fingerprint(task.key)[:8],
            "caller_uid": "emulator", "caller_parent_id": "emulator", "user_api_unique_key": _fingerprint(task.key),
            "gmt_create": int(task.wall * 1000), "start_time": int(task.wall * 1000),
            "end_time": int((task.wall + (emulator.config.pending_seconds + emulator.config.running_seconds)
                             / emulator.config.speed) * 1000),
        })
    rows.sort(key=lambda row: (-row["gmt_create"], row["task_id"]))
    total = len(rows)
    page = rows[(page_no - 1) * page_size : page_no * page_size]
    return JSONResponse({"request_id": request_id, "total": total, "total_page": math.ceil(total / page_size),
                         "page_no": page_no, "page_size": page_size, "data": page})


def _fingerprint(key: str) -> str:
    """Identifies a key in listings without showing any of it."""
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _parse_time(text: Union[str, None]) -> Union[float, None]:
    """`YYYYMMDDhhmmss` in UTC+8 -> epoch seconds."""
    if not text:
        return None
    import calendar

    parsed = time.strptime(text, "%Y%m%d%H%M%S")
    return calendar.timegm(parsed) - 8 * 3600
