"""Message contracts (proxy.md §4.2, §5)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from domain.sending.validate import Rejection


class AddMessages(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Entries stay raw here: each is validated on its own, so one bad message never
    # fails the request (spec §5.2).
    messages: Annotated[list[Any], Meta(min_length=1)]
    default_priority: int | str | None = None


class AcceptedOut(msgspec.Struct, frozen=True):
    id: str
    pk: str
    message_id: str


class AddMessagesAnswer(msgspec.Struct, frozen=True):
    ok: bool
    queued: int
    rejected: list[Rejection]
    accepted: list[AcceptedOut]


ClientId = Annotated[str, Meta(min_length=1, max_length=256)]


class DeleteMessages(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    ids: Annotated[list[ClientId], Meta(min_length=1, max_length=1000)]
    tenant_id: str | None = None


class NotRemovable(msgspec.Struct, frozen=True):
    id: str
    status: str


class DeleteAnswer(msgspec.Struct, frozen=True):
    ok: bool
    removed: int
    not_found: list[str]
    not_removable: list[NotRemovable]


class CleanupMessages(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    older_than_seconds: Annotated[int, Meta(ge=0)] | None = None
    tenant_id: str | None = None


class CleanupAnswer(msgspec.Struct, frozen=True):
    ok: bool
    removed: int


class HistoryEntry(msgspec.Struct, frozen=True):
    event_id: str
    type: str
    ts: float
    data: dict[str, Any]
    reported_ts: float | None = None


class MessageRecord(msgspec.Struct, frozen=True, kw_only=True):
    pk: str
    id: str
    tenant_id: str
    account_id: str | None = None
    priority: int | None = None
    batch_code: str | None = None
    status: str
    held_by: str | None = None
    from_: str | None = msgspec.field(name="from")
    to: list[str] = msgspec.field(default_factory=list)
    subject: str | None = None
    message_id: str | None = None
    accepted_ts: float | None = None
    updated_ts: float | None = None
    deferred_until: float | None = None
    deferred_reason: str | None = None
    retry_count: int = 0
    attempts: int = 0
    sent_ts: float | None = None
    error_ts: float | None = None
    error: str | None = None
    error_code: str | None = None
    bounce: dict[str, Any] | None = None
    complaint: dict[str, Any] | None = None
    unreported_reports: int = 0
    history: list[HistoryEntry] | UnsetType = UNSET  # present when asked for


class MessageDetail(MessageRecord, frozen=True, kw_only=True):
    ok: bool = True
    payload: dict[str, Any] | None = None
    purged: bool = False


class MessageList(msgspec.Struct, frozen=True):
    ok: bool
    messages: list[MessageRecord]
    next_cursor: str | None
