"""``X-Consistency-Token`` (console.md §1.4): read your own writes across requests.

A 2xx write answers with a token naming the newest position it saved in each log. A GET that
sends the token back waits (at most 5 s) until every read model following those logs has
caught up to them, else answers 503 ``projection_lag`` with ``Retry-After: 1``. The token is
opaque to clients and not a secret: a forged one can only make its own request wait.
"""

from __future__ import annotations

import base64
import binascii

import anyio
import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from adapters.bootstrap import ProjectionLagError
from application.base import collect_positions

HEADER = b"x-consistency-token"
PREFIX = "v1."
WAIT_SECONDS = 5.0
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def encode_token(positions: dict[str, int]) -> str:
    raw = msgspec.json.encode(dict(sorted(positions.items())))
    return PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, int] | None:
    if not token.startswith(PREFIX):
        return None
    text = token[len(PREFIX):]
    try:
        value = msgspec.json.decode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, msgspec.DecodeError):
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and type(v) is int and v >= 0
                                              for k, v in value.items()):
        return None
    return value


def consistency_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if scope["method"] in _WRITES:
            await _write(app, scope, receive, send)
            return
        token = dict(scope["headers"]).get(HEADER)
        if token is not None and scope["method"] == "GET":
            refusal = await _wait(scope, token.decode("latin-1"))
            if refusal is not None:
                await _refuse(scope, send, *refusal)
                return
        await app(scope, receive, send)

    return middleware


async def _write(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    with collect_positions() as written:

        async def stamp(message: Message) -> None:
            if message["type"] == "http.response.start" and written and 200 <= message["status"] < 300:
                token = encode_token(written).encode()
                message = {**message, "headers": [*message.get("headers", []), (HEADER, token)]}
            await send(message)

        await app(scope, receive, stamp)


async def _wait(scope: Scope, token: str) -> tuple[int, str, str] | None:
    positions = decode_token(token)
    if positions is None:
        return 400, "validation_failed", "X-Consistency-Token is not a token this service issued"
    container = scope["app"].state.container
    known = {app: pos for app, pos in positions.items() if app in container.applications}
    try:
        await anyio.to_thread.run_sync(lambda: container.wait_for(known, None, WAIT_SECONDS))
    except ProjectionLagError:
        return 503, "projection_lag", "read models have not caught up with that write yet; retry shortly"
    return None


async def _refuse(scope: Scope, send: Send, status: int, error: str, message: str) -> None:
    state = scope.get("state", {})
    request_id = str(state.get("request_id", "")) if isinstance(state, dict) else ""
    body = msgspec.json.encode({"error": error, "message": message, "request_id": request_id})
    headers = [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode())]
    if status == 503:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
