"""The Message: one client message of a tenant, from acceptance to its last outcome.

The id is the uuid5 of (tenant, client id), so a resubmission finds the same aggregate.
The id is open (upserts allowed) until the first attempt starts; after that it is closed
for good (spec proxy.md §5.2). This module holds the events and the acceptance commands;
the delivery commands (attempts, outcomes, bounces) are in ``message_delivery.py``.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from domain.model import Aggregate
from domain.sending import message_state as state
from domain.sending.classify import ErrorCode
from domain.sending.content import MessageContent, QueueFields, RenderRecipe, TemplateRef
from domain.sending.message_acceptance import AcceptanceCommands
from domain.sending.message_console import ConsoleCommands, Held, Released, Suppressed
from domain.sending.message_delivery import DeliveryCommands
from domain.sending.message_state import MessageEvent
from domain.sending.message_tracking import Clicked, Delivered, Opened, TrackingCommands, UnsubscribeRecorded


class Message(AcceptanceCommands, TrackingCommands, ConsoleCommands, DeliveryCommands, Aggregate):
    TOPIC = "Message"

    # console sends' holds and refusals (console.md §2.3): declared in message_console.py
    Held = Held
    Released = Released
    Suppressed = Suppressed

    # after delivery (console.md §6, §10): declared in message_tracking.py, folded here
    Delivered = Delivered
    Opened = Opened
    Clicked = Clicked
    UnsubscribeRecorded = UnsubscribeRecorded

    class Queued(MessageEvent, Aggregate.Created, frozen=True, kw_only=True):
        """Accepted for sending: the first submission of (`tenant_id`, `client_id`), or a
        resubmission of a rejected or cancelled one, which starts the message afresh (its
        history is kept). `fields`: how it waits in the queue; `content`: what is sent;
        `message_id`: the Message-ID header, `<...@domain>`, kept by every retry; `report`:
        the tenant had a `client_base_url` when the message was accepted. `origin`, `kind`,
        `dedupe_key`, `contact_id`, `template`: console sends only (console.md §2.1; a hit
        on the send is the contact's), absent on proxy messages; `recipe`: a console send
        to a contact, rendered at each attempt (its `content` then has no recipient, subject
        or body: nothing personal is stored in clear)."""

        TOPIC: ClassVar[str] = "Message.Queued"
        HISTORY_OMIT: ClassVar[tuple[str, ...]] = ("tenant_id", "client_id", "content")
        tenant_id: str
        client_id: str
        fields: QueueFields
        content: MessageContent
        message_id: str
        report: bool
        # ConsoleOrigin, flat
        origin: str | None = None
        kind: str | None = None
        dedupe_key: str | None = None
        contact_id: str | None = None
        template: TemplateRef | None = None
        recipe: RenderRecipe | None = None

        def apply(self, msg: Any) -> None:
            state.blank(msg, self.tenant_id, self.client_id, self.report)
            msg.accepted_ts = self.timestamp
            state.accept(msg, self.fields, self.content, self.message_id, self.timestamp)
            msg.origin, msg.contact_id = self.origin or "api", self.contact_id
            msg.kind, msg.recipe = self.kind, self.recipe

    class Updated(MessageEvent, frozen=True, kw_only=True):
        """A resubmission before any attempt replaced what is sent and how it queues. The
        message keeps its pk and queue position (`accepted_ts`). `fields`, `content` and
        `message_id` are the whole new state; `changed` names what differed: `account_id`,
        `priority`, `batch_code`, `deferred_ts`, `content`, `message_id`."""

        TOPIC: ClassVar[str] = "Message.Updated"
        HISTORY_OMIT: ClassVar[tuple[str, ...]] = ("content",)
        fields: QueueFields
        content: MessageContent
        message_id: str
        changed: list[str]

        def apply(self, msg: Any) -> None:
            state.accept(msg, self.fields, self.content, self.message_id, self.timestamp)

    class Rejected(MessageEvent, Aggregate.Created, frozen=True, kw_only=True):
        """A submission refused by validation (spec §5.3). For a new id, or one that was
        rejected or cancelled, the message becomes `rejected`; a message still queued keeps
        its content and status and only gains this history entry. `reason` is the rejection
        code, `field` the offending input path (when there is one), `message` the human text;
        `report`: the tenant had a `client_base_url` (an `error` item with `rejected: true`)."""

        TOPIC: ClassVar[str] = "Message.Rejected"
        HISTORY_OMIT: ClassVar[tuple[str, ...]] = ("tenant_id", "client_id")
        tenant_id: str
        client_id: str
        reason: state.RejectReason
        field: str | None
        message: str
        report: bool

        def mutate(self, aggregate: Aggregate | None) -> Aggregate:
            if aggregate is None:
                return super().mutate(None)
            # on a live message this is an ordinary event: it must not restart the state
            trail = aggregate.trail  # type: ignore[attr-defined]
            result = Aggregate.Event.mutate(self, aggregate)
            state.remember(result, self, trail)
            return result

        def apply(self, msg: Any) -> None:
            fresh = "status" not in msg.__dict__
            if fresh:
                state.blank(msg, self.tenant_id, self.client_id, self.report)
            if fresh or msg.status in state.REOPENABLE:
                msg.status = "rejected"
                msg.error_code, msg.error, msg.error_ts = self.reason, self.message, self.timestamp

    class AttemptStarted(MessageEvent, frozen=True, kw_only=True):
        """A dispatcher claimed the message and starts delivery attempt `attempt` (1-based).
        `worker_id` holds the lease until `lease_until`; `date` is the Date header, set at
        the first attempt and repeated unchanged by every retry."""

        TOPIC: ClassVar[str] = "Message.AttemptStarted"
        attempt: int
        worker_id: str
        lease_until: float
        date: str

        def apply(self, msg: Any) -> None:
            msg.status, msg.attempts, msg.date = "sending", self.attempt, self.date
            msg.lease = state.Lease(self.attempt, self.worker_id, self.lease_until)
            msg.deferred_until = msg.deferred_reason = None

    class AttemptAbandoned(MessageEvent, frozen=True, kw_only=True):
        """The lease of `attempt` (held by `worker_id` until `lease_until`) expired without
        an outcome: the attempt counts as a retry and the message is ready again at once
        (`retry_count` is the count after it). With no retry left a `Failed` follows."""

        TOPIC: ClassVar[str] = "Message.AttemptAbandoned"
        attempt: int
        worker_id: str
        lease_until: float
        retry_count: int

        def apply(self, msg: Any) -> None:
            msg.status, msg.lease, msg.retry_count = "pending", None, self.retry_count

    class Sent(MessageEvent, frozen=True, kw_only=True):
        """The SMTP server took the message (terminal). `smtp_reply`: its final reply;
        `refused_recipients`: recipients refused at RCPT while others were accepted;
        `suppressed_recipients`: left out because the tenant suppresses them; `warnings`:
        e.g. an attachment over the tenant's large-file `warn` limit; `body_hash`: SHA-256
        (hex) of the MIME message sent (absent on events recorded before it existed)."""

        TOPIC: ClassVar[str] = "Message.Sent"
        smtp_reply: str
        refused_recipients: list[state.RecipientRefusal]
        suppressed_recipients: list[str]
        warnings: list[str]
        report: bool
        body_hash: str | None = None

        def apply(self, msg: Any) -> None:
            msg.status, msg.lease, msg.sent_ts, msg.smtp_reply = "sent", None, self.timestamp, self.smtp_reply

    class Deferred(MessageEvent, frozen=True, kw_only=True):
        """Not before `until`. `reason` `temporary_failure` (with the attempt's `error`; it
        counts a retry: `retry_count` is the count after it) or `rate_limit` (a full window at
        claim time; counts nothing). `report`: the tenant had a `client_base_url`."""

        TOPIC: ClassVar[str] = "Message.Deferred"
        reason: state.RetryLater
        until: float
        error: str | None
        retry_count: int
        report: bool

        def apply(self, msg: Any) -> None:
            msg.status, msg.lease, msg.error = "deferred", None, self.error
            msg.deferred_until, msg.deferred_reason = self.until, self.reason
            msg.retry_count = self.retry_count

    class Failed(MessageEvent, frozen=True, kw_only=True):
        """Failed permanently (terminal): `error_code` names the class (spec §6.3, §6.4, §7),
        `error` says what happened (`SMTP 550 5.1.1 user unknown`, `max retries (5)
        exceeded: ...`). `report`: the tenant had a `client_base_url`."""

        TOPIC: ClassVar[str] = "Message.Failed"
        error_code: ErrorCode
        error: str
        report: bool

        def apply(self, msg: Any) -> None:
            msg.status, msg.lease, msg.deferred_until, msg.deferred_reason = "error", None, None, None
            msg.error_code, msg.error, msg.error_ts = self.error_code, self.error, self.timestamp

    class Cancelled(MessageEvent, frozen=True, kw_only=True):
        """Removed before it was sent: `reason` `deleted` (delete-messages) or
        `tenant_deleted`. Not reported; the id may be queued again if it was never attempted."""

        TOPIC: ClassVar[str] = "Message.Cancelled"
        reason: state.CancelReason

        def apply(self, msg: Any) -> None:
            msg.status, msg.deferred_until, msg.deferred_reason = "cancelled", None, None
            msg.holds = []

    class Bounced(MessageEvent, frozen=True, kw_only=True):
        """`recipient` bounced: `bounce_type` hard (the address is bad) or soft, `bounce_code`
        the enhanced status code (e.g. `5.1.1`, null when none), `category` per spec §10.2,
        `reason` at most 500 characters, `source`: `smtp` (refused at RCPT), `dsn`, or `other`
        (a bounce mail recognised by its subject or sender). The status does not change.
        A console send's `recipient` is sealed with its contact's key (`enc:c1:`, empty when
        the contact is gone), its address cut from `reason`, and `recipient_key` is the
        address's keyed hash (what the suppression is keyed by): see ADR 0031."""

        TOPIC: ClassVar[str] = "Message.Bounced"
        recipient: str
        bounce_type: state.BounceType
        bounce_code: str | None
        category: state.BounceCategory
        reason: str
        source: state.BounceSource
        report: bool
        recipient_key: str | None = None  # set only when `recipient` is sealed

        def apply(self, msg: Any) -> None:
            msg.bounce = self

    class Complained(MessageEvent, frozen=True, kw_only=True):
        """`recipient` reported the message (an ARF report); `complaint_type` is its
        Feedback-Type (abuse, fraud, virus, other). The status does not change. A console
        send's `recipient` is sealed and `recipient_key` set, as in `Bounced`."""

        TOPIC: ClassVar[str] = "Message.Complained"
        recipient: str
        complaint_type: str
        report: bool
        recipient_key: str | None = None  # set only when `recipient` is sealed

        def apply(self, msg: Any) -> None:
            msg.complaint = self

    class AttachmentOffloaded(MessageEvent, frozen=True, kw_only=True):
        """Attachment `index` (0-based, in `content.attachments`) was too large and was
        stored as download `file_id` until `expires` instead of being attached; retries
        reuse the same link."""

        TOPIC: ClassVar[str] = "Message.AttachmentOffloaded"
        index: int
        file_id: str
        expires: float

        def apply(self, msg: Any) -> None:
            msg.offloaded = {**msg.offloaded, self.index: self}

    tenant_id: str
    client_id: str
    report: bool  # the tenant had a client_base_url at acceptance: the default for outcomes
    fields: QueueFields | None  # None: rejected before it was ever queued
    content: MessageContent | None
    message_id: str | None
    status: state.Status
    accepted_ts: float | None
    deferred_until: float | None
    deferred_reason: state.DeferReason | None
    retry_count: int
    attempts: int
    lease: state.Lease | None
    date: str | None
    sent_ts: float | None
    smtp_reply: str | None
    error_ts: float | None
    error: str | None
    error_code: str | None  # an ErrorCode, or the RejectReason of a rejected message
    bounce: Message.Bounced | None  # the latest
    complaint: Message.Complained | None  # the latest
    offloaded: dict[int, Message.AttachmentOffloaded]
    trail: list[MessageEvent]  # every event, oldest first
    origin: str  # "api" for proxy messages, else the console origin of Queued
    contact_id: str | None  # the console recipient (tracking hits are attributed to it)
    kind: str | None  # console sends: marketing | transactional
    recipe: RenderRecipe | None  # console sends to a contact: rendered at each attempt
    holds: list[str]  # console holds (health:<bucket>, broadcast:<id>) while held

    @property
    def pk(self) -> UUID:
        return self.id

    @property
    def closed(self) -> bool:
        """Resubmissions are refused once an attempt started or the message finished."""
        return self.attempts > 0 or self.status in state.FINISHED
