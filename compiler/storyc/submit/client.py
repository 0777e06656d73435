"""The HTTP client for the Wan text-to-video API (reference §2, §6, §7, §10, §11): one httpx.AsyncClient.

Errors form one small tree; every service error carries the service's `code`, `message` and
`request_id` (never the key, never a header):

    SubmitError                    anything that stops a call
    ├── ApiError                   the service answered with an error (HTTP status, code, message, request id)
    │   ├── InvalidRequest         400 parameter, content and URL problems: never retried
    │   ├── AuthError              401 InvalidApiKey / NOT AUTHORIZED (wrong key, or a key of another region)
    │   ├── AccessDenied           403 AccessDenied*, 400 Arrearage, quota and purchase states: never retried
    │   ├── NotFound               404 ModelNotFound, NotFound, …
    │   ├── RateLimited            429 Throttling*: retried after `retry_after` or a backoff
    │   ├── ServerError            500, 502, 503, 504: retried
    │   ├── TaskFailed             a task that ended FAILED: `output.code` and `output.message`
    │   └── UrlExpired             a result URL the storage no longer serves (403/404 from the signed URL)
    └── NetworkError               no answer at all; `sent` says whether the request may have arrived
        └── ResponseLost           the request was (maybe) received, its answer lost: a create is never
                                   resent blindly; the run loop looks for the task (§11) instead

Retries (`Retry`): 429, 500, 502, 503, 504 and connection errors, with exponential backoff, full jitter
and `Retry-After`. A create is retried only when the service said no (429, 5xx) or the connection was
never made; anything else where the request may have arrived surfaces as `ResponseLost`.
The key goes only to the service root; uploads and result downloads carry their own signatures.
An upload is retried here only when it cannot have reached storage; one whose answer was lost
raises `ResponseLost`, and `upload.ensure_uploaded` starts over with a fresh policy and key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import math
import mimetypes
import os
import random
import time
from typing import Any, AsyncContextManager, Awaitable, Callable, NamedTuple
from urllib.parse import quote, urlsplit

import httpx

from ..models.regions import API_PREFIX
from .files import PART_PREFIX
from .files import remove_partial_files as remove_partial_files  # where it was before

CREATE_PATH = "/services/aigc/video-generation/video-synthesis"
RETRIED_STATUS = (429, 500, 502, 503, 504)
# The task length `story emulator` announces (emulator/config.py SPEED_HINT); honoured only from a
# service root on loopback, where no real service is (docs/render.md, "Polling").
SPEED_HINT = "X-Storyc-Emulator-Task-Seconds"
NEVER_RETRIED = ("InvalidParameter", "DataInspectionFailed", "data_inspection_failed", "InvalidApiKey",
                 "invalid_api_key", "Arrearage", "AccessDenied", "access_denied", "IPInfringementSuspect")


class SubmitError(Exception):
    """Anything that stops a call to the service."""


class ApiError(SubmitError):
    def __init__(self, status: int, code: str, message: str, request_id: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id

    def __str__(self) -> str:
        where = f", request {self.request_id}" if self.request_id else ""
        status = f"HTTP {self.status}" if self.status else "task"
        return f"{self.code}: {self.message.strip()} ({status}{where})"


class InvalidRequest(ApiError):
    """400: a parameter, content or URL problem; sending the same request again cannot help."""


class AuthError(ApiError):
    """401: the key is wrong, or belongs to another region than the endpoint."""


class AccessDenied(ApiError):
    """403 and account states (Arrearage, quota, purchase): not retried."""


class NotFound(ApiError):
    """404: model, workspace or resource not found."""


class RateLimited(ApiError):
    def __init__(self, status: int, code: str, message: str, request_id: str = "",
                 retry_after: float | None = None) -> None:
        super().__init__(status, code, message, request_id)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: the service failed; worth another try later."""


class TaskFailed(ApiError):
    """A task that ended FAILED, with the service's `output.code` and `output.message`."""


class UrlExpired(ApiError):
    """A signed result URL that the storage no longer serves."""


class NetworkError(SubmitError):
    def __init__(self, message: str, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class ResponseLost(NetworkError):
    """The request may have reached the service, but its answer never arrived."""


_BY_STATUS: dict[int, type[ApiError]] = {400: InvalidRequest, 401: AuthError, 403: AccessDenied, 404: NotFound,
                                         429: RateLimited}
_ACCOUNT_CODES = ("Arrearage", "CommodityNotPurchased", "PrepaidBillOverdue", "PostpaidBillOverdue",
                  "Throttling.AllocationQuota", "insufficient_quota", "AllocationQuota.FreeTierOnly")


def error_for(status: int, document: Any, headers: httpx.Headers | None = None) -> ApiError:
    """The exception for an error answer (§6.2, §7); codes decide over statuses for account states."""
    fields = document if isinstance(document, dict) else {}
    code = str(fields.get("code") or f"HTTP{status}")
    message = str(fields.get("message") or "")
    request_id = str(fields.get("request_id") or "")
    if code in _ACCOUNT_CODES:
        return AccessDenied(status, code, message, request_id)
    if status == 429:
        return RateLimited(status, code, message, request_id, _retry_after(headers))
    if status >= 500:
        return ServerError(status, code, message, request_id)
    kind = _BY_STATUS.get(status, InvalidRequest if 400 <= status < 500 else ServerError)
    return kind(status, code, message, request_id)


def _retry_after(headers: httpx.Headers | None) -> float | None:
    value = (headers or httpx.Headers()).get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def retryable(error: BaseException) -> bool:
    if isinstance(error, ApiError):
        if error.code.split(".")[0] in NEVER_RETRIED or error.code in NEVER_RETRIED:
            return False
        return isinstance(error, (RateLimited, ServerError)) and error.status in RETRIED_STATUS
    return isinstance(error, NetworkError)


class Retry(NamedTuple):
    """Exponential backoff with full jitter: attempt n waits up to min(cap, base * 2**n)."""

    attempts: int = 8
    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, error: BaseException, rng: random.Random) -> float:
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after + rng.uniform(0, self.base)
        return rng.uniform(self.base / 2, min(self.cap, self.base * 2 ** attempt))


class Counters:
    """What the client did, for the summary and the benchmark."""

    def __init__(self) -> None:
        self.creates = 0
        self.queries = 0
        self.lists = 0
        self.throttled = 0
        self.retries = 0
        self.downloads = 0
        self.uploads = 0


class Created(NamedTuple):
    task_id: str
    request_id: str


class Downloaded(NamedTuple):
    path: str
    sha256: str
    size: int


Sleep = Callable[[float], Awaitable[None]]


class Client:
    """Calls to one service root with one key. `http` is shared by the whole run."""

    def __init__(self, http: httpx.AsyncClient, root: str, key: str, *, retry: Retry | None = None,
                 sleep: Sleep = asyncio.sleep, rng: random.Random | None = None,
                 query_turn: Callable[[], AsyncContextManager[None]] | None = None) -> None:
        self.http = http
        self.api = root.rstrip("/") + API_PREFIX
        self._key = key
        self.retry = retry or Retry()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.query_turn = query_turn  # the scheduler's pacer for the account's query rate
        self.counters = Counters()
        self._hints = on_loopback(root)
        self.hinted_seconds: float | None = None  # the emulator's task length, when it announced one

    def __repr__(self) -> str:  # never show the key
        return f"Client({self.api!r})"

    # -- plumbing ------------------------------------------------------------------------------
    def _headers(self, *, create: bool = False, oss: bool = False) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._key}"}
        if create:
            headers["Content-Type"] = "application/json"
            headers["X-DashScope-Async"] = "enable"
        if oss:
            headers["X-DashScope-OssResourceResolve"] = "enable"
        return headers

    async def _once(self, method: str, url: str, headers: dict[str, str], *, json: Any = None,
                    params: dict[str, Any] | None = None) -> Any:
        try:
            response = await self.http.request(method, url, headers=headers, json=json, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise NetworkError(f"cannot reach {self.api}: {type(error).__name__}", sent=False) from None
        except httpx.TransportError as error:
            raise ResponseLost(f"the answer from {self.api} was lost: {type(error).__name__}", sent=True) from None
        try:
            document = response.json()
        except ValueError:
            document = None
        if response.status_code != 200:
            raise error_for(response.status_code, document, response.headers)
        if self._hints:
            self._take_hint(response.headers.get(SPEED_HINT))
        if not isinstance(document, dict):
            raise ResponseLost(f"{self.api} answered HTTP 200 without a JSON object", sent=True)
        return document

    def _take_hint(self, value: str | None) -> None:
        try:
            seconds = float(value or "")
        except ValueError:
            return
        if math.isfinite(seconds) and 0 < seconds <= 24 * 3600:
            self.hinted_seconds = seconds

    async def _call(self, method: str, url: str, headers: dict[str, str], *, json: Any = None,
                    params: dict[str, Any] | None = None, resend: bool = True, query: bool = False) -> Any:
        """One call with retries; `resend` False: never repeat a request that may have arrived."""
        attempt = 0
        while True:
            try:
                if query and self.query_turn is not None:
                    async with self.query_turn():
                        return await self._once(method, url, headers, json=json, params=params)
                return await self._once(method, url, headers, json=json, params=params)
            except SubmitError as error:
                if isinstance(error, RateLimited):
                    self.counters.throttled += 1
                if not retryable(error) or (not resend and isinstance(error, NetworkError) and error.sent):
                    raise
                if attempt + 1 >= self.retry.attempts:
                    raise
                self.counters.retries += 1
                await self.sleep(self.retry.delay(attempt, error, self.rng))
                attempt += 1

    # -- the API -------------------------------------------------------------------------------
    async def create(self, body: dict[str, Any], path: str = CREATE_PATH) -> Created:
        """POST a task (§2.1) to `path` (first and last frame has its own, media §2.1); the OSS header
        only when the body holds an oss:// URL."""
        oss = _has_oss_url(body)
        self.counters.creates += 1
        document = await self._call("POST", self.api + path, self._headers(create=True, oss=oss),
                                    json=body, resend=False)
        output = document.get("output") or {}
        task_id = output.get("task_id")
        if not task_id:
            raise ResponseLost("the create answer holds no task id", sent=True)
        return Created(str(task_id), str(document.get("request_id", "")))

    async def query(self, task_id: str) -> dict[str, Any]:
        """GET a task (§2.3): the whole answer, `output` and `usage`."""
        self.counters.queries += 1
        document: dict[str, Any] = await self._call(
            "GET", f"{self.api}/tasks/{quote(task_id, safe='')}", self._headers(), query=True)
        return document

    async def cancel(self, task_id: str) -> None:
        await self._call("POST", f"{self.api}/tasks/{quote(task_id, safe='')}/cancel", self._headers(), query=True)

    async def list_tasks(self, start: float, end: float, model: str | None = None,
                         status: str | None = None) -> list[dict[str, Any]]:
        """Every task of the account in [start, end] (epoch seconds, at most 24 h apart), all pages."""
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            params: dict[str, Any] = {"start_time": service_time(start), "end_time": service_time(end),
                                      "page_no": page, "page_size": 100}
            if model:
                params["model_name"] = model
            if status:
                params["status"] = status
            self.counters.lists += 1
            document = await self._call("GET", f"{self.api}/tasks/", self._headers(), params=params, query=True)
            data = document.get("data") or []
            rows.extend(row for row in data if isinstance(row, dict))
            if page >= int(document.get("total_page") or 1) or not data:
                return rows
            page += 1

    async def upload_policy(self, model: str) -> dict[str, Any]:
        document = await self._call("GET", f"{self.api}/uploads", self._headers(),
                                    params={"action": "getPolicy", "model": model}, query=True)
        data = document.get("data")
        if not isinstance(data, dict) or "upload_host" not in data or "upload_dir" not in data:
            raise ServerError(200, "BadPolicy", "the upload policy answer has no upload_host/upload_dir",
                              str(document.get("request_id", "")))
        return data

    async def upload(self, policy: dict[str, Any], filename: str, content: bytes) -> str:
        """The multipart form upload (§10 step 2) -> `oss://{key}`. No key: the policy signs it.

        Retried only while the upload cannot have reached storage (no connection, 429, 5xx). A sent
        upload whose answer is lost raises ResponseLost: the policy forbids overwriting, so sending the
        same key again would meet 409 FileAlreadyExists; the caller takes a fresh policy and key.
        """
        key = f"{policy['upload_dir']}/{filename}"
        form = {
            "OSSAccessKeyId": str(policy.get("oss_access_key_id", "")), "Signature": str(policy.get("signature", "")),
            "policy": str(policy.get("policy", "")), "x-oss-object-acl": str(policy.get("x_oss_object_acl", "private")),
            "x-oss-forbid-overwrite": str(policy.get("x_oss_forbid_overwrite", "true")), "key": key,
            "success_action_status": "200",
            # as the SDK sends it (S9 OssUtils.upload): the object's Content-Type in storage
            "x-oss-content-type": mimetypes.guess_type(filename)[0] or "application/octet-stream",
        }
        attempt = 0
        while True:
            try:
                response = await self.http.post(str(policy["upload_host"]), data=form,
                                                files={"file": (filename, content)})
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                failure: SubmitError = NetworkError(f"cannot reach the upload storage: {type(error).__name__}",
                                                    sent=False)
            except httpx.TransportError as error:
                raise ResponseLost(f"the answer to the upload of {filename} was lost: {type(error).__name__}",
                                   sent=True) from None
            else:
                if response.status_code in (200, 204):
                    self.counters.uploads += 1
                    return f"oss://{key}"
                try:
                    document = response.json()
                except ValueError:
                    document = {"code": _xml_field(response.text, "Code") or f"HTTP{response.status_code}",
                                "message": _xml_field(response.text, "Message") or "the upload was refused",
                                "request_id": _xml_field(response.text, "RequestId")}
                failure = error_for(response.status_code, document, response.headers)
            if not retryable(failure) or attempt + 1 >= self.retry.attempts:
                raise failure
            self.counters.retries += 1
            await self.sleep(self.retry.delay(attempt, failure, self.rng))
            attempt += 1

    async def download(self, url: str, folder: str, name: str) -> Downloaded:
        """Stream a result video to a temporary file in `folder`, checking its length; hash it.

        The caller moves it into place. A cut-off or short download raises NetworkError (retry);
        a URL the storage refuses raises UrlExpired. The signed URL gets no Authorization header.
        """
        handle, temporary = _part_file(folder, name)
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(handle, "wb") as out:
                try:
                    async with self.http.stream("GET", url, timeout=httpx.Timeout(60.0, connect=10.0)) as response:
                        if response.status_code in (403, 404):
                            await response.aread()
                            raise UrlExpired(response.status_code, _xml_field(response.text, "Code") or "AccessDenied",
                                             _xml_field(response.text, "Message") or "the result URL is not served")
                        if response.status_code != 200:
                            raise ServerError(response.status_code, f"HTTP{response.status_code}",
                                              "the result download failed")
                        expected = response.headers.get("content-length")
                        async for chunk in response.aiter_bytes(1 << 16):
                            out.write(chunk)
                            digest.update(chunk)
                            size += len(chunk)
                except httpx.TransportError as error:
                    raise NetworkError(f"the download broke off: {type(error).__name__}", sent=True) from None
                if expected is not None and int(expected) != size:
                    raise NetworkError(f"the download stopped at {size} of {expected} bytes", sent=True)
                if size == 0:
                    raise NetworkError("the download was empty", sent=True)
                out.flush()
                await asyncio.to_thread(os.fsync, out.fileno())  # a slow disk must not stall the polls
        except BaseException:
            _remove(temporary)
            raise
        self.counters.downloads += 1
        return Downloaded(temporary, digest.hexdigest(), size)


def _part_file(folder: str, name: str) -> tuple[int, str]:
    import tempfile

    os.makedirs(folder, exist_ok=True)
    return tempfile.mkstemp(prefix=f"{PART_PREFIX}{name}-", suffix=".mp4", dir=folder)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def on_loopback(root: str) -> bool:
    """True for a service root on this machine (127.0.0.0/8, ::1, localhost): an emulator, never the service."""
    try:
        host = urlsplit(root).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _xml_field(text: str, field: str) -> str:
    start = text.find(f"<{field}>")
    end = text.find(f"</{field}>")
    return text[start + len(field) + 2 : end] if 0 <= start < end else ""


def _has_oss_url(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("oss://")
    if isinstance(value, dict):
        return any(_has_oss_url(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_oss_url(item) for item in value)
    return False


def service_time(epoch: float) -> str:
    """`YYYYMMDDhhmmss` in UTC+8, as the list-tasks endpoint takes times (§11)."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(epoch + 8 * 3600))


def parse_service_time(text: Any) -> float | None:
    """`YYYY-MM-DD HH:mm:ss.SSS` (UTC+8) from a task answer -> epoch seconds."""
    import calendar

    if not isinstance(text, str) or len(text) < 19:
        return None
    try:
        parsed = time.strptime(text[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    fraction = float("0" + text[19:]) if text[19:20] == "." else 0.0
    return calendar.timegm(parsed) - 8 * 3600 + fraction
