"""How each sending-log event changes a row of the ``sends`` view (console.md §6, §2.3).

Rows are plain dicts keyed by ``COLUMNS``. Console fields of ``Message.Queued`` (origin,
kind, dedupeKey, contactId, template) are read with defaults, so proxy messages show as
origin ``api``, kind ``transactional``, and console sends pick them up when they appear.
Status mapping (§2.3): queued <- pending or deferred scheduled/rate_limit; deferred <-
retry; failed <- error; delivered <- sent + Delivered; bounced/complained from outcomes.
"""

from __future__ import annotations

from typing import Any

import msgspec

KINDS: dict[str, str] = {
    "pk": "text",
    "tenant_id": "text",
    "client_id": "text",
    "dedupe_key": "text",
    "origin": "text",
    "kind": "text",
    "status": "text",
    "status_reason": "text",
    "contact_id": "text",
    "email": "text",
    "template_slug": "text",
    "template_version": "int",
    "flow_slug": "text",
    "run_id": "text",
    "broadcast_slug": "text",
    "from_email": "text",
    "subject": "text",
    "account_id": "text",
    "queued_ts": "real",
    "not_before": "real",
    "sent_ts": "real",
    "delivered_ts": "real",
    "bounce": "text",
    "bounced": "int",
    "complained_ts": "real",
    "unsubscribed_ts": "real",
    "open_count": "int",
    "human_open_count": "int",
    "click_count": "int",
    "human_click_count": "int",
    "first_open_ts": "real",
    "first_human_open_ts": "real",
    "first_click_ts": "real",
    "first_human_click_ts": "real",
    "engaged_ts": "real",
    "holds": "text",
    "body_hash": "text",
    "last_failure_ts": "real",
    "updated_ts": "real",
}
COLUMNS = tuple(KINDS)
COUNTS = ("open_count", "human_open_count", "click_count", "human_click_count", "bounced")


def _get(value: Any, name: str, default: Any = None) -> Any:
    if isinstance(value, dict):
        return value.get(name, default)
    return getattr(value, name, default)


def _address(mailbox: str) -> str:
    return (
        mailbox.rpartition("<")[2].rstrip(">").strip().lower() if "<" in mailbox else mailbox.strip().lower()
    )


def queued(row: dict[str, Any] | None, event: Any) -> dict[str, Any]:
    """A new row, or a queued-afresh one (counts kept: they are the message's history)."""
    out = dict.fromkeys(COLUMNS) if row is None else dict(row)
    if row is None:
        out.update(dict.fromkeys(COUNTS, 0))
    fields, content = event.fields, event.content
    origin = _get(event, "origin") or "api"
    template = _get(event, "template")
    batch = fields.batch_code or ""
    dedupe = _get(event, "dedupe_key") or event.client_id
    out.update(
        pk=str(event.originator_id),
        tenant_id=event.tenant_id,
        client_id=event.client_id,
        dedupe_key=dedupe,
        origin=origin,
        kind=_get(event, "kind") or "transactional",
        status="queued",
        status_reason=None,
        contact_id=_str(_get(event, "contact_id")),
        # console sends keep no clear address (console.md §2.4): it is the contact's, opened at read
        email=_address(content.to[0]) if _bare(origin, event) and content.to else None,
        template_slug=_get(template, "slug"),
        template_version=_get(template, "version"),
        flow_slug=batch[2:] if origin == "flow" and batch.startswith("f:") else None,
        run_id=dedupe.split(":")[1] if dedupe.startswith("flowrun:") else None,
        broadcast_slug=batch[2:] if origin == "broadcast" and batch.startswith("b:") else None,
        from_email=_address(content.from_addr),
        subject=content.subject if origin == "api" else None,
        account_id=fields.account_id,
        queued_ts=event.timestamp,
        not_before=_get(event, "not_before") or fields.deferred_ts,
        holds="[]",
    )
    return out


def _bare(origin: str, event: Any) -> bool:
    """API messages and console sends to a bare address (a test send) show their recipient."""
    return origin == "api" or _get(event, "contact_id") is None


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def changed(row: dict[str, Any], topic: str, e: Any) -> dict[str, Any]:
    """The row after one event of an existing send."""
    name = topic.partition(".")[2].partition("#")[0]
    handler = _HANDLERS.get(name)
    if handler is not None:
        handler(row, e)
    row["updated_ts"] = e.timestamp
    return row


def _updated(row: dict[str, Any], e: Any) -> None:
    row.update(account_id=e.fields.account_id, not_before=e.fields.deferred_ts)


def _deferred(row: dict[str, Any], e: Any) -> None:
    retry = e.reason == "temporary_failure"
    row.update(
        status="deferred" if retry else "queued",
        status_reason=e.error if retry else "rate_limit",
        not_before=e.until,
    )
    if retry:
        row["last_failure_ts"] = e.timestamp


def _failed(row: dict[str, Any], e: Any) -> None:
    suppressed = e.error_code == "recipient_suppressed"
    row.update(
        status="suppressed" if suppressed else "failed",
        status_reason=e.error_code,
        last_failure_ts=e.timestamp,
    )


def _bounced(row: dict[str, Any], e: Any) -> None:
    bounce = {"type": e.bounce_type, "code": e.bounce_code, "category": e.category, "reason": e.reason}
    row.update(status="bounced", bounce=msgspec.json.encode(bounce).decode(), bounced=1)


def _delivered(row: dict[str, Any], e: Any) -> None:
    row["delivered_ts"] = e.at
    if row["status"] == "sent":
        row["status"] = "delivered"


def _hit(row: dict[str, Any], e: Any, kind: str) -> None:
    row[f"{kind}_count"] += 1
    row[f"first_{kind}_ts"] = row[f"first_{kind}_ts"] or e.at
    if not e.bot:
        row[f"human_{kind}_count"] += 1
        row[f"first_human_{kind}_ts"] = row[f"first_human_{kind}_ts"] or e.at
        row["engaged_ts"] = min(row["engaged_ts"] or e.at, e.at)  # a human click counts as an open


def _held(row: dict[str, Any], e: Any) -> None:
    holds = set(msgspec.json.decode(row["holds"] or "[]"))
    hold = _get(e, "hold")
    holds.update([hold] if hold else list(_get(e, "holds", []) or []))
    row.update(status="held", holds=msgspec.json.encode(sorted(holds)).decode())


def _released(row: dict[str, Any], e: Any) -> None:
    holds = set(msgspec.json.decode(row["holds"] or "[]"))
    hold = _get(e, "hold")
    holds.difference_update([hold] if hold else list(holds))
    row["holds"] = msgspec.json.encode(sorted(holds)).decode()
    if not holds:
        row["status"] = "queued"


def _suppressed(row: dict[str, Any], e: Any) -> None:
    row.update(status="suppressed", status_reason=_get(e, "status_reason") or _get(e, "reason"))


_HANDLERS: dict[str, Any] = {
    "Updated": _updated,
    "AttemptStarted": lambda r, e: r.update(status="sending"),
    "AttemptAbandoned": lambda r, e: r.update(status="queued"),
    "Sent": lambda r, e: r.update(status="sent", sent_ts=e.timestamp, body_hash=_get(e, "body_hash")),
    "Deferred": _deferred,
    "Failed": _failed,
    "Cancelled": lambda r, e: r.update(status="cancelled"),
    "Bounced": _bounced,
    "Complained": lambda r, e: r.update(status="complained", complained_ts=e.timestamp),
    "Delivered": _delivered,
    "Opened": lambda r, e: _hit(r, e, "open"),
    "Clicked": lambda r, e: _hit(r, e, "click"),
    "UnsubscribeRecorded": lambda r, e: r.update(unsubscribed_ts=e.at),
    # console-send events (issue #8), folded by name so they work the day they appear
    "Held": _held,
    "Released": _released,
    "Suppressed": _suppressed,
}
MESSAGE_TOPICS = frozenset({"Message.Queued", *(f"Message.{n}" for n in _HANDLERS)})
