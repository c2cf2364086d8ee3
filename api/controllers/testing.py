"""``POST /_test/clock``: move the database-held fake clock (only with LEDGERMAIL_FAKE_CLOCK=1)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, post

from api.auth import admin_only
from api.body import decode_body
from api.calls import container_of, in_thread
from api.errors import ApiError


class ClockChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    advance: float | None = None
    set: float | None = None


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
