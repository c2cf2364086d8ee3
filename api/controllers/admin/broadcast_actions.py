"""Broadcast lifecycle: count, confirm, schedule, unschedule, pause, resume, cancel (§9.2)."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.params import FromPath

from adapters.campaigns import broadcast_ops as ops
from api.admin_auth import READ, console_meta, console_of
from api.admin_common import SLUG, check_id, iso, parse_iso
from api.body import decode_body
from api.calls import container_of, in_thread
from api.contracts.admin_broadcasts import (
    CancelAnswer,
    ConfirmAnswer,
    ConfirmBody,
    CountAnswer,
    CountBody,
    PauseBody,
    ResumeBody,
    ScheduleBody,
)
from api.controllers.admin.broadcasts import BROADCASTS, VIEWS, BroadcastsWriteController, answer
from api.controllers.admin.contact_writes import settle_all
from domain.campaigns.broadcast_rules import check_cap, check_zone
from domain.campaigns.segment import validate_segment

SEND_VIEWS = [*VIEWS, "sends"]


class BroadcastsController(BroadcastsWriteController):
    @post("/{slug:str}/count", operation_id="ConsoleCountBroadcast", summary="Count recipients now",
          guards=[READ], status_code=200)
    async def count(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> CountAnswer:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, CountBody, empty_ok=True)
        if body.segment is not None:
            validate_segment(body.segment)
        container, tenant_id = container_of(request), console_of(request).tenant_id
        b = await in_thread(container.broadcasts.broadcast, tenant_id, slug)
        got = await in_thread(ops.live_count, container, tenant_id, b, body.segment)
        return CountAnswer(got["matched"], got["eligible"], got["alreadySent"], got["recipientCount"],
                           got["cap"], got["computedMs"])

    @post("/{slug:str}/confirm", operation_id="ConsoleConfirmBroadcast", summary="Confirm the count",
          guards=[BROADCASTS], status_code=200)
    async def confirm(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> ConfirmAnswer:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, ConfirmBody)
        container, tenant_id = container_of(request), console_of(request).tenant_id
        got, position = await in_thread(ops.confirm, container, tenant_id, slug, body.confirmed_count,
                                        console_meta(request))
        await settle_all(request, {"broadcasts": position}, VIEWS)
        return ConfirmAnswer(got["confirmedCount"], got["recipientCount"], iso(got["confirmedAt"]))

    @post("/{slug:str}/schedule", operation_id="ConsoleScheduleBroadcast", summary="Schedule",
          guards=[BROADCASTS], status_code=200)
    async def schedule(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, ScheduleBody)
        at = parse_iso(body.scheduled_at, "scheduledAt")
        if body.schedule_timezone is not None:
            check_zone(body.schedule_timezone)
        container, tenant_id = container_of(request), console_of(request).tenant_id
        position = await in_thread(ops.schedule, container, tenant_id, slug, at, body.schedule_timezone,
                                   body.respect_recipient_timezone, console_meta(request))
        await settle_all(request, {"broadcasts": position}, VIEWS)
        container.hub.wake()  # a past time is due at the next tick
        return await answer(request, slug)

    @post("/{slug:str}/unschedule", operation_id="ConsoleUnscheduleBroadcast", summary="Back to draft",
          guards=[BROADCASTS], status_code=200)
    async def unschedule(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        container, tenant_id = container_of(request), console_of(request).tenant_id
        _, position = await in_thread(container.broadcasts.change, tenant_id, slug, lambda b: b.unschedule(),
                                      console_meta(request))
        await settle_all(request, {"broadcasts": position}, VIEWS)
        return await answer(request, slug)

    @post("/{slug:str}/pause", operation_id="ConsolePauseBroadcast", summary="Pause; hold queued sends",
          guards=[BROADCASTS], status_code=200)
    async def pause(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, PauseBody, empty_ok=True)
        container, tenant_id = container_of(request), console_of(request).tenant_id
        positions = await in_thread(ops.pause, container, tenant_id, slug, body.reason, console_meta(request))
        await settle_all(request, positions, SEND_VIEWS)
        return await answer(request, slug)

    @post("/{slug:str}/resume", operation_id="ConsoleResumeBroadcast", summary="Resume; release holds",
          guards=[BROADCASTS], status_code=200)
    async def resume(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, ResumeBody, empty_ok=True)
        if body.recipient_cap is not None:
            check_cap(body.recipient_cap)
        container, tenant_id = container_of(request), console_of(request).tenant_id
        positions = await in_thread(ops.resume, container, tenant_id, slug, body.recipient_cap,
                                    body.confirmed_count, console_meta(request))
        await settle_all(request, positions, SEND_VIEWS)
        container.hub.wake()
        return await answer(request, slug)

    @post("/{slug:str}/cancel", operation_id="ConsoleCancelBroadcast", summary="Cancel waiting sends",
          guards=[BROADCASTS], status_code=200)
    async def cancel(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> CancelAnswer:
        check_id(slug, SLUG, "slug")
        container, tenant_id = container_of(request), console_of(request).tenant_id
        cancelled, positions = await in_thread(ops.cancel, container, tenant_id, slug, console_meta(request))
        await settle_all(request, positions, SEND_VIEWS)
        return CancelAnswer(ok=True, cancelled_sends=cancelled)
