"""The event registry and firing contact events (console.md §3)."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath

from api.admin_auth import PUBLISH, READ, console_meta, console_of
from api.admin_common import EXTERNAL_ID, bad_value, check_id, iso, parse_iso
from api.body import decode_body
from api.calls import container_of, in_thread
from api.contracts.admin_events import (
    EventsDoc,
    FiredAnswer,
    FireEvent,
    Registered,
    RegistryAnswer,
    RegistryPut,
    Stats,
)
from api.controllers.admin.contact_writes import settle_all
from domain.console.contact_event import NAME_PATTERN

NAME = re.compile(NAME_PATTERN)
MAX_PROPERTIES = 16 * 1024
FUTURE_SLACK = 300.0  # occurredAt may be up to 5 minutes ahead (clock skew)
VIEWS = ["contact_events", "audit"]


class EventsController(Controller):
    path = "/admin/api/events"
    tags = ["console: events"]

    @get(
        "/", operation_id="ConsoleEvents", summary="Registered and seen event names with stats", guards=[READ]
    )
    async def events(self, request: Request[Any, Any, Any]) -> EventsDoc:
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        view = container.projections["contact_events"].view
        definitions = await in_thread(view.definitions, tenant_id)
        stats = await in_thread(view.stats, tenant_id, container.clock.now())
        known = {d.name for d in definitions}
        return EventsDoc(
            registered=[Registered(d.name, d.dedupe_policy, iso(d.registered_ts)) for d in definitions],
            seen=sorted(n for n in stats if n not in known),
            stats={
                n: Stats(s.total, s.last7d, s.last30d, iso(s.first_at), iso(s.last_at))
                for n, s in sorted(stats.items())
            },
        )

    @put(
        "/registry/{name:str}",
        operation_id="ConsoleRegisterEvent",
        summary="Register an event name",
        guards=[PUBLISH],
    )
    async def register(self, request: Request[Any, Any, Any], name: FromPath[str]) -> RegistryAnswer:
        check_id(name, NAME, "event name")
        body = await decode_body(request, RegistryPut)
        created, position = await in_thread(
            container_of(request).console.register_event,
            console_of(request).tenant_id,
            name,
            body.dedupe_policy,
            console_meta(request),
        )
        await settle_all(request, {"console": position}, VIEWS)
        return RegistryAnswer(ok=True, created=created)

    @delete(
        "/registry/{name:str}",
        operation_id="ConsoleRemoveEvent",
        summary="Remove an event name",
        guards=[PUBLISH],
        status_code=200,
    )
    async def remove(self, request: Request[Any, Any, Any], name: FromPath[str]) -> RegistryAnswer:
        check_id(name, NAME, "event name")
        removed, position = await in_thread(
            container_of(request).console.remove_event,
            console_of(request).tenant_id,
            name,
            console_meta(request),
        )
        await settle_all(request, {"console": position}, VIEWS)
        return RegistryAnswer(ok=True, removed=removed)

    @post(
        "/",
        operation_id="ConsoleFireEvent",
        summary="Fire a contact event (duplicates ignored)",
        guards=[PUBLISH],
        status_code=200,
    )
    async def fire(self, request: Request[Any, Any, Any]) -> FiredAnswer:
        body = await decode_body(request, FireEvent)
        check_id(body.external_id, EXTERNAL_ID, "externalId")
        if body.properties is not None and len(msgspec.json.encode(body.properties)) > MAX_PROPERTIES:
            raise bad_value("properties", "at most 16 KiB")
        container = container_of(request)
        at = parse_iso(body.occurred_at, "occurredAt") if body.occurred_at else None
        if at is not None and at > container.clock.now() + FUTURE_SLACK:
            raise bad_value("occurredAt", "at most 5 minutes in the future")
        fired = await in_thread(
            container.console.fire_event,
            console_of(request).tenant_id,
            body.external_id,
            body.name,
            key=body.dedupe_key,
            occurred_at=at,
            properties=body.properties,
            meta=console_meta(request),
        )
        await settle_all(request, {"console": fired.position}, VIEWS)
        return FiredAnswer(
            ok=True, event_id=fired.event_id, dedupe_key=fired.dedupe_key, duplicate=fired.duplicate
        )
