"""Request bodies: content type, size, JSON and schema, each failure with its own answer."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from litestar import Request

from api.errors import ApiError, is_console

T = TypeVar("T")

_AT = re.compile(r"^(?P<msg>.*?)(?: - at `(?P<path>[^`]*)`)?$", re.S)
_NAMED = re.compile(r"field `([^`]+)`")


def _field_and_reason(text: str) -> tuple[str, str, str]:
    match = _AT.match(text)
    assert match is not None
    msg, path = match.group("msg"), (match.group("path") or "$")
    named = _NAMED.search(msg)
    if "unknown field" in msg:
        reason = "unknown"
    elif "missing required field" in msg:
        reason = "missing"
    elif "Expected `" in msg and ">=" not in msg and "<=" not in msg:
        reason = "length" if "length" in msg else "type"
    elif "length" in msg:
        reason = "length"
    elif "pattern" in msg:
        reason = "pattern"
    elif "Invalid enum" in msg:
        reason = "enum"
    else:
        reason = "range"
    if named and reason in ("unknown", "missing"):
        path = f"{path}.{named.group(1)}"
    field = path.removeprefix("$").lstrip(".") or "body"
    return field, reason, msg


def validation_error(request: Request[Any, Any, Any], exc: msgspec.ValidationError) -> ApiError:
    field, reason, msg = _field_and_reason(str(exc))
    status = 400 if is_console(request) else 422
    detail = {"field": field, "reason": reason, "message": msg}
    if is_console(request):
        detail["path"] = "$" if field == "body" else f"$.{field}"
    return ApiError(status, "validation_failed", f"{field}: {msg}", details=[detail])


def _field_problems(data: dict[str, Any], type_: type[Any],
                    required: tuple[str, ...]) -> list[dict[str, str]]:
    """Every unknown and missing top-level field at once (msgspec stops at the first)."""
    if not isinstance(type_, type) or not issubclass(type_, msgspec.Struct):
        return []
    infos = msgspec.structs.fields(type_)
    problems = []
    if type_.__struct_config__.forbid_unknown_fields:
        known = {f.encode_name for f in infos}
        problems += [{"field": k, "reason": "unknown", "message": f"unknown field `{k}`"}
                     for k in data if k not in known]
    needed = [f.encode_name for f in infos if f.required] + list(required)
    problems += [{"field": f, "reason": "missing", "message": f"missing required field `{f}`"}
                 for f in dict.fromkeys(needed) if f not in data]
    return problems


CONSOLE_BODY_LIMIT = 1 << 20  # console.md §0: console JSON bodies <= 1 MiB ...
CONSOLE_IMPORT_LIMIT = 20 << 20  # ... a contacts import <= 20 MiB


async def decode_body(request: Request[Any, Any, Any], type_: type[T], *,
                      empty_ok: bool = False, required: tuple[str, ...] = ()) -> T:
    """Decode a JSON body into ``type_`` or raise the contract's error (415/413/400/422).
    ``required`` names fields that this call needs although the type has defaults."""
    body = await request.body()  # enforces request_max_body_size with a 413
    if is_console(request):
        limit = CONSOLE_IMPORT_LIMIT if request.url.path.endswith("/contacts/import") else CONSOLE_BODY_LIMIT
        if len(body) > limit:
            raise ApiError(413, "payload_too_large", f"console bodies are at most {limit >> 20} MiB")
    if not body.strip() and empty_ok:
        return msgspec.convert({}, type_)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        data = msgspec.json.decode(body)
        if isinstance(data, dict):
            problems = _field_problems(data, type_, required)
            if problems:
                status = 400 if is_console(request) else 422
                if is_console(request):  # console.md §1.3 names the JSON path
                    problems = [{**p, "path": f"$.{p['field']}"} for p in problems]
                first = problems[0]
                raise ApiError(status, "validation_failed", f"{first['field']}: {first['message']}",
                               details=problems)
        return msgspec.convert(data, type=type_)
    except msgspec.ValidationError as exc:
        if str(exc).startswith("Expected `object`") and "- at" not in str(exc):
            raise ApiError(400, "invalid_json", "request body must be a JSON object") from exc
        raise validation_error(request, exc) from exc
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", "request body is not valid JSON") from exc


def peek_json(body: bytes) -> Any:
    """The body decoded loosely (None if it is not JSON): to read a selector before validation."""
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
