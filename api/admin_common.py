"""What every console route shares: ISO times, limits, signed cursors, path-id checks."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from typing import Any

import msgspec
from litestar import Request

from api.admin_auth import console_of
from api.calls import container_of
from api.errors import ApiError

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
EXTERNAL_ID = re.compile(r"^[^\x00-\x1f\x7f]{1,256}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def iso(ts: float | None) -> str | None:
    """console.md §0: ISO-8601 UTC with milliseconds and ``Z``."""
    if ts is None:
        return None
    moment = dt.datetime.fromtimestamp(ts, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(value: str, field: str) -> float:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_value(field, "not an ISO-8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def bad_value(field: str, message: str) -> ApiError:
    return ApiError(
        400,
        "validation_failed",
        f"{field}: {message}",
        details=[{"path": f"$.{field}", "field": field, "message": message}],
    )


def limit_of(request: Request[Any, Any, Any], default: int, maximum: int) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise bad_value("limit", "an integer >= 1")
    return min(int(raw), maximum)


def check_id(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(value):
        raise ApiError(400, "bad_id", f"{what} is malformed")
    return value


# --- cursors: opaque, HMAC-signed, bound to tenant + endpoint + filters -----------------------
def _sig(request: Request[Any, Any, Any], endpoint: str, filters: dict[str, Any], body: bytes) -> str:
    tenant = console_of(request).tenant_id
    bound = msgspec.json.encode([tenant, endpoint, sorted((k, str(v)) for k, v in filters.items())])
    key = container_of(request).secret_box.cursor_key
    return base64.urlsafe_b64encode(hmac.new(key, bound + b"|" + body, hashlib.sha256).digest()[:18]).decode()


def make_cursor(
    request: Request[Any, Any, Any], endpoint: str, filters: dict[str, Any], key: list[Any]
) -> str:
    body = msgspec.json.encode(key)
    encoded = base64.urlsafe_b64encode(body).decode().rstrip("=")
    return f"{encoded}.{_sig(request, endpoint, filters, body)}"


def read_cursor(request: Request[Any, Any, Any], endpoint: str, filters: dict[str, Any]) -> list[Any] | None:
    raw = request.query_params.get("cursor")
    if raw is None:
        return None
    encoded, _, sig = raw.partition(".")
    try:
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        ok = hmac.compare_digest(sig, _sig(request, endpoint, filters, body))
        key = msgspec.json.decode(body) if ok else None
    except (ValueError, msgspec.DecodeError):
        key = None
    if not isinstance(key, list):
        raise ApiError(400, "bad_cursor", "cursor was not issued for this tenant, endpoint and filters")
    return key
