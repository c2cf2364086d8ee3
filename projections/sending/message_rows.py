"""The ``messages`` row as stored and as read: column order, ``MessageRow``, list cursors.

Column names and types are a contract: the dispatcher's claim SQL is written against them.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import msgspec

COLUMNS = (
    "pk", "tenant_id", "client_id", "account_id", "priority", "batch_code", "status", "held_by",
    "from_addr", "to_addrs", "subject", "message_id", "accepted_ts", "updated_ts", "ready_ts",
    "deferred_until", "deferred_reason", "retry_count", "attempts", "lease_until", "worker_id",
    "sent_ts", "error_ts", "error", "error_code", "bounce", "complaint", "report", "last_event_ts",
    "seq",
)
SQL_TYPES = {
    "pk": "TEXT PRIMARY KEY", "tenant_id": "TEXT NOT NULL", "client_id": "TEXT NOT NULL",
    "priority": "INTEGER", "status": "TEXT NOT NULL", "accepted_ts": "REAL", "updated_ts": "REAL NOT NULL",
    "ready_ts": "REAL", "deferred_until": "REAL", "retry_count": "INTEGER NOT NULL",
    "attempts": "INTEGER NOT NULL", "lease_until": "REAL", "sent_ts": "REAL", "error_ts": "REAL",
    "report": "INTEGER NOT NULL", "last_event_ts": "REAL NOT NULL", "seq": "BIGINT",
}  # every other column is a nullable TEXT
_KIND_OF = (("INTEGER", "int"), ("BIGINT", "int"), ("REAL", "real"))
KINDS = {c: next((kind for sql, kind in _KIND_OF if sql in SQL_TYPES.get(c, "")), "text")
         for c in COLUMNS}  # for bulk writes

WAITING = ("pending", "deferred")  # what a tenant or batch suspension holds
ACTIVE = ("pending", "deferred", "sending")  # the dispatcher's statuses, the pending gauge
TERMINAL = ("sent", "error", "rejected", "suppressed")  # what retention may purge
_INDEX = {name: i for i, name in enumerate(COLUMNS)}
_JSON_COLUMNS = (_INDEX["to_addrs"], _INDEX["bounce"], _INDEX["complaint"])
_REPORT = _INDEX["report"]


class MessageRow(msgspec.Struct, frozen=True):
    pk: str
    tenant_id: str
    client_id: str
    account_id: str | None
    priority: int | None  # None (with accepted_ts): rejected before it was ever queued
    batch_code: str | None
    status: str
    held_by: str | None
    from_addr: str | None
    to_addrs: list[str]
    subject: str | None
    message_id: str | None
    accepted_ts: float | None
    updated_ts: float
    ready_ts: float | None
    deferred_until: float | None
    deferred_reason: str | None
    retry_count: int
    attempts: int
    lease_until: float | None
    worker_id: str | None
    sent_ts: float | None
    error_ts: float | None
    error: str | None
    error_code: str | None
    bounce: dict[str, Any] | None
    complaint: dict[str, Any] | None
    report: bool
    last_event_ts: float
    seq: int | None  # store position of the event that created the row: arrival order
    unreported_reports: int = 0  # not a column: counted from ``message_reports`` by list/get


def column_type(name: str, dialect: str) -> str:
    sql = SQL_TYPES.get(name, "TEXT")
    return sql.replace("REAL", "DOUBLE PRECISION") if dialect == "postgresql" else sql


def decode_row(raw: Sequence[Any]) -> MessageRow:
    values = list(raw)
    for i in _JSON_COLUMNS:
        values[i] = msgspec.json.decode(values[i]) if values[i] is not None else None
    if values[_INDEX["to_addrs"]] is None:
        values[_INDEX["to_addrs"]] = []
    values[_REPORT] = bool(values[_REPORT])
    return MessageRow(*values)


def encode_cursor(row: MessageRow) -> str:
    """Opaque to clients: the queue-order key of the last row listed, URL-safe."""
    raw = msgspec.json.encode([row.priority, row.accepted_ts, row.seq, row.pk])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Cursor(msgspec.Struct, array_like=True, frozen=True):
    priority: int | None
    accepted_ts: float | None
    seq: int | None
    pk: str


def decode_cursor(cursor: str) -> Cursor:
    """Raises ValueError for anything ``encode_cursor`` did not produce."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=Cursor)
    except (ValueError, msgspec.DecodeError) as exc:  # binascii.Error is a ValueError
        raise ValueError("not a cursor this API issued") from exc
