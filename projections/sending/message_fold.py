"""How each Message event changes its ``messages`` row: the aggregate's rules, as column writes.

A row is a plain dict while a page is folded (cheap to build, cheap to change); the
projection turns it into a tuple once per page. Every function mirrors the matching
``apply`` of ``domain/sending/message.py``, so the row is the aggregate's state as the
list shows it. ``held_by`` and ``ready_ts`` are derived when the page is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from domain.sending.content import MessageContent, QueueFields
from domain.sending.message import Message
from domain.sending.message_state import shown_recipient

Row = dict[str, Any]
_json = msgspec.json.Encoder()


def _text(value: Any) -> str:
    return _json.encode(value).decode()


def blank(pk: str, tenant_id: str, client_id: str, report: bool, ts: float) -> Row:
    """A message before anything was accepted (``message_state.blank``)."""
    return {
        "pk": pk, "tenant_id": tenant_id, "client_id": client_id, "account_id": None, "priority": None,
        "batch_code": None, "status": "pending", "held_by": None, "from_addr": None, "to_addrs": None,
        "subject": None, "message_id": None, "accepted_ts": None, "updated_ts": ts, "ready_ts": None,
        "deferred_until": None, "deferred_reason": None, "retry_count": 0, "attempts": 0,
        "lease_until": None, "worker_id": None, "sent_ts": None, "error_ts": None, "error": None,
        "error_code": None, "bounce": None, "complaint": None, "report": int(report), "last_event_ts": ts,
        "seq": None,
    }


def _accept(row: Row, fields: QueueFields, content: MessageContent, message_id: str, ts: float) -> None:
    row.update(account_id=fields.account_id, priority=fields.priority, batch_code=fields.batch_code,
               from_addr=content.from_addr, to_addrs=_text(content.to), subject=content.subject,
               message_id=message_id)
    # a deferred_ts in the past means now (message_state.accept)
    if fields.deferred_ts is not None and fields.deferred_ts > ts:
        row.update(status="deferred", deferred_until=fields.deferred_ts, deferred_reason="scheduled")
    else:
        row.update(status="pending", deferred_until=None, deferred_reason=None)


def _touch(row: Row, ts: float) -> None:
    row["updated_ts"] = row["last_event_ts"] = ts


def queued(row: Row | None, e: Message.Queued) -> Row:
    """A first submission, or one that starts a rejected/cancelled id afresh: a whole new row."""
    new = blank(str(e.originator_id), e.tenant_id, e.client_id, e.report, e.timestamp)
    new["accepted_ts"] = e.timestamp
    _accept(new, e.fields, e.content, e.message_id, e.timestamp)
    return new


def updated(row: Row, e: Message.Updated) -> None:
    _accept(row, e.fields, e.content, e.message_id, e.timestamp)
    _touch(row, e.timestamp)


def rejected(row: Row | None, e: Message.Rejected) -> Row:
    """A live message only gains a history entry; a new or reopenable id becomes rejected."""
    if row is None:
        row = blank(str(e.originator_id), e.tenant_id, e.client_id, e.report, e.timestamp)
    elif row["status"] not in ("rejected", "cancelled"):
        row["last_event_ts"] = e.timestamp
        return row
    row.update(status="rejected", error_code=e.reason, error=e.message, error_ts=e.timestamp)
    _touch(row, e.timestamp)
    return row


def attempt_started(row: Row, e: Message.AttemptStarted) -> None:
    row.update(status="sending", attempts=e.attempt, lease_until=e.lease_until, worker_id=e.worker_id,
               deferred_until=None, deferred_reason=None)
    _touch(row, e.timestamp)


def attempt_abandoned(row: Row, e: Message.AttemptAbandoned) -> None:
    row.update(status="pending", lease_until=None, worker_id=None, retry_count=e.retry_count)
    _touch(row, e.timestamp)


def sent(row: Row, e: Message.Sent) -> None:
    row.update(status="sent", lease_until=None, worker_id=None, sent_ts=e.timestamp)
    _touch(row, e.timestamp)


def deferred(row: Row, e: Message.Deferred) -> None:
    row.update(status="deferred", lease_until=None, worker_id=None, error=e.error,
               deferred_until=e.until, deferred_reason=e.reason, retry_count=e.retry_count)
    _touch(row, e.timestamp)


def failed(row: Row, e: Message.Failed) -> None:
    row.update(status="error", lease_until=None, worker_id=None, deferred_until=None,
               deferred_reason=None, error_code=e.error_code, error=e.error, error_ts=e.timestamp)
    _touch(row, e.timestamp)


def cancelled(row: Row, e: Message.Cancelled) -> None:
    row.update(status="cancelled", deferred_until=None, deferred_reason=None)
    _touch(row, e.timestamp)


def bounced(row: Row, e: Message.Bounced) -> None:
    row["bounce"] = _text({"ts": e.timestamp, "type": e.bounce_type, "code": e.bounce_code,
                           "reason": e.reason, "recipient": shown_recipient(e)})
    _touch(row, e.timestamp)


def complained(row: Row, e: Message.Complained) -> None:
    row["complaint"] = _text({"ts": e.timestamp, "type": e.complaint_type, "recipient": shown_recipient(e)})
    _touch(row, e.timestamp)


def offloaded(row: Row, e: Message.AttachmentOffloaded) -> None:
    _touch(row, e.timestamp)


def console_held_by(holds: list[str]) -> str:
    """proxy ``held_by`` of a held console send (console.md §2.3): health wins over a pause."""
    return "health_tripped" if any(h.startswith("health:") for h in holds) else "broadcast_paused"


def held(row: Row, e: Message.Held) -> None:
    row.update(status="held", held_by=console_held_by(e.holds), lease_until=None, worker_id=None)
    _touch(row, e.timestamp)


def released(row: Row, e: Message.Released) -> None:
    if e.holds:
        row["held_by"] = console_held_by(e.holds)
    elif row["deferred_until"] is not None and row["deferred_until"] > e.timestamp:
        row.update(status="deferred", held_by=None)
    else:
        row.update(status="pending", held_by=None, deferred_until=None, deferred_reason=None)
    _touch(row, e.timestamp)


def suppressed(row: Row, e: Message.Suppressed) -> None:
    row.update(status="suppressed", held_by=None, lease_until=None, worker_id=None, deferred_until=None,
               deferred_reason=None, error_code="suppressed", error=e.status_reason, error_ts=e.timestamp)
    _touch(row, e.timestamp)


# Events that create (or restart) a row from nothing, and events that change an existing one.
CREATING: dict[str, Callable[[Row | None, Any], Row]] = {
    Message.Queued.TOPIC: queued,
    Message.Rejected.TOPIC: rejected,
}
CHANGING: dict[str, Callable[[Row, Any], None]] = {
    Message.Updated.TOPIC: updated,
    Message.AttemptStarted.TOPIC: attempt_started,
    Message.AttemptAbandoned.TOPIC: attempt_abandoned,
    Message.Sent.TOPIC: sent,
    Message.Deferred.TOPIC: deferred,
    Message.Failed.TOPIC: failed,
    Message.Cancelled.TOPIC: cancelled,
    Message.Bounced.TOPIC: bounced,
    Message.Complained.TOPIC: complained,
    Message.AttachmentOffloaded.TOPIC: offloaded,
    Message.Held.TOPIC: held,
    Message.Released.TOPIC: released,
    Message.Suppressed.TOPIC: suppressed,
}
