"""How each Broadcast event changes its row of the ``broadcasts`` view (camelCase doc)."""

from __future__ import annotations

from typing import Any

import msgspec

from domain.campaigns.broadcast import Broadcast

SETTINGS = {"segment": "segment", "recipient_cap": "recipientCap", "order": "order",
            "rate_per_minute": "ratePerMinute", "respect_recipient_timezone": "respectRecipientTimezone",
            "schedule_timezone": "scheduleTimezone", "stop_rules": "stopRules"}


class BroadcastRow(msgspec.Struct, frozen=True):
    broadcast_id: str
    tenant_id: str
    slug: str
    status: str
    doc: dict[str, Any]  # times as epoch seconds; the API formats them
    created_ts: float
    updated_ts: float
    scheduled_ts: float | None
    started_ts: float | None


def created_doc(e: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"slug": e.slug, "name": e.name, "templateSlug": e.template_slug}
    doc.update({SETTINGS[k]: v for k, v in e.settings.items() if k in SETTINGS})
    doc.update(status="draft", confirmation=None, scheduledAt=None, startedAt=None, completedAt=None,
               templateVersion=None, recipientCount=0, pauseReason=None, breaches=[], pagesDispatched=0,
               cursor=None)
    return doc


def _apply(doc: dict[str, Any], e: Any) -> None:
    if isinstance(e, Broadcast.Updated):
        for key, value in e.changes.items():
            doc[{"name": "name", "template_slug": "templateSlug"}.get(key) or SETTINGS.get(key, key)] = value
        doc["confirmation"] = None
    elif isinstance(e, Broadcast.Confirmed):
        doc["confirmation"] = {"confirmedCount": e.confirmed_count, "confirmedAt": e.timestamp,
                               "confirmedBy": e.meta.actor}
    elif isinstance(e, Broadcast.Scheduled):
        doc.update(status="scheduled", scheduledAt=e.scheduled_at, scheduleTimezone=e.schedule_timezone,
                   respectRecipientTimezone=e.respect_recipient_timezone)
    elif isinstance(e, Broadcast.Unscheduled):
        doc.update(status="draft", scheduledAt=None, confirmation=None)
    elif isinstance(e, Broadcast.Started):
        doc.update(status="sending", startedAt=e.timestamp, templateVersion=e.template_version)
    elif isinstance(e, Broadcast.PageDispatched):
        doc.update(recipientCount=doc["recipientCount"] + e.count, cursor=e.cursor,
                   pagesDispatched=doc.get("pagesDispatched", 0) + 1)
    elif isinstance(e, Broadcast.Paused):
        doc.update(status="paused", pauseReason={"code": e.code, "message": e.message, "at": e.timestamp})
    elif isinstance(e, Broadcast.Resumed):
        doc.update(status="sending", pauseReason=None)
        if e.recipient_cap is not None:
            doc["recipientCap"] = e.recipient_cap
        if e.confirmed_count is not None and doc.get("confirmation"):
            doc["confirmation"] = {**doc["confirmation"], "confirmedCount": e.confirmed_count}
    elif isinstance(e, Broadcast.StopRuleBreached):
        doc["breaches"] = [*doc.get("breaches", []), {**e.finding, "at": e.timestamp, "paused": e.paused}]
    elif isinstance(e, Broadcast.Cancelled):
        doc.update(status="cancelled", completedAt=e.timestamp, cancelledSends=e.cancelled_sends)
    elif isinstance(e, Broadcast.Completed):
        doc.update(status="sent", completedAt=e.timestamp, recipientCount=e.recipient_count, pauseReason=None)
    elif isinstance(e, Broadcast.Failed):
        doc.update(status="failed", completedAt=e.timestamp, error=e.error)


def folded(row: Any, e: Any) -> Any:
    """The row after event ``e`` (None: an event of a row the view never saw created)."""
    if isinstance(e, Broadcast.Created):
        return BroadcastRow(str(e.originator_id), e.tenant_id, e.slug, "draft", created_doc(e),
                            e.timestamp, e.timestamp, None, None)
    if row is None:
        return None
    doc = dict(row.doc)
    _apply(doc, e)
    return msgspec.structs.replace(row, status=doc["status"], doc=doc, updated_ts=e.timestamp,
                                   scheduled_ts=doc.get("scheduledAt"), started_ts=doc.get("startedAt"))
