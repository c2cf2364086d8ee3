"""The one error map: every 4xx/5xx leaves as {"error", "message", "request_id", ...}.

Proxy routes answer schema violations with 422 and console routes (/admin/api) with 400,
as their contracts say; a body that is not JSON is 400 ``invalid_json`` everywhere.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import msgspec
import psycopg
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from adapters.bootstrap import ProjectionLagError
from domain.errors import RuleViolation
from domain.templates.rules import GateRefused

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "expired",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """Raised by controllers for a known failure; mapped to the uniform body."""

    def __init__(self, status: int, error: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.extra = extra


class FieldError(msgspec.Struct, frozen=True):
    field: str
    reason: str
    message: str


def error_response(request: Request[Any, Any, Any], status: int, error: str, message: str,
                   **extra: Any) -> Response[Any]:
    request_id = request_id_of(request)
    body = {"error": error, "message": message, "request_id": request_id, **extra}
    headers = {"X-Request-Id": request_id}
    if status == 503:
        headers["Retry-After"] = "1"
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def request_id_of(request: Request[Any, Any, Any]) -> str:
    """The id the middleware gave; router errors (404/405) come before it, so make one."""
    state = request.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    if not state.get("request_id"):
        state["request_id"] = uuid.uuid4().hex
    return str(state["request_id"])


def is_console(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/admin/api")


def _validation_details(exc: ValidationException) -> list[dict[str, str]]:
    details = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "body")
            details.append({"field": field, "reason": _reason(str(item.get("message", ""))),
                            "message": str(item.get("message", ""))})
    return details


def _reason(text: str) -> str:
    lowered = text.lower()
    for needle, reason in (("unknown field", "unknown"), ("missing required", "missing"),
                           ("expected", "type"), ("length", "length"), ("pattern", "pattern"),
                           ("invalid enum", "enum"), (">=", "range"), ("<=", "range")):
        if needle in lowered:
            return reason
    return "type"


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    message = str(exc.detail)
    if "json is malformed" in message.lower() or "malformed" in message.lower():
        return error_response(request, 400, "invalid_json", "request body is not valid JSON")
    status = 400 if is_console(request) else 422
    return error_response(request, status, "validation_failed", message,
                          details=_validation_details(exc))


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    code = CODES.get(status, "error")
    message = str(exc.detail) if exc.detail else code.replace("_", " ")
    if status == 404:
        message = "no such resource"
    if status == 413:
        message = "request body exceeds the configured limit"
    return error_response(request, status, code, message)


def handle_api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    return error_response(request, exc.status, exc.error, exc.message, **exc.extra)


def handle_rule(request: Request[Any, Any, Any], exc: RuleViolation) -> Response[Any]:
    status = exc.status
    if status == 422 and is_console(request):
        status = 400
    extra: dict[str, Any] = {}
    if exc.field and exc.code == "validation_failed":
        extra["details"] = [{"field": exc.field, "reason": getattr(exc, "reason", "type"),
                             "message": exc.message}]
    return error_response(request, status, exc.code, exc.message, **extra)


def handle_gate(request: Request[Any, Any, Any], exc: GateRefused) -> Response[Any]:
    """A publish gate's refusal keeps its status (422 too) and its extras (console.md §5.4)."""
    return error_response(request, exc.status, exc.code, exc.message, **exc.extra)


def handle_lag(request: Request[Any, Any, Any], exc: ProjectionLagError) -> Response[Any]:
    log.warning("read model lag on %s %s: %s", request.method, request.url.path, exc)
    return error_response(request, 503, "unavailable", "read models are catching up; retry shortly")


def handle_database_down(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database went away (a restart, a failover): the server's trouble, not the caller's
    mistake, so 503 with Retry-After (the work may or may not have been saved), never 500."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return error_response(request, 503, "unavailable", "the database is unavailable; retry shortly")


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal_error",
                          "an unexpected error occurred")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: handle_api_error,
    GateRefused: handle_gate,
    RuleViolation: handle_rule,
    ProjectionLagError: handle_lag,
    psycopg.OperationalError: handle_database_down,
    StoreOperationalError: handle_database_down,
    StoreInterfaceError: handle_database_down,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}
