"""Writes the command log: one entry per state-changing call that passed authentication.

The middleware sees the whole exchange (route template, query, body, status, error code,
and the ids of the events the call saved) and records the entry *before* the response
leaves, so a client that reads the log after a call always finds that call in it.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import anyio
import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.base import CommandMeta, collect_event_ids

_TYPED = re.compile(r"\{(\w+):\w+\}")
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
SECRET_KEYS = frozenset({"password", "token", "api_key", "imap_password", "secret", "authorization"})
CAPTURE_LIMIT = 1024 * 1024  # bodies beyond this are logged by size only
UNLOGGED = ("/_test/",)
MASK = "***"


def redact(value: Any) -> Any:
    """Secrets to ``***`` at any depth; base64 attachment content to its size."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if str(key).lower() in SECRET_KEYS and item is not None:
                out[key] = MASK
            elif key == "storage_path" and isinstance(item, str) and item.startswith("base64:"):
                out[key] = f"<base64 {len(item) - 7} bytes>"
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


# Console bodies carry personal data (console.md §2.4): the command log keeps its shape, not
# its values, so a forgotten contact's address survives nowhere in clear.
PERSONAL_KEYS = frozenset({"email", "fields", "tags", "timezone", "locale", "properties", "consentIp",
                           "consentUserAgent", "contacts", "add", "remove", "addTags", "notes", "note",
                           "vars", "to", "contact", "sampleContact"})  # send variables and recipients too


def redact_personal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (_shape(v) if k in PERSONAL_KEYS else redact_personal(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_personal(v) for v in value]
    return value


def _shape(value: Any) -> Any:
    if isinstance(value, list):
        return {"count": len(value)}
    return None if value is None else MASK


def _payload(scope: Scope, body: bytes) -> dict[str, Any]:
    query = {k.decode(): v.decode() for k, _, v in
             (part.partition(b"=") for part in scope.get("query_string", b"").split(b"&") if part)}
    if scope["path"].startswith("/bounces/inbound"):
        return {"query": query, "body": {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}}
    if len(body) > CAPTURE_LIMIT:
        return {"query": query, "body": {"size": len(body)}}
    try:
        decoded = msgspec.json.decode(body) if body.strip() else None
    except msgspec.DecodeError:
        decoded = {"size": len(body), "invalid_json": True}
    if scope["path"].startswith("/admin/api/"):
        return {"query": redact_personal(redact(query)), "body": redact_personal(redact(decoded))}
    return {"query": redact(query), "body": redact(decoded)}


def _error_code(status: int, body: bytes) -> str | None:
    if status < 400:
        return None
    try:
        return str(msgspec.json.decode(body).get("error"))
    except (msgspec.DecodeError, AttributeError):
        return "error"


def command_log_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS or \
                scope["path"].startswith(UNLOGGED):
            await app(scope, receive, send)
            return
        body = bytearray()

        async def capture(message: Any = None) -> Message:
            msg = await receive()
            if msg["type"] == "http.request" and len(body) <= CAPTURE_LIMIT:
                body.extend(msg.get("body", b""))
            return msg

        held: list[Message] = []
        out = bytearray()
        with collect_event_ids() as event_ids:

            async def hold(message: Message) -> None:
                held.append(message)
                if message["type"] == "http.response.body":
                    out.extend(message.get("body", b""))
                    if not message.get("more_body", False):
                        await _record(scope, bytes(body), held, bytes(out), list(event_ids))
                        for item in held:
                            await send(item)
                        held.clear()
                elif message["type"] != "http.response.start":
                    await send(message)

            await app(scope, capture, hold)

    return middleware


def route_template(scope: Scope) -> str:
    """``/tenant/{id:str}`` -> ``/tenant/{id}``: the route as the contract names it."""
    return _TYPED.sub(r"{\1}", scope.get("path_template") or scope["path"])


async def _record(scope: Scope, body: bytes, held: list[Message], out: bytes, event_ids: list[str]) -> None:
    state: dict[str, Any] = scope.get("state", {})  # type: ignore[assignment]
    caller = state.get("caller")
    if caller is None:
        return  # 401s and unauthenticated routes are counted, not logged
    start = next(m for m in held if m["type"] == "http.response.start")
    status = int(start["status"])
    entry = {
        "endpoint": f"{scope['method']} {route_template(scope)}",
        "path": scope["path"],
        "tenant_id": state.get("command_tenant") or caller.tenant_id,
        "actor": caller.describe(),
        "request_id": state.get("request_id", ""),
        "payload": _payload(scope, body),
        "status": status,
        "outcome": "accepted" if status < 400 else "rejected",
        "error": _error_code(status, out),
        "event_ids": event_ids,
    }
    container = scope["app"].state.container
    meta = CommandMeta(actor=caller.actor, command_id=state.get("request_id"))
    await anyio.to_thread.run_sync(lambda: container.tenancy.record_command(entry, meta))
