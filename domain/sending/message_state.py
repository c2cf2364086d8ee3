"""The Message aggregate's vocabulary and the parts of its state that are not events.

Split from ``message.py`` so the aggregate file holds only its events and rules. The
Literal types below appear in stored events: adding a value later is compatible (old
events still decode); removing or renaming one is not.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

import msgspec

from domain.model import Aggregate
from domain.sending.content import MessageContent, QueueFields
from domain.sending.ids import message_event_id

Status = Literal["pending", "deferred", "sending", "sent", "error", "rejected", "cancelled", "held",
                 "suppressed"]  # held, suppressed: console sends only (console.md §2.3)
DeferReason = Literal["scheduled", "temporary_failure", "rate_limit"]  # why a message waits
RetryLater = Literal["temporary_failure", "rate_limit"]  # a Deferred event's reason ("scheduled" is
# derived from QueueFields.deferred_ts: no event defers a message for its schedule)
RejectReason = Literal[
    "missing_field", "invalid_field", "unknown_field", "account_not_found",
    "attachment_invalid", "attachment_too_large",
]
CancelReason = Literal["deleted", "tenant_deleted"]  # delete-messages, or tenant deletion
BounceType = Literal["hard", "soft"]
BounceCategory = Literal["recipient", "policy", "mailbox", "other", "transient", "unknown"]
BounceSource = Literal["smtp", "dsn", "other", "webhook"]  # refused at RCPT, a DSN, a heuristic
# bounce mail, the console's normalised outcome feed (POST /admin/api/webhooks/events)

WAITING: tuple[Status, ...] = ("pending", "deferred")  # queued, no attempt in flight
FINISHED: tuple[Status, ...] = ("sent", "error", "suppressed")
REOPENABLE: tuple[Status, ...] = ("rejected", "cancelled")
BOUNCE_REASON_MAX = 500

_COMMON = frozenset({"originator_id", "originator_version", "timestamp", "meta"})
_CONSOLE = frozenset({"origin", "kind", "dedupe_key", "contact_id", "template", "recipe"})  # Queued, optional


class RecipientRefusal(msgspec.Struct, frozen=True):
    """One recipient the server refused at RCPT while others were accepted."""

    recipient: str
    code: int  # the SMTP reply code
    error: str  # e.g. "SMTP 550 5.1.1 user unknown"


class Lease(msgspec.Struct, frozen=True):
    """The attempt in flight: who holds it and until when (state only, never stored)."""

    attempt: int
    worker_id: str
    lease_until: float


class MessageEvent(Aggregate.Event, frozen=True, kw_only=True):
    """Base of every Message event: keeps the aggregate's trail of events for ``history()``.

    A second ``Message.Queued`` restarts the aggregate's state (a rejected or cancelled id
    queued again); the trail is carried across so the history stays whole.
    """

    HISTORY_OMIT: ClassVar[tuple[str, ...]] = ()  # fields left out of history entries

    def mutate(self, aggregate: Aggregate | None) -> Aggregate:
        trail = getattr(aggregate, "trail", None) if aggregate is not None else None
        result = super().mutate(aggregate)
        remember(result, self, trail)
        return result


def remember(aggregate: Any, event: MessageEvent, trail: list[MessageEvent] | None) -> None:
    aggregate.trail = trail if trail is not None else []
    aggregate.trail.append(event)


@functools.cache
def history_type(event_class: type[MessageEvent]) -> str:
    """``Message.AttemptStarted`` -> ``attempt_started``: from the stored topic, so it is stable."""
    name = event_class.TOPIC.rpartition(".")[2]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def history_entry(pk: UUID, event: MessageEvent) -> dict[str, Any]:
    """One HistoryEntry of GET /messages/{id}, without ``reported_ts`` (known to reporting only)."""
    omit = _COMMON | set(type(event).HISTORY_OMIT)
    data = {
        k: v
        for k, v in msgspec.to_builtins(event).items()
        if k not in omit and not (v is None and k in _CONSOLE)  # proxy messages show none of them
    }
    return {
        "event_id": message_event_id(pk, event.originator_version),
        "type": history_type(type(event)),
        "ts": event.timestamp,
        "data": data,
    }


def date_header(ts: float) -> str:
    """The RFC 5322 Date header for a service-clock time, in UTC."""
    return format_datetime(datetime.fromtimestamp(ts, tz=UTC))


def blank(msg: Any, tenant_id: str, client_id: str, report: bool) -> None:
    """The state of a message before anything was accepted (all of it, so replays compare)."""
    msg.tenant_id, msg.client_id, msg.report = tenant_id, client_id, report
    msg.fields = msg.content = msg.message_id = msg.accepted_ts = None
    msg.status = "pending"
    msg.deferred_until = msg.deferred_reason = msg.lease = msg.date = None
    msg.retry_count = msg.attempts = 0
    msg.sent_ts = msg.smtp_reply = msg.error_ts = msg.error = msg.error_code = None
    msg.bounce = msg.complaint = None
    msg.offloaded = {}
    msg.origin, msg.contact_id = "api", None
    msg.kind, msg.recipe, msg.holds = None, None, []  # a list: what a JSON replay gives back


def accept(msg: Any, fields: QueueFields, content: MessageContent, message_id: str, ts: float) -> None:
    msg.fields, msg.content, msg.message_id = fields, content, message_id
    # a deferred_ts in the past means now: such a message is plainly pending
    if fields.deferred_ts is not None and fields.deferred_ts > ts:
        msg.status, msg.deferred_until, msg.deferred_reason = "deferred", fields.deferred_ts, "scheduled"
    else:
        msg.status, msg.deferred_until, msg.deferred_reason = "pending", None, None


def changed_parts(msg: Any, fields: QueueFields, content: MessageContent, message_id: str) -> list[str]:
    old = msg.fields
    changed = [name for name in ("account_id", "priority", "batch_code", "deferred_ts")
               if old is None or getattr(old, name) != getattr(fields, name)]
    if content != msg.content:
        changed.append("content")
    if message_id != msg.message_id:
        changed.append("message_id")
    return changed


def shown_recipient(event: Any) -> str | None:
    """A bounce's or complaint's recipient as views show it: None when sealed (a console
    send to a contact, ADR 0031), so no view holds the ciphertext or the address."""
    return None if getattr(event, "recipient_key", None) else event.recipient
