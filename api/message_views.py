"""Messages as the API shows them: from the ``messages`` view (lists) or the event store.

A single message is answered from its aggregate, so it is never stale and still answers
after a retention purge (``purged: true``); lists come from the view. When the client
acknowledged each reportable event (``reported_ts``) comes from the view's
``message_reports``, which a purge keeps.
"""

from __future__ import annotations

from typing import Any

import msgspec

from api.contracts.messages import HistoryEntry, MessageDetail, MessageRecord
from domain.sending.message import Message
from domain.sending.message_state import shown_recipient
from projections.sending.report_items import REPORTED

SECRET_AUTH = ("token", "password")


def _ts(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def record_from_row(row: Any, history: list[HistoryEntry] | None = None) -> MessageRecord:
    extra: dict[str, Any] = {} if history is None else {"history": history}
    return MessageRecord(
        pk=row.pk, id=row.client_id, tenant_id=row.tenant_id, account_id=row.account_id,
        priority=row.priority, batch_code=row.batch_code, status=row.status, held_by=row.held_by,
        from_=row.from_addr, to=list(row.to_addrs or []), subject=row.subject, message_id=row.message_id,
        accepted_ts=_ts(row.accepted_ts), updated_ts=_ts(row.updated_ts),
        deferred_until=_ts(row.deferred_until), deferred_reason=row.deferred_reason,
        retry_count=row.retry_count, attempts=row.attempts, sent_ts=_ts(row.sent_ts),
        error_ts=_ts(row.error_ts), error=row.error, error_code=row.error_code, bounce=row.bounce,
        complaint=row.complaint, unreported_reports=row.unreported_reports, **extra)


def history_of(message: Message, reported: dict[str, float | None]) -> list[HistoryEntry]:
    """The message's events, oldest first; ``reported``: ``event_id`` -> acknowledgement time
    of its reportable events (``MessagesView.reported``)."""
    return [msgspec.convert({**entry, "reported_ts": _ts(reported.get(entry["event_id"]))}, HistoryEntry)
            for entry in message.history()]


def unreported(message: Message, reported: dict[str, float | None]) -> int:
    """Reportable events (from the aggregate, never stale) not yet acknowledged by the client
    as far as the view knows: a lagging view errs towards "still unreported"."""
    return sum(1 for event in message.trail
               if type(event).TOPIC in REPORTED and getattr(event, "report", False)
               and reported.get(f"{message.id}:{event.originator_version}") is None)


def detail_from_aggregate(message: Message, *, held_by: str | None, purged: bool,
                          reported: dict[str, float | None], tenant_deleted: bool = False) -> MessageDetail:
    """``tenant_deleted``: its report items were dropped with it, so none is pending."""
    fields, content = message.fields, message.content
    bounce = message.bounce
    complaint = message.complaint
    return MessageDetail(
        pk=str(message.id), id=message.client_id, tenant_id=message.tenant_id,
        account_id=fields.account_id if fields else None, priority=fields.priority if fields else None,
        batch_code=fields.batch_code if fields else None, status=message.status,
        held_by=held_by if message.status in ("pending", "deferred") else None,
        from_=content.from_addr if content else None, to=list(content.to) if content else [],
        subject=content.subject if content else None, message_id=message.message_id,
        accepted_ts=_ts(message.accepted_ts), updated_ts=_ts(message.modified_ts),
        deferred_until=_ts(message.deferred_until), deferred_reason=message.deferred_reason,
        retry_count=message.retry_count, attempts=message.attempts, sent_ts=_ts(message.sent_ts),
        error_ts=_ts(message.error_ts), error=message.error, error_code=message.error_code,
        bounce=None if bounce is None else {"ts": _ts(bounce.timestamp), "type": bounce.bounce_type,
                                            "code": bounce.bounce_code, "reason": bounce.reason,
                                            "recipient": shown_recipient(bounce)},
        complaint=None if complaint is None else {"ts": _ts(complaint.timestamp),
                                                  "type": complaint.complaint_type,
                                                  "recipient": shown_recipient(complaint)},
        unreported_reports=0 if tenant_deleted else unreported(message, reported),
        history=history_of(message, reported), payload=payload_of(message), purged=purged)


def payload_of(message: Message) -> dict[str, Any] | None:
    """The submitted content: attachment contents replaced by their size, secrets masked."""
    if message.content is None:
        return None
    data = msgspec.to_builtins(message.content)
    data["from"] = data.pop("from_addr")
    for attachment in data.get("attachments", []):
        if attachment.get("fetch_mode") == "base64":
            attachment["storage_path"] = {"size": len(attachment["storage_path"]) * 3 // 4}
        auth = attachment.get("auth") or {}
        for key in SECRET_AUTH:
            if auth.get(key):
                auth[key] = "***"
    if message.fields is not None:
        data.update(msgspec.to_builtins(message.fields))
    return data
