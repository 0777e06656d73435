"""The service's error answers (API reference §6.2, §6.5, §7), in one place."""

from __future__ import annotations

from typing import NamedTuple


class ApiError(NamedTuple):
    status: int
    code: str
    message: str


NO_KEY = ApiError(401, "InvalidApiKey", "No API-key provided.")
BAD_KEY = ApiError(401, "InvalidApiKey", "Invalid API-key provided.")
SYNC_NOT_SUPPORTED = ApiError(403, "AccessDenied", "current user api does not support synchronous calls.")
ASYNC_ON_QUERY = ApiError(403, "AccessDenied", "current user api does not support asynchronous calls.")
BAD_BODY = ApiError(400, "InvalidParameter", "Required body invalid, please check the request body format.")
MISSING = ApiError(400, "InvalidParameter", "Required parameter(s) missing or invalid, please check the request parameters.")
EMPTY_MODEL = ApiError(400, "BadRequest.EmptyModel", "Required parameter 'model' missing from request.")
NO_MODEL = ApiError(400, "InvalidParameter", "Model not exist.")
THROTTLED = ApiError(429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.")
INTERNAL = ApiError(500, "InternalError", "An internal error has occured, please try again later or contact service support.")
UNAVAILABLE = ApiError(503, "ModelUnavailable", "Model is unavailable, please try again later.")
CANNOT_CANCEL = ApiError(400, "UnsupportedOperation", "Failed to cancel the task, please confirm if the task is in PENDING status.")
POLICY_EXPIRED = ApiError(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
BAD_URL = ApiError(400, "InvalidURL", "Invalid URL provided in your request.")
NOT_FOUND = ApiError(404, "NotFound", "The requested resource does not exist.")
DATA_INSPECTION = ApiError(400, "DataInspectionFailed", "Input data may contain inappropriate content.")
ARREARAGE = ApiError(400, "Arrearage", "Access denied, please make sure your account is in good standing.")
ALLOCATION_QUOTA = ApiError(429, "Throttling.AllocationQuota", "Allocated quota exceeded, please increase your quota limit.")
BURST_RATE = ApiError(429, "Throttling.BurstRate", "Request rate increased too quickly, please smooth your request rate.")
TOO_LARGE = ApiError(400, "InvalidParameter", "Request body is too large.")
BODY_TIMEOUT = ApiError(408, "RequestTimeOut", "The request body did not arrive in time.")

# Run-time failures (output.code / output.message of a FAILED task).
TASK_ALGO = ("InternalError.Algo", "An internal error occurred while generating the video.")
TASK_TIMEOUT = ("InternalError.Timeout", "The task did not finish in time, please try again later.")
TASK_INSPECTION = ("DataInspectionFailed", "Output data may contain inappropriate content.")
