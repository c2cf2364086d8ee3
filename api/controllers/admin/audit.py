"""The audit log (console.md §1.5, §16): newest first, sealed personal values opened and masked."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get

from api.admin_auth import READ, console_of
from api.admin_common import iso, limit_of, make_cursor, parse_iso, read_cursor
from api.calls import container_of, in_thread
from api.contracts.admin_audit import AuditEntry, AuditPage, Resource
from projections.console_audit import AuditFilters, AuditRow
from projections.console_audit_map import mask

FILTERS = {
    "action": "action",
    "actor": "actor",
    "resourceType": "resource_type",
    "resourceSlug": "resource_slug",
    "category": "category",
}
ERASED = "[erased]"


def _shown(value: Any) -> Any:
    """§1.5: strings at most 200 characters, arrays over 20 items as their count."""
    if isinstance(value, str):
        return value[:200]
    if isinstance(value, list):
        return {"count": len(value)} if len(value) > 20 else [_shown(v) for v in value]
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    return value


def _open(request: Request[Any, Any, Any], side: dict[str, Any] | None, key: bytes | None) -> Any:
    if side is None or "$sealed" not in side:
        return _shown(side)
    data = container_of(request).vault.open(key, side["$sealed"])
    if not isinstance(data, dict):
        return ERASED
    fields = side.get("fields")
    data = {k: v for k, v in data.items() if fields is None or k in fields}
    if "email" in data:
        data["email"] = mask(data["email"])
    return _shown(data)


def _summary(before: Any, after: Any) -> str:
    if not isinstance(after, dict):
        return "personal data erased" if after == ERASED else ""
    old = before if isinstance(before, dict) else {}
    parts = [f"{k}: {old.get(k)!r} -> {v!r}" if k in old else k for k, v in after.items() if old.get(k) != v]
    return "; ".join(parts)[:500]


def entry_out(request: Request[Any, Any, Any], row: AuditRow, keys: dict[UUID, bytes]) -> AuditEntry:
    key = keys.get(UUID(row.contact_id)) if row.contact_id else None
    before, after = _open(request, row.before, key), _open(request, row.after, key)
    return AuditEntry(
        id=row.id,
        occurred_at=iso(row.occurred_at),
        actor=row.actor,
        action=row.action,
        category=row.category,
        resource=Resource(row.resource_type, row.resource_id, row.resource_slug),
        before=before if isinstance(before, dict) or before is None else {"value": before},
        after=after if isinstance(after, dict) or after is None else {"value": after},
        diff_summary=_summary(before, after),
        request_id=row.request_id,
    )


def audit_page(
    request: Request[Any, Any, Any],
    tenant_id: str,
    filters: AuditFilters,
    limit: int,
    before: tuple[float, int] | None,
) -> tuple[list[AuditEntry], list[AuditRow]]:
    rows = (
        container_of(request).projections["audit"].view.list(tenant_id, filters, before=before, limit=limit)
    )
    ids = [UUID(r.contact_id) for r in rows if r.contact_id]
    keys = container_of(request).vault.keys(tenant_id, ids, create=False) if ids else {}
    return [entry_out(request, r, keys) for r in rows], rows


class AuditController(Controller):
    path = "/admin/api/audit"
    tags = ["console: audit"]

    @get("/", operation_id="ConsoleAudit", summary="Every console change, newest first", guards=[READ])
    async def audit(self, request: Request[Any, Any, Any]) -> AuditPage:
        query = {
            k: request.query_params[k] for k in (*FILTERS, "since", "until") if request.query_params.get(k)
        }
        filters = AuditFilters(
            **{FILTERS[k]: v for k, v in query.items() if k in FILTERS},
            since=parse_iso(query["since"], "since") if "since" in query else None,
            until=parse_iso(query["until"], "until") if "until" in query else None,
        )
        limit, after = limit_of(request, 50, 200), read_cursor(request, "audit", query)
        container = container_of(request)
        await in_thread(container.catch_up, ["audit"])  # include others' changes made up to now
        entries, rows = await in_thread(
            audit_page,
            request,
            console_of(request).tenant_id,
            filters,
            limit + 1,
            tuple(after) if after else None,
        )
        cursor = (
            make_cursor(request, "audit", query, [rows[limit - 1].occurred_at, rows[limit - 1].seq])
            if len(rows) > limit
            else None
        )
        return AuditPage(entries[:limit], cursor)
