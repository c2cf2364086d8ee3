"""Send rows to responses (console.md §6 SendView); recipients opened with their contact's key."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request

from api.admin_common import iso
from api.calls import container_of


def recipients(
    request: Request[Any, Any, Any], tenant_id: str, rows: list[dict[str, Any]]
) -> dict[str, tuple[str, str | None]]:
    """contact id -> (externalId, email or None when forgotten), one key query per page."""
    container = container_of(request)
    ids = list(dict.fromkeys(r["contact_id"] for r in rows if r["contact_id"]))
    if not ids:
        return {}
    contacts = container.projections["contacts"].view.by_ids(tenant_id, ids)
    keys = container.vault.keys(tenant_id, [UUID(c.contact_id) for c in contacts], create=False)
    out = {}
    for contact in contacts:
        data = container.vault.open(keys.get(UUID(contact.contact_id)), contact.personal)
        out[contact.contact_id] = (contact.external_id, data.get("email") if isinstance(data, dict) else None)
    return out


def send_out(
    row: dict[str, Any],
    people: dict[str, tuple[str, str | None]],
    opens: list[dict[str, Any]] | None = None,
    clicks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    external_id, email = people.get(row["contact_id"] or "", (None, row["email"]))
    return {
        "sendId": row["pk"],
        "dedupeKey": row["dedupe_key"],
        "origin": row["origin"],
        "kind": row["kind"],
        "status": row["status"],
        "statusReason": row["status_reason"],
        "externalId": external_id,
        "contactId": row["contact_id"],
        "email": email,
        "templateSlug": row["template_slug"],
        "templateVersion": row["template_version"],
        "flowSlug": row["flow_slug"],
        "runId": row["run_id"],
        "broadcastSlug": row["broadcast_slug"],
        "fromEmail": row["from_email"],
        "subject": row["subject"],
        "accountId": row["account_id"],
        "queuedAt": iso(row["queued_ts"]),
        "notBefore": iso(row["not_before"]),
        "sentAt": iso(row["sent_ts"]),
        "deliveredAt": iso(row["delivered_ts"]),
        "bounce": row["bounce"],
        "complainedAt": iso(row["complained_ts"]),
        "unsubscribedAt": iso(row["unsubscribed_ts"]),
        "opens": [_hit(h, False) for h in opens or []],
        "clicks": [_hit(h, True) for h in clicks or []],
        "openCount": row["open_count"],
        "humanOpenCount": row["human_open_count"],
        "clickCount": row["click_count"],
        "humanClickCount": row["human_click_count"],
        "holds": row["holds"],
        "bodyHash": row["body_hash"],
    }


def _hit(hit: dict[str, Any], click: bool) -> dict[str, Any]:
    out = {"at": iso(hit["at"]), "bot": hit["bot"], "botReason": hit["botReason"]}
    if click:
        out.update(linkId=hit["linkId"], url=hit["url"])
    return out
