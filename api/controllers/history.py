"""History over HTTP (issue #11): ``/admin/api/history/...`` for admins and auditors.

Tenant-scoped: a tenant key, or a console key with ``admin-read``, sees only aggregates of
its own tenant (another tenant's id answers 404, so ids do not leak); the admin token sees
every aggregate. Read models hold every tenant's rows, so views as of a point are admin-only.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath

from adapters.history.aggregates import (
    AggregateHistory,
    AsOf,
    Located,
    fold,
    state_document,
    tenant_of,
    transitions,
)
from adapters.history.views import positions_at, view_as_of
from adapters.registry import PROJECTIONS
from api.admin_common import bad_value, limit_of, parse_iso
from api.auth import admin_only, caller_of, forbidden_tenant
from api.calls import container_of, in_thread
from api.contracts.history import (
    AggregateState,
    AsOfQuery,
    Change,
    Positions,
    TableRows,
    Transition,
    Transitions,
    ViewState,
)
from api.errors import ApiError
from domain.sending.ids import message_uuid

VIEW_POSITION = re.compile(r"^([a-z_]+):(\d+)$")


def reader(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """401 without a token; a key naming another tenant 403 (console.md §1.1); a console key
    needs ``admin-read``."""
    caller = caller_of(connection)
    named = connection.headers.get("x-tenant-id") or connection.query_params.get("tenant_id")
    if not caller.is_admin and named and named != caller.tenant_id:
        raise forbidden_tenant()
    if caller.scopes is not None and "admin-read" not in caller.scopes:
        raise ApiError(403, "forbidden", "scope admin-read required")


def _moment(raw: str, field: str) -> float:
    try:
        return float(raw)
    except ValueError:
        return parse_iso(raw, field)


def _cut(request: Request[Any, Any, Any]) -> AsOf:
    query = {k: v for k, v in request.query_params.items() if k.startswith("as_of_")}
    try:
        given = msgspec.convert(query, AsOfQuery, strict=False)
    except msgspec.ValidationError as exc:
        field = str(exc).rpartition("$.")[2].rstrip("`") or "query"
        raise bad_value(field, str(exc)) from None
    for name in ("as_of_position", "as_of_version"):
        if (getattr(given, name) or 0) < 0:
            raise bad_value(name, "an integer >= 0")
    ts = _moment(given.as_of_ts, "as_of_ts") if given.as_of_ts is not None else None
    return AsOf(ts=ts, position=given.as_of_position, version=given.as_of_version)


def _aggregate_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise ApiError(400, "bad_id", "aggregate id is not a UUID") from None


def _events(request: Request[Any, Any, Any], ident: UUID) -> list[Located]:
    """The aggregate's events, if the caller may see it (404 alike for missing and foreign)."""
    container = container_of(request)
    events = AggregateHistory(container.sources(), container.db).events(ident)
    caller = caller_of(request)
    if events and not caller.is_admin and tenant_of(events, fold(events)) != caller.tenant_id:
        events = []
    if not events:
        raise ApiError(404, "not_found", f"no aggregate {ident}")
    return events


def _state(request: Request[Any, Any, Any], ident: UUID, cut: AsOf) -> AggregateState:
    doc = state_document(_events(request, ident), cut)
    if doc is None:
        raise ApiError(404, "not_found", f"aggregate {ident} did not exist yet at that point")
    return AggregateState(**doc)


def _transitions(request: Request[Any, Any, Any], ident: UUID, full: bool) -> Transitions:
    events = _events(request, ident)
    latest = state_document(events)
    assert latest is not None
    steps = [
        Transition(**{**s, "changes": {k: Change(**c) for k, c in s["changes"].items()}})
        for s in transitions(events, full=full)
    ]
    return Transitions(
        latest["aggregate_id"], latest["application"], latest["type"], latest["tenant_id"], steps
    )


class HistoryController(Controller):
    path = "/admin/api/history"
    tags = ["history"]

    @get(
        "/aggregates/{aggregate_id:str}",
        operation_id="HistoryAggregate",
        guards=[reader],
        summary="An aggregate's state, now or as of a time, log position or version",
    )
    async def aggregate(self, request: Request[Any, Any, Any], aggregate_id: FromPath[str]) -> AggregateState:
        ident = _aggregate_id(aggregate_id)
        return await in_thread(_state, request, ident, _cut(request))

    @get(
        "/aggregates/{aggregate_id:str}/transitions",
        operation_id="HistoryTransitions",
        guards=[reader],
        summary="Every event of an aggregate: who, when, which command, before -> after",
    )
    async def aggregate_transitions(
        self, request: Request[Any, Any, Any], aggregate_id: FromPath[str]
    ) -> Transitions:
        ident = _aggregate_id(aggregate_id)
        full = request.query_params.get("full", "false")
        if full not in ("true", "false"):
            raise bad_value("full", "true or false")
        return await in_thread(_transitions, request, ident, full == "true")

    @get(
        "/messages/{client_id:str}",
        operation_id="HistoryMessage",
        guards=[reader],
        summary="A message's state by client id (tenant key: its own; admin: ?tenant_id=)",
    )
    async def message(self, request: Request[Any, Any, Any], client_id: FromPath[str]) -> AggregateState:
        caller = caller_of(request)
        tenant = caller.tenant_id if not caller.is_admin else request.query_params.get("tenant_id")
        if not tenant:
            raise ApiError(400, "tenant_required", "name the tenant with ?tenant_id=")
        return await in_thread(_state, request, message_uuid(tenant, client_id), _cut(request))

    @get(
        "/positions",
        operation_id="HistoryPositions",
        guards=[reader],
        summary="Each application log's last position at or before a time",
    )
    async def positions(self, request: Request[Any, Any, Any]) -> Positions:
        cut = _cut(request)
        if cut.ts is None:
            raise bad_value("as_of_ts", "required")
        found = await in_thread(positions_at, container_of(request), cut.ts)
        return Positions(cut.ts, found)

    @get(
        "/views/{name:str}",
        operation_id="HistoryView",
        guards=[admin_only],
        summary="A read model as of a time or positions, replayed into a scratch copy",
    )
    async def view(self, request: Request[Any, Any, Any], name: FromPath[str]) -> ViewState:
        if name not in PROJECTIONS:
            raise ApiError(404, "not_found", f"no read model {name}")
        container, limit = container_of(request), limit_of(request, 100, 1000)
        stop = await in_thread(_view_cut, request)
        got = await in_thread(view_as_of, container, name, stop, limit=limit)
        return ViewState(
            got.view,
            got.positions,
            {t: TableRows(**v) for t, v in got.tables.items()},
            got.events,
            got.seconds,
        )


def _view_cut(request: Request[Any, Any, Any]) -> dict[str, int]:
    """``?positions=sending:120,tenancy:8`` or ``?as_of_ts=``; neither: everything stored now."""
    container = container_of(request)
    raw = request.query_params.get("positions")
    if raw is not None:
        found = [VIEW_POSITION.match(p.strip()) for p in raw.split(",") if p.strip()]
        if not found or any(m is None or m.group(1) not in container.applications for m in found):
            raise bad_value(
                "positions", "app:N[,app:N...] with app one of " + ", ".join(container.applications)
            )
        return {m.group(1): int(m.group(2)) for m in found if m is not None}
    cut = _cut(request)
    if cut.ts is not None:
        return positions_at(container, cut.ts)
    return {n: s.max_position() for n, s in container.sources().items()}
