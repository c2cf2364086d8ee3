"""Token resolution and guards: who is calling, and may they call this route."""

from __future__ import annotations

import hmac
import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from adapters.bootstrap import Container
from api.errors import ApiError


class Caller:
    def __init__(self, kind: str, tenant_id: str | None = None) -> None:
        self.kind = kind  # "admin" | "tenant"
        self.tenant_id = tenant_id

    @property
    def actor(self) -> str:
        return "admin" if self.kind == "admin" else f"tenant:{self.tenant_id}"


class Authenticator:
    """Resolves X-API-Token; remembers good admin tokens briefly to spare the store."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.failures = 0
        self._admin_ok: dict[str, float] = {}

    def resolve(self, token: str | None) -> Caller:
        if not token:
            return self._fail()
        configured = self.container.settings.admin_token
        if configured is not None:
            if hmac.compare_digest(token.encode(), configured.encode()):
                return Caller("admin")
            return self._fail()
        seen = self._admin_ok.get(token)
        if seen is not None and time.monotonic() - seen < 5.0:
            return Caller("admin")
        if token.startswith("lma_") and self.container.tenancy.admin_token_matches(token):
            self._admin_ok = {token: time.monotonic()}
            return Caller("admin")
        return self._fail()

    def _fail(self) -> Caller:
        self.failures += 1
        raise ApiError(401, "unauthorized", "missing or invalid X-API-Token")


def caller_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
    auth: Authenticator = connection.app.state.auth
    caller = auth.resolve(connection.headers.get("x-api-token"))
    connection.scope.setdefault("state", {})["caller"] = caller  # type: ignore[typeddict-item]
    return caller


def authenticated(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    caller_of(connection)


def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if caller_of(connection).kind != "admin":
        raise ApiError(403, "forbidden", "this route needs the admin token")
