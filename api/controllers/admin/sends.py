"""Sends, read side, and the normalised outcome feed (console.md §6).

``POST /sends`` and ``/sends/{id}/cancel`` (console sends) live in ``template_sends.py``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath

from adapters import console_outcomes
from api.admin_auth import READ, SUPPRESSIONS, console_meta, console_of
from api.admin_common import (
    EXTERNAL_ID,
    UUID_RE,
    bad_value,
    check_id,
    iso,
    limit_of,
    make_cursor,
    parse_iso,
    read_cursor,
)
from api.body import decode_body
from api.calls import container_of, in_thread
from api.contracts.admin_sends import OutcomeAnswer, OutcomeFeed, OutcomeIn, SendDetail, SendPage
from api.controllers.admin.contact_writes import settle_all
from api.controllers.admin.template_sends import TemplateSendsController
from api.errors import ApiError
from api.send_views import recipients, send_out
from domain.console.ids import contact_uuid

FILTERS = ("status", "kind", "origin", "template", "broadcast", "flow", "externalId")
STATUSES = (
    "queued",
    "held",
    "sending",
    "deferred",
    "sent",
    "delivered",
    "bounced",
    "complained",
    "failed",
    "suppressed",
    "cancelled",
)
CHOICES = {
    "status": STATUSES,
    "kind": ("marketing", "transactional"),
    "origin": ("oneoff", "flow", "broadcast", "test", "api"),
}
OUTCOME_VIEWS = ["sends", "suppressions", "contacts", "audit"]


def _filters(request: Request[Any, Any, Any], tenant_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """(filters as given, for the cursor; filters as view columns)."""
    given = {k: request.query_params[k] for k in FILTERS if request.query_params.get(k)}
    for name, allowed in CHOICES.items():
        if name in given and given[name] not in allowed:
            raise bad_value(name, f"one of {', '.join(allowed)}")
    columns = {k: v for k, v in given.items() if k != "externalId"}
    if "externalId" in given:
        check_id(given["externalId"], EXTERNAL_ID, "externalId")
        columns["contact_id"] = str(contact_uuid(tenant_id, given["externalId"]))
    return given, columns


class SendsReadController(TemplateSendsController):
    """The read side added to the console-send writes (one controller per path: Litestar
    refuses two controllers registering the same path)."""

    path = "/admin/api/sends"
    tags = ["console: sends"]

    @get("/", operation_id="ConsoleListSends", summary="Sends, newest first", guards=[READ])
    async def list_sends(self, request: Request[Any, Any, Any]) -> SendPage:
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        given, columns = _filters(request, tenant_id)
        limit, after = limit_of(request, 100, 500), read_cursor(request, "sends", given)
        await in_thread(container.catch_up, ["sends"])
        before = (float(after[0]), str(after[1])) if after and len(after) == 2 else None
        rows = await in_thread(
            container.projections["sends"].view.page, tenant_id, columns, before, limit + 1
        )
        page = rows[:limit]
        people = await in_thread(recipients, request, tenant_id, page)
        cursor = (
            make_cursor(request, "sends", given, [page[-1]["queued_ts"], page[-1]["pk"]])
            if len(rows) > limit
            else None
        )
        return SendPage([send_out(r, people) for r in page], cursor)

    @get(
        "/{send_id:str}",
        operation_id="ConsoleGetSend",
        summary="One send, its timeline and outcome events",
        guards=[READ],
    )
    async def get_send(self, request: Request[Any, Any, Any], send_id: FromPath[str]) -> SendDetail:
        check_id(send_id, UUID_RE, "sendId")
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        view = container.projections["sends"].view
        await in_thread(container.catch_up, ["sends"])  # tracking hits and the dispatcher write too
        row = await in_thread(view.get, tenant_id, send_id)
        if row is None:
            raise ApiError(404, "not_found", f"send {send_id} not found")
        people = await in_thread(recipients, request, tenant_id, [row])
        opens = await in_thread(view.activity, send_id, "open")
        clicks = await in_thread(view.activity, send_id, "click")
        messages = await in_thread(container.sending.get_messages, [UUID(send_id)])
        timeline = [
            {"type": h["type"], "at": iso(h["ts"]), "data": h["data"]} for m in messages for h in m.history()
        ]
        outcomes = await in_thread(view.outcomes, send_id)
        for item in outcomes:
            item["occurredAt"], item["receivedAt"] = iso(item["occurredAt"]), iso(item["receivedAt"])
        return SendDetail(send_out(row, people, opens, clicks), msgspec.to_builtins(timeline), outcomes)


def _checked_item(raw: dict[str, Any], now: float) -> dict[str, Any] | str:
    """The item as a dict with ``occurredAt`` in unix seconds, or the reason it is invalid."""
    try:
        item = msgspec.convert(raw, OutcomeIn)
    except msgspec.ValidationError as exc:
        return str(exc)
    try:
        at = parse_iso(item.occurred_at, "occurredAt")
    except ApiError:
        return "occurredAt: not an ISO-8601 time"
    if at > now + 300:
        return "occurredAt: in the future"
    if item.email is not None and console_outcomes.email_invalid(item.email):
        return "email: not an email address"
    if item.message_id is None and item.email is None:
        return "messageId or email required"
    out = msgspec.to_builtins(item)
    out["occurredAt"] = at
    return out


class WebhooksController(Controller):
    path = "/admin/api/webhooks"
    tags = ["console: sends"]

    @post(
        "/events",
        operation_id="ConsoleOutcomeEvents",
        summary="Normalised outcome events from an MTA",
        guards=[SUPPRESSIONS],
        status_code=200,
    )
    async def events(self, request: Request[Any, Any, Any]) -> OutcomeAnswer:
        feed = await decode_body(request, OutcomeFeed)
        tenant_id, container = console_of(request).tenant_id, container_of(request)
        now = container.clock.now()
        checked = [_checked_item(e, now) if isinstance(e, dict) else "not an object" for e in feed.events]
        valid = [c for c in checked if isinstance(c, dict)]
        results, positions = await in_thread(
            console_outcomes.apply_outcomes, container, tenant_id, feed.source, valid, console_meta(request)
        )
        await settle_all(request, positions.as_dict(), OUTCOME_VIEWS)
        answers, done = [], iter(results)
        for raw, item in zip(feed.events, checked, strict=True):
            if isinstance(item, str):
                ident = raw.get("id") if isinstance(raw, dict) else None
                answers.append({"id": ident, "status": "invalid", "error": item})
            else:
                answers.append(msgspec.to_builtins(next(done), builtin_types=None))
        answers = [{("sendId" if k == "send_id" else k): v for k, v in a.items()} for a in answers]
        count = {
            s: sum(a["status"] == s for a in answers)
            for s in ("accepted", "duplicate", "unmatched", "invalid")
        }
        return OutcomeAnswer(
            count["accepted"], count["duplicate"], count["unmatched"], count["invalid"], answers
        )
