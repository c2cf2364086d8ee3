"""Health buckets, the circuit breaker (console.md §11): ``GET /health``, ``/health/trips``,
``POST /health/trip`` and ``/health/resume`` (scope broadcasts), audited as ``health.*``.

``GET /health`` first lets the views catch up and runs one evaluation of the tenant's
buckets (what the worker does after every counter commit), so what it shows is what holds.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post

from adapters.reputation import health_ops
from adapters.reputation.health_evaluator import HealthEvaluator
from api.admin_auth import READ, console_meta, console_of, needs
from api.admin_common import bad_value, iso
from api.body import decode_body
from api.calls import container_of, in_thread
from api.controllers.admin.contact_writes import settle_all

BROADCASTS = needs("broadcasts")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
Kind = Literal["marketing", "transactional"]
VIEWS = ["health", "health_buckets"]


class TripBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    sender_domain: str
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    kind: Kind | None = None
    hold_transactional: bool = False


class ResumeBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    sender_domain: str | None = None
    kind: Kind | None = None
    resume_broadcasts: bool = False


def _domain(value: str) -> str:
    domain = value.strip().lower().rstrip(".")
    if not DOMAIN.match(domain):
        raise bad_value("senderDomain", "not a domain name")
    return domain


def _times(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: iso(v) if k in health_ops.TIMES and isinstance(v, int | float) else v for k, v in doc.items()}
    out["signals"] = [
        {**s, "since": iso(s["since"]) if s.get("since") is not None else None}
        for s in doc.get("signals", [])
    ]
    return out


def _document(request: Request[Any, Any, Any]) -> dict[str, Any]:
    container, tenant_id = container_of(request), console_of(request).tenant_id
    container.catch_up(VIEWS)
    HealthEvaluator(container).evaluate(tenant_id)
    doc = health_ops.health_document(container, tenant_id)
    doc["buckets"] = [_times(b) for b in doc["buckets"]]
    if doc["aggregate"] is not None:
        doc["aggregate"] = _times(doc["aggregate"])
    doc["signals"] = [
        {**s, "since": iso(s["since"]) if s.get("since") is not None else None} for s in doc["signals"]
    ]
    return doc


def _trip_entry(row: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    actor = row["actor"]
    return {
        "id": row["id"],
        "occurredAt": iso(row["occurredAt"]),
        "actor": actor,
        "action": row["action"],
        "category": "system" if actor.startswith("system") else "config",
        "resource": {"type": "health_bucket", "id": row["bucketId"], "slug": row["bucketId"]},
        "after": row["detail"],
        "requestId": row["requestId"],
        "tenantId": tenant_id,
    }


async def _settle(request: Request[Any, Any, Any], position: int, sends: int) -> None:
    """Read-your-writes: the buckets and audit, and the sends when some were held or released."""
    positions = {"health": position} if position else {}
    if sends:
        positions["sending"] = container_of(request).sending.max_position()
    await settle_all(request, positions, [*VIEWS, "audit", *(["sends"] if sends else [])])


class HealthController(Controller):
    path = "/admin/api/health"
    tags = ["console: health"]

    @get("/", operation_id="ConsoleHealth", summary="Buckets, roll-up, thresholds, signals", guards=[READ])
    async def health(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        return await in_thread(_document, request)

    @get("/trips", operation_id="ConsoleHealthTrips", summary="The last 50 trips and resumes", guards=[READ])
    async def trips(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        container, tenant_id = container_of(request), console_of(request).tenant_id
        await in_thread(container.catch_up, ["health_buckets"])
        rows = await in_thread(container.projections["health_buckets"].view.transitions, tenant_id, 50)
        return {"trips": [_trip_entry(r, tenant_id) for r in rows]}

    @post(
        "/trip",
        operation_id="ConsoleHealthTrip",
        summary="Trip a sender domain's buckets by hand",
        guards=[BROADCASTS],
        status_code=200,
    )
    async def trip(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = await decode_body(request, TripBody)
        domain = _domain(body.sender_domain)
        container, tenant_id = container_of(request), console_of(request).tenant_id
        done = await in_thread(
            health_ops.manual_trip,
            container,
            tenant_id,
            domain,
            body.kind,
            body.reason,
            holds_transactional=body.hold_transactional,
            meta=console_meta(request),
        )
        await _settle(request, done.position, done.held)
        return {"ok": True, "tripped": len(done.tripped), "held": done.held, "changed": bool(done.tripped)}

    @post(
        "/resume",
        operation_id="ConsoleHealthResume",
        summary="Close tripped breakers: a fresh window",
        guards=[BROADCASTS],
        status_code=200,
    )
    async def resume(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = await decode_body(request, ResumeBody, empty_ok=True)
        if (body.sender_domain is None) != (body.kind is None):
            raise bad_value(
                "senderDomain" if body.sender_domain is None else "kind",
                "senderDomain and kind go together (neither: every tripped bucket)",
            )
        domain = _domain(body.sender_domain) if body.sender_domain is not None else None
        container, tenant_id = container_of(request), console_of(request).tenant_id
        done = await in_thread(
            health_ops.resume,
            container,
            tenant_id,
            domain,
            body.kind,
            resume_broadcasts=body.resume_broadcasts,
            meta=console_meta(request),
        )
        await _settle(request, done.position, done.released)
        return {
            "ok": True,
            "resumed": done.resumed,
            "released": done.released,
            "pausedBroadcasts": done.paused_broadcasts,
            "changed": done.resumed > 0,
        }
