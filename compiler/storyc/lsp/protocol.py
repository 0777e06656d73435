"""Every request gets an answer: a result or a JSON-RPC error.

pygls reads a message into lsprotocol's types before it dispatches it; a request whose params fail
that (a position of -1 or past 2^31, a string where a number goes, no params at all) is logged and
dropped, and the editor waits for its answer forever. Here such a request is answered with
InvalidParams and a message naming what was wrong; a request after `shutdown` with InvalidRequest.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Union

from cattrs import transform_error
from cattrs.v import format_exception
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.protocol import LanguageServerProtocol

MAX_REASONS = 3  # a message names the first few problems, enough to find the field


class Unanswerable(NamedTuple):
    """A request that could not be read into its types, and the error that answers it."""

    id: Union[int, str, None]
    error: types.ResponseError


class AlwaysAnswering(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "id" not in data or "method" not in data or "jsonrpc" not in data:
                raise  # a notification or a response: there is nobody to answer
            return Unanswerable(_request_id(data["id"]), types.ResponseError(
                code=error.code, message=_explained(data["method"], error)))

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Unanswerable):
            # as a plain object: pygls leaves out a null id, which JSON-RPC requires written out
            self._send_data({"jsonrpc": "2.0", "id": message.id,
                             "error": {"code": message.error.code, "message": message.error.message}})
            return
        method = getattr(message, "method", None)
        if self._shutdown and method not in (None, types.EXIT) and hasattr(message, "id"):
            self._send_response(message.id, None, JsonRpcInvalidRequest(
                f"{method}: the server is shutting down (after `shutdown` only `exit` is read)"
            ).to_response_error())
            return
        super().handle_message(message)


def _request_id(value: Any) -> Union[int, str, None]:
    """The id to answer with; one that is neither a number nor a string is answered as null (JSON-RPC)."""
    return value if isinstance(value, int | str) and not isinstance(value, bool) else None


def _explained(method: Any, error: JsonRpcException) -> str:
    name = method if isinstance(method, str) else repr(method)
    cause = error.__cause__
    if not isinstance(error, JsonRpcInvalidParams) or cause is None:
        return f"{name}: the request could not be read ({error.message})"

    def described(exception: BaseException, wanted: Union[type, None]) -> str:
        if isinstance(exception, ValueError) and str(exception):
            return str(exception)  # lsprotocol's own words: "Position.line should be in range [0:2147483647], but was -1."
        return format_exception(exception, wanted)

    reasons = transform_error(cause, "$", described)
    shown = "; ".join(reasons[:MAX_REASONS]) + ("; …" if len(reasons) > MAX_REASONS else "")
    return f"invalid params for {name}: {shown}"
