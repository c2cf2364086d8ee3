"""Test hooks, only with LEDGERMAIL_FAKE_CLOCK=1 (else 404; console.md §1.6): ``POST /_test/clock``
moves the database-held fake clock, ``POST /_test/drain`` runs whatever is due until nothing is."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, post

from adapters.drain import DrainResult, drain
from api.auth import admin_only
from api.body import decode_body
from api.calls import container_of, in_thread
from api.errors import ApiError


class ClockChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    advance: float | None = None
    set: float | None = None


class DrainRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    max_seconds: float = msgspec.field(default=30.0)


class ClockAnswer(msgspec.Struct, frozen=True):
    ok: bool
    now: float


class TestClockController(Controller):
    path = "/_test"
    tags = ["testing"]
    include_in_schema = False

    @post("/clock", operation_id="MoveTestClock", guards=[admin_only], status_code=200)
    async def move(self, request: Request[Any, Any, Any]) -> ClockAnswer:
        container = container_of(request)
        clock = container.fake_clock
        if clock is None:
            raise ApiError(404, "not_found", "no such resource")
        body = await decode_body(request, ClockChange, empty_ok=True)
        if body.set is not None:
            now = await in_thread(clock.set, body.set)
        else:
            now = await in_thread(clock.advance, body.advance or 0.0)
        container.hub.wake()  # deferrals, leases and heartbeats may be due now
        return ClockAnswer(ok=True, now=round(now, 3))

    @post("/drain", operation_id="DrainForTests", guards=[admin_only], status_code=200)
    async def drain(self, request: Request[Any, Any, Any]) -> DrainResult:
        container = container_of(request)
        if container.fake_clock is None:
            raise ApiError(404, "not_found", "no such resource")
        body = await decode_body(request, DrainRequest, empty_ok=True)
        if not 0 < body.max_seconds <= 120:
            raise ApiError(400, "validation_failed", "maxSeconds must be in (0, 120]")
        return await in_thread(drain, container, body.max_seconds)
