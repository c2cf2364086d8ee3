"""The ``audit`` view: one entry per console change, a projection of the events (and so
never in disagreement with them). Ordered newest first by (occurred_at, seq)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from projections.base import Projection, Recorded, View
from projections.console_audit_map import TOPICS, entry_for
from projections.sql import SqlTx

COLUMNS = (
    "id",
    "tenant_id",
    "occurred_at",
    "seq",
    "actor",
    "action",
    "category",
    "resource_type",
    "resource_id",
    "resource_slug",
    "before",
    "after",
    "request_id",
    "contact_id",
)
APP_RANK = {"tenancy": 0, "sending": 1, "console": 2}  # a stable tiebreak across logs


class AuditRow(msgspec.Struct, frozen=True):
    id: str
    tenant_id: str
    occurred_at: float
    seq: int
    actor: str
    action: str
    category: str
    resource_type: str
    resource_id: str
    resource_slug: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str
    contact_id: str | None


def _decode(raw: Sequence[Any]) -> AuditRow:
    data = dict(zip(COLUMNS, raw, strict=True))
    for name in ("before", "after"):
        data[name] = msgspec.json.decode(data[name]) if data[name] else None
    return msgspec.convert(data, AuditRow)


class AuditFilters(msgspec.Struct, frozen=True, kw_only=True):
    action: str | None = None  # a prefix
    actor: str | None = None
    resource_type: str | None = None
    resource_slug: str | None = None
    category: str | None = None
    since: float | None = None
    until: float | None = None


class AuditView(View):
    NAME = "audit"
    TABLES = ("audit",)

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        types = {
            "id": "TEXT PRIMARY KEY",
            "tenant_id": "TEXT NOT NULL",
            "occurred_at": f"{real} NOT NULL",
            "seq": "BIGINT NOT NULL",
            "actor": "TEXT NOT NULL",
            "action": "TEXT NOT NULL",
            "category": "TEXT NOT NULL",
            "resource_type": "TEXT NOT NULL",
            "resource_id": "TEXT NOT NULL",
        }
        columns = ", ".join(f"{c} {types.get(c, 'TEXT')}" for c in COLUMNS)
        return [f"CREATE TABLE IF NOT EXISTS {self.t('audit')} ({columns})"]

    def index_ddl(self) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('audit_newest')} ON {self.t('audit')} "
            "(tenant_id, occurred_at, seq)"
        ]

    def list(
        self, tenant_id: str, filters: AuditFilters, *, before: tuple[float, int] | None, limit: int
    ) -> list[AuditRow]:
        clauses, params = ["tenant_id = ?"], [tenant_id]
        for column, value in (
            ("actor", filters.actor),
            ("resource_type", filters.resource_type),
            ("resource_slug", filters.resource_slug),
            ("category", filters.category),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if filters.action:
            clauses.append("action LIKE ?")
            params.append(filters.action.replace("%", "").replace("_", "\\_") + "%")
        if filters.since is not None:
            clauses.append("occurred_at >= ?")
            params.append(filters.since)
        if filters.until is not None:
            clauses.append("occurred_at < ?")
            params.append(filters.until)
        if before is not None:
            clauses.append("(occurred_at < ? OR (occurred_at = ? AND seq < ?))")
            params += [before[0], before[0], before[1]]
        escape = " ESCAPE '\\'" if filters.action else ""
        sql = (
            f"SELECT {', '.join(COLUMNS)} FROM {self.t('audit')} WHERE {' AND '.join(clauses)}"
            f"{escape} ORDER BY occurred_at DESC, seq DESC LIMIT ?"
        )
        with self.db.transaction(write=False) as tx:
            return [_decode(r) for r in tx.execute(sql, [*params, limit])]

    def insert(self, tx: SqlTx, row: AuditRow) -> None:
        values = list(msgspec.structs.astuple(row))
        values[10] = None if row.before is None else msgspec.json.encode(row.before).decode()
        values[11] = None if row.after is None else msgspec.json.encode(row.after).decode()
        tx.execute(
            f"INSERT INTO {self.t('audit')} ({', '.join(COLUMNS)}) VALUES "
            f"({', '.join('?' for _ in COLUMNS)}) ON CONFLICT (id) DO NOTHING",
            values,
        )

    def last_after(self, tx: SqlTx, resource_id: str, action: str) -> dict[str, Any] | None:
        rows = tx.execute(
            f"SELECT after FROM {self.t('audit')} WHERE resource_id = ? AND action = ? "
            "ORDER BY occurred_at DESC, seq DESC LIMIT 1",
            (resource_id, action),
        )
        return msgspec.json.decode(rows[0][0]) if rows and rows[0][0] else None


class AuditProjection(Projection[AuditView]):
    VIEW = AuditView
    FOLLOWS = ("tenancy", "sending", "console", "content", "dnsbl", "health", "postmaster", "flows", "dmarc",
               "broadcasts")
    TOPICS = TOPICS

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        for rec in page:
            event = rec.event
            entry = entry_for(event)
            tenant_id = event.meta.tenant_id or getattr(event, "tenant_id", None)
            if entry is None or tenant_id is None:
                continue
            before = entry.before
            if entry.action == "suppression.lift":
                before = self.view.last_after(tx, entry.resource_id, "suppression.add")
            actor = event.meta.actor
            category = "system" if actor.startswith("system") else "data" if entry.data else "config"
            self.view.insert(
                tx,
                AuditRow(
                    id=f"{rec.application}:{rec.position}",
                    tenant_id=tenant_id,
                    occurred_at=event.timestamp,
                    seq=rec.position * 4 + APP_RANK.get(rec.application, 3),
                    actor=actor,
                    action=entry.action,
                    category=category,
                    resource_type=entry.resource_type,
                    resource_id=entry.resource_id,
                    resource_slug=entry.resource_slug,
                    before=before,
                    after=entry.after,
                    request_id=event.meta.command_id,
                    contact_id=entry.contact_id,
                ),
            )
