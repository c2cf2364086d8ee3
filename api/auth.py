"""Token resolution, guards and the tenant selector (proxy.md §0, §1).

Checks stop at the first failure, in order: 401 -> 403 admin-only -> 403 tenant mismatch ->
body -> 404, so a tenant key never learns whether another tenant or its ids exist.
"""

from __future__ import annotations

import hmac
import re
import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from adapters.bootstrap import Container
from api.errors import ApiError

TENANT_KEY = re.compile(r"^lmk_(?P<key_id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})$")


class Caller:
    def __init__(self, kind: str, tenant_id: str | None = None, key_id: str | None = None,
                 scopes: tuple[str, ...] | None = None) -> None:
        self.kind = kind  # "admin" | "tenant" | "console" (a scoped console key, /admin/api only)
        self.tenant_id = tenant_id
        self.key_id = key_id
        self.scopes = scopes  # None: every scope (admin token, tenant key)

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"

    @property
    def actor(self) -> str:
        return "admin" if self.kind == "admin" else f"tenant:{self.tenant_id}"

    def describe(self) -> dict[str, str]:
        """The command log's ``actor`` member."""
        out = {"kind": self.kind}
        if self.tenant_id:
            out.update(tenant_id=self.tenant_id, key_id=self.key_id or "")
        return out


class Authenticator:
    """Resolves X-API-Token; remembers good admin tokens briefly to spare the store."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.failures = 0
        self._admin_ok: dict[str, float] = {}

    def resolve(self, token: str | None) -> Caller:
        if not token:
            return self._fail()
        if self._is_admin(token):
            return Caller("admin")
        match = TENANT_KEY.match(token)
        if match is None:
            return self._fail()
        caller = self._tenant(match.group("key_id"), match.group("secret"))
        return caller if caller is not None else self._fail()

    def _is_admin(self, token: str) -> bool:
        configured = self.container.settings.admin_token
        if configured is not None:
            return hmac.compare_digest(token.encode(), configured.encode())
        seen = self._admin_ok.get(token)
        if seen is not None and time.monotonic() - seen < 5.0:
            return True
        if token.startswith("lma_") and self.container.tenancy.admin_token_matches(token):
            self._admin_ok = {token: time.monotonic()}
            return True
        return False

    def _tenant(self, key_id: str, secret: str) -> Caller | None:
        row = self.container.projections["tenants"].view.by_key_id(key_id)  # type: ignore[attr-defined]
        if row is None or row.deleted or not row.key_salt or not row.key_digest:
            return self._console_key(key_id, secret)
        if not self.container.tenancy.verify_key_secret(row.key_salt, row.key_digest, secret):
            return None
        if row.key_expires_at is not None and row.key_expires_at <= self.container.clock.now():
            return None
        return Caller("tenant", row.tenant_id, key_id)

    def _console_key(self, key_id: str, secret: str) -> Caller | None:
        row = self.container.projections["console_keys"].view.by_key_id(key_id)  # type: ignore[attr-defined]
        if row is None or row.revoked:
            return None
        if not self.container.tenancy.verify_key_secret(row.salt, row.digest, secret):
            return None
        if row.expires_at is not None and row.expires_at <= self.container.clock.now():
            return None
        return Caller("console", row.tenant_id, key_id, tuple(row.scopes))

    def _fail(self) -> Caller:
        self.failures += 1
        raise ApiError(401, "unauthorized", "missing or invalid X-API-Token")


def state_of(connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
    return connection.scope.setdefault("state", {})  # type: ignore[typeddict-item, return-value]


def caller_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
    state = state_of(connection)
    if "caller" not in state:
        auth: Authenticator = connection.app.state.auth
        state["caller"] = auth.resolve(connection.headers.get("x-api-token"))
        if state["caller"].kind == "console" and not connection.url.path.startswith("/admin/api"):
            raise ApiError(403, "forbidden", "console keys work only on /admin/api")
    return state["caller"]  # type: ignore[no-any-return]


def authenticated(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    caller_of(connection)


def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not caller_of(connection).is_admin:
        raise ApiError(403, "forbidden", "this route needs the admin token")


def forbidden_tenant() -> ApiError:
    # One message whether or not the tenant exists: a key must not learn that.
    return ApiError(403, "forbidden", "this key may not act on that tenant")


def path_tenant(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for /tenant/{id}...: admin, or the key of that very tenant."""
    caller = caller_of(connection)
    tenant_id = str(connection.path_params.get("id", ""))
    state_of(connection)["command_tenant"] = tenant_id
    if not caller.is_admin and caller.tenant_id != tenant_id:
        raise forbidden_tenant()


def query_tenant(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for routes with a ``tenant_id`` selector in the query: 403 before any body check."""
    caller = caller_of(connection)
    named = connection.query_params.get("tenant_id")
    if not caller.is_admin and named is not None and named != caller.tenant_id:
        state_of(connection)["command_tenant"] = named
        raise forbidden_tenant()


def select_tenant(connection: ASGIConnection[Any, Any, Any, Any], body_tenant: str | None = None, *,
                  required: bool = True) -> str | None:
    """The tenant a call targets: implied by a tenant key; named by the admin (query or body)."""
    caller = caller_of(connection)
    named = connection.query_params.get("tenant_id")
    if named is not None and body_tenant is not None and named != body_tenant:
        raise ApiError(422, "validation_failed", "tenant_id in the query and the body differ",
                       details=[{"field": "tenant_id", "reason": "type",
                                 "message": "query and body name different tenants"}])
    named = named if named is not None else body_tenant
    if not caller.is_admin:
        if named is not None and named != caller.tenant_id:
            state_of(connection)["command_tenant"] = named
            raise forbidden_tenant()
        named = caller.tenant_id
    if named is None and required:
        raise ApiError(422, "validation_failed", "tenant_id is required with the admin token",
                       details=[{"field": "tenant_id", "reason": "missing",
                                 "message": "name the tenant with ?tenant_id="}])
    state_of(connection)["command_tenant"] = named
    return named
