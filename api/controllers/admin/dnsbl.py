"""DNSBL: ``GET /dnsbl`` (R) the latest verdict per (target, list), ``POST /dnsbl/recheck`` (R)
a forced scan now (console.md §12; a refreshing observation, so admin-read suffices)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from msgspec import Meta

from adapters.reputation import dnsbl_ops
from api.admin_auth import READ, console_meta, console_of
from api.admin_common import bad_value, iso
from api.body import decode_body
from api.calls import container_of, in_thread
from api.controllers.admin.contact_writes import settle_all
from domain.reputation.dnsbl_rules import ZONE

Target = Annotated[str, Meta(min_length=1, max_length=253)]


class RecheckBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    targets: Annotated[list[Target], Meta(max_length=200)] | None = None


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def _target_ok(value: str) -> bool:
    return _is_ip(value) or bool(ZONE.match(value.lower().rstrip(".")))


def check_doc(row: Any, label: str | None = None) -> dict[str, Any]:
    return {
        "target": row.target,
        "targetKind": row.target_kind,
        "zone": row.zone,
        "label": label or row.label,
        "result": row.result,
        "returnCodes": list(row.return_codes),
        "errorMessage": row.error_message,
        "checkedAt": iso(row.checked_at),
        "listedSince": iso(row.listed_since),
    }


def _read(container: Any, tenant_id: str) -> dict[str, Any]:
    plan = dnsbl_ops.plan(container, tenant_id)
    configured = {(p.target, p.zone) for p in plan.pairs}
    labels = {dnsbl.zone: dnsbl.name for dnsbl in plan.settings.lists}  # a renamed list shows its new label
    view = container.projections["dnsbl"].view
    rows = [r for r in view.list(tenant_id) if (r.target, r.zone) in configured]
    return {
        "checks": [check_doc(r, labels.get(r.zone)) for r in rows],
        "latestRunAt": iso(view.latest_run(tenant_id)),
        "intervalHours": plan.settings.interval_hours,
    }


class DnsblController(Controller):
    path = "/admin/api/dnsbl"
    tags = ["console: dnsbl"]

    @get("/", operation_id="ConsoleDnsbl", summary="Latest DNSBL verdicts of every target and list",
         guards=[READ])
    async def read(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        return await in_thread(_read, container_of(request), console_of(request).tenant_id)

    @post("/recheck", operation_id="ConsoleDnsblRecheck", summary="Check every target (or some) now",
          guards=[READ], status_code=200)
    async def recheck(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = await decode_body(request, RecheckBody, empty_ok=True)
        for index, target in enumerate(body.targets or []):
            if not _target_ok(target):
                raise bad_value(f"targets[{index}]", "a domain name or an IP address")
        targets = None
        if body.targets is not None:
            targets = [str(ipaddress.ip_address(t)) if _is_ip(t) else t.lower().rstrip(".")
                       for t in body.targets]
        answer = await dnsbl_ops.scan(container_of(request), console_of(request).tenant_id, forced=True,
                                      targets=targets, meta=console_meta(request))
        await settle_all(request, {"dnsbl": answer.position} if answer.position else {}, ["dnsbl", "audit"])
        out: dict[str, Any] = {"ran": answer.ran}
        if not answer.ran:
            out["reason"] = answer.reason
            return out
        out.update(totalChecks=answer.total_checks, listedCount=answer.listed_count,
                   errorCount=answer.error_count, transientCount=answer.transient_count)
        return out

