"""Who acts in the console, in which tenant, with which scopes (console.md §1.1, §1.2).

The check order is the contract's: 401 (token) -> tenant (400 ``tenant_required``, 404
unknown, 403 another tenant's) -> scope 403 -> path ids -> body -> existence -> state.
Guards run before the handler reads its body, so a refused call never looks at it.
"""

from __future__ import annotations

import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from api.auth import caller_of, forbidden_tenant, state_of
from api.errors import ApiError
from application.base import CommandMeta

ACTOR = re.compile(r"^(human|service):\S{1,120}$")
ALL_SCOPES = ("admin-read", "publish", "broadcasts", "suppressions")
PERMISSIONS = {
    "canRead": "admin-read",
    "canPublish": "publish",
    "canSendBroadcasts": "broadcasts",
    "canManageSuppressions": "suppressions",
}


class Console:
    """The resolved console caller: acts as ``actor`` in ``tenant_id`` with ``scopes``."""

    def __init__(
        self, actor: str, tenant_id: str, key_id: str | None, scopes: tuple[str, ...], is_admin: bool
    ) -> None:
        self.actor, self.tenant_id, self.key_id = actor, tenant_id, key_id
        self.scopes, self.is_admin = scopes, is_admin

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def _resolve(connection: ASGIConnection[Any, Any, Any, Any]) -> Console:
    state = state_of(connection)
    if "console" in state:
        return state["console"]  # type: ignore[no-any-return]
    caller = caller_of(connection)  # 401 first
    named = connection.headers.get("x-tenant-id")
    if caller.is_admin:
        if not named:
            raise ApiError(400, "tenant_required", "name the tenant with X-Tenant-Id")
        state["command_tenant"] = named
        row = connection.app.state.container.projections["tenants"].view.get(named)
        if row is None or row.deleted:
            raise ApiError(404, "not_found", f"tenant {named} not found")
        given = connection.headers.get("x-actor")
        actor = given if given and ACTOR.match(given) else "admin"
        console = Console(actor, named, None, ALL_SCOPES, True)
    else:
        if named and named != caller.tenant_id:
            state["command_tenant"] = named
            raise forbidden_tenant()
        assert caller.tenant_id is not None
        scopes = caller.scopes if caller.scopes is not None else ALL_SCOPES
        console = Console(f"key:{caller.key_id}", caller.tenant_id, caller.key_id, tuple(scopes), False)
    state["console"] = console
    state["command_tenant"] = console.tenant_id
    return console


def console_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Console:
    return _resolve(connection)


def any_scope(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    _resolve(connection)


def needs(*scopes: str):  # type: ignore[no-untyped-def]
    """A guard: the caller must hold one of ``scopes`` ("admin" = the admin token only)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        console = _resolve(connection)
        if "admin" in scopes:
            if not console.is_admin:
                raise ApiError(403, "forbidden", "this route needs the admin token")
            return
        if not any(console.has(s) for s in scopes):
            raise ApiError(403, "forbidden", f"scope {' or '.join(scopes)} required")

    return guard


READ = needs("admin-read")
PUBLISH = needs("publish")
SUPPRESSIONS = needs("suppressions")
ADMIN = needs("admin")


def console_meta(connection: ASGIConnection[Any, Any, Any, Any]) -> CommandMeta:
    console = _resolve(connection)
    return CommandMeta(actor=console.actor, command_id=state_of(connection).get("request_id"))
