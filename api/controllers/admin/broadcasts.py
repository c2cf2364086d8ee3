"""Broadcasts, read side and drafts: list, detail, create, PATCH (console.md §9.2)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import FromPath

from adapters.campaigns.broadcast_facts import facts_queries
from adapters.campaigns.broadcast_ops import check_template
from api.admin_auth import READ, console_meta, console_of, needs
from api.admin_common import SLUG, check_id, iso, limit_of, make_cursor, read_cursor
from api.body import decode_body
from api.calls import container_of, in_thread
from api.contracts.admin_broadcasts import BroadcastCreate, BroadcastPatch
from api.controllers.admin.contact_writes import settle_all
from api.errors import ApiError
from domain.campaigns.broadcast_rules import checked_settings, new_settings
from projections.broadcasts_facts import EMPTY_STATS

BROADCASTS = needs("broadcasts")
VIEWS = ["broadcasts", "audit"]
STATUSES = ("draft", "scheduled", "sending", "paused", "sent", "cancelled", "failed")
TIMES = ("scheduledAt", "startedAt", "completedAt")
HIDDEN = ("cursor", "pagesDispatched", "breaches")


def not_found(slug: str) -> ApiError:
    return ApiError(404, "not_found", f"broadcast {slug} not found")


def broadcast_doc(row: Any, stats: dict[str, int] | None) -> dict[str, Any]:
    doc = {k: v for k, v in row.doc.items() if k not in HIDDEN}
    for key in TIMES:
        doc[key] = iso(doc.get(key))
    if doc.get("confirmation"):
        doc["confirmation"] = {**doc["confirmation"], "confirmedAt": iso(doc["confirmation"]["confirmedAt"])}
    if doc.get("pauseReason"):
        doc["pauseReason"] = {**doc["pauseReason"], "at": iso(doc["pauseReason"]["at"])}
    doc["stopRuleBreaches"] = [{**b, "at": iso(b["at"])} for b in row.doc.get("breaches", [])]
    doc.update(stats=stats or dict(EMPTY_STATS), createdAt=iso(row.created_ts), updatedAt=iso(row.updated_ts))
    return doc


async def answer(request: Request[Any, Any, Any], slug: str) -> dict[str, Any]:
    container, tenant_id = container_of(request), console_of(request).tenant_id
    row = await in_thread(container.projections["broadcasts"].view.get, tenant_id, slug)
    if row is None:
        raise not_found(slug)
    stats = await in_thread(facts_queries(container).stats, tenant_id, [slug])
    return broadcast_doc(row, stats.get(slug))


class BroadcastsReadController(Controller):
    path = "/admin/api/broadcasts"
    tags = ["console: broadcasts"]

    @get("/", operation_id="ConsoleBroadcasts", summary="Broadcasts, newest-created first", guards=[READ])
    async def list_broadcasts(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        container, tenant_id = container_of(request), console_of(request).tenant_id
        status = request.query_params.get("status")
        if status is not None and status not in STATUSES:
            raise ApiError(400, "validation_failed", f"status is one of {', '.join(STATUSES)}",
                           details=[{"path": "$.status", "field": "status", "message": "unknown status"}])
        limit, filters = limit_of(request, 50, 200), {"status": status}
        key = read_cursor(request, "broadcasts", filters)
        before = (float(key[0]), str(key[1])) if key else None
        view = container.projections["broadcasts"].view
        rows = await in_thread(view.list, tenant_id, status=status, before=before, limit=limit + 1)
        stats = await in_thread(facts_queries(container).stats, tenant_id, [r.slug for r in rows[:limit]])
        out: dict[str, Any] = {"broadcasts": [broadcast_doc(r, stats.get(r.slug)) for r in rows[:limit]]}
        if len(rows) > limit:
            last = rows[limit - 1]
            out["nextCursor"] = make_cursor(request, "broadcasts", filters, [last.created_ts, last.slug])
        return out

    @get("/{slug:str}", operation_id="ConsoleBroadcast", summary="One broadcast, with live stats",
         guards=[READ])
    async def get_broadcast(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        return await answer(request, slug)


def _fields(body: Any) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}


class BroadcastsWriteController(BroadcastsReadController):
    @post("/", operation_id="ConsoleCreateBroadcast", summary="Create a draft broadcast",
          guards=[BROADCASTS], status_code=201)
    async def create(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = await decode_body(request, BroadcastCreate)
        container, tenant_id = container_of(request), console_of(request).tenant_id
        raw = _fields(body)
        settings = new_settings({k: v for k, v in raw.items() if k not in ("slug", "name", "template_slug")})
        await in_thread(check_template, container, tenant_id, body.template_slug)
        position = await in_thread(container.broadcasts.create_broadcast, tenant_id, body.slug, body.name,
                                   body.template_slug, settings, console_meta(request))
        await settle_all(request, {"broadcasts": position}, VIEWS)
        return {"ok": True, **(await answer(request, body.slug))}

    @patch("/{slug:str}", operation_id="ConsoleUpdateBroadcast", summary="Change a draft",
           guards=[BROADCASTS])
    async def update(self, request: Request[Any, Any, Any], slug: FromPath[str]) -> dict[str, Any]:
        check_id(slug, SLUG, "slug")
        body = await decode_body(request, BroadcastPatch)
        container, tenant_id = container_of(request), console_of(request).tenant_id
        raw = _fields(body)
        changes = checked_settings({k: v for k, v in raw.items() if k not in ("name", "template_slug")})
        changes.update({k: raw[k] for k in ("name", "template_slug") if k in raw})
        if "template_slug" in changes:
            await in_thread(check_template, container, tenant_id, changes["template_slug"])
        changed, position = await in_thread(container.broadcasts.change, tenant_id, slug,
                                            lambda b: b.update(changes), console_meta(request))
        await settle_all(request, {"broadcasts": position}, VIEWS)
        return {"ok": True, "changed": bool(changed), **(await answer(request, slug))}
