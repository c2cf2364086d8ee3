"""Tables and queries of the ``reports`` read model (its projection: ``reports.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from projections.base import View
from projections.sending.report_items import Info
from projections.sql import SqlTx

INFO_COLUMNS = ("pk", "tenant_id", "client_id", "recipient", "batch_code", "message_id")
SYNC_COLUMNS = ("tenant_id", "last_sync_ts", "last_attempt_ts", "last_status", "last_error",
                "consecutive_failures", "next_attempt_ts", "dnd_until", "queued_more")


class SyncRow(msgspec.Struct, frozen=True):
    """A tenant's report-delivery state (proxy.md §4.4 SyncState, minus the tenant fields)."""

    tenant_id: str
    last_sync_ts: float | None = None
    last_attempt_ts: float | None = None
    last_status: int | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    next_attempt_ts: float | None = None
    dnd_until: float | None = None
    queued_more: int = 0


def _sync(raw: Sequence[Any]) -> SyncRow:
    return SyncRow(*raw)


class ReportsView(View):
    NAME = "reports"
    TABLES = ("report_items", "report_sync", "report_messages", "report_tenants")

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('report_items')} (event_id TEXT PRIMARY KEY, "
            "position BIGINT NOT NULL, tenant_id TEXT NOT NULL, body TEXT NOT NULL, acked INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.t('report_sync')} (tenant_id TEXT PRIMARY KEY, "
            f"last_sync_ts {real}, last_attempt_ts {real}, last_status INTEGER, last_error TEXT, "
            f"consecutive_failures INTEGER NOT NULL, next_attempt_ts {real}, dnd_until {real}, "
            "queued_more INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.t('report_messages')} (pk TEXT PRIMARY KEY, "
            "tenant_id TEXT NOT NULL, client_id TEXT NOT NULL, recipient TEXT, batch_code TEXT, "
            "message_id TEXT)",
            f"CREATE TABLE IF NOT EXISTS {self.t('report_tenants')} (aggregate_id TEXT PRIMARY KEY, "
            "tenant_id TEXT NOT NULL, deleted INTEGER NOT NULL)",
        ]

    def index_ddl(self) -> list[str]:
        return [f"CREATE INDEX IF NOT EXISTS {self.t('report_items_tenant')} ON {self.t('report_items')} "
                "(tenant_id, position)"]

    # --- queries ---------------------------------------------------------------------------
    def pending(self, tenant_id: str, limit: int) -> list[tuple[str, str]]:
        """Unacknowledged items of a tenant, oldest first: (event_id, item JSON)."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT event_id, body FROM {self.t('report_items')} WHERE tenant_id = ? "
                              "AND acked = 0 ORDER BY position LIMIT ?", (tenant_id, limit))
        return [(str(e), str(b)) for e, b in rows]

    def pending_count(self, tenant_id: str) -> int:
        return self.pending_counts().get(tenant_id, 0)

    def pending_counts(self) -> dict[str, int]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT tenant_id, COUNT(*) FROM {self.t('report_items')} WHERE acked = 0 "
                              "GROUP BY tenant_id")
        return {str(t): int(n) for t, n in rows}

    def sync(self, tenant_id: str) -> SyncRow:
        with self.db.transaction(write=False) as tx:
            return self.sync_in(tx, tenant_id) or SyncRow(tenant_id)

    def all_sync(self) -> dict[str, SyncRow]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT {', '.join(SYNC_COLUMNS)} FROM {self.t('report_sync')}")
        return {row.tenant_id: row for row in map(_sync, rows)}

    # --- page reads and writes -------------------------------------------------------------
    def sync_in(self, tx: SqlTx, tenant_id: str) -> SyncRow | None:
        rows = tx.execute(f"SELECT {', '.join(SYNC_COLUMNS)} FROM {self.t('report_sync')} "
                          "WHERE tenant_id = ?", (tenant_id,))
        return _sync(rows[0]) if rows else None

    def load_infos(self, tx: SqlTx, pks: list[str]) -> dict[str, Info]:
        out: dict[str, Info] = {}
        for start in range(0, len(pks), 1000):
            chunk = pks[start:start + 1000]
            rows = tx.execute(f"SELECT {', '.join(INFO_COLUMNS)} FROM {self.t('report_messages')} "
                              f"WHERE pk IN ({', '.join('?' * len(chunk))})", chunk)
            out.update({str(r[0]): dict(zip(INFO_COLUMNS, r, strict=True)) for r in rows})
        return out

    def load_tenants(self, tx: SqlTx) -> dict[str, tuple[str, int]]:
        rows = tx.execute(f"SELECT aggregate_id, tenant_id, deleted FROM {self.t('report_tenants')}")
        return {str(a): (str(t), int(d)) for a, t, d in rows}

    def purge_tenant(self, tx: SqlTx, tenant_id: str) -> None:
        for table in ("report_items", "report_sync", "report_messages"):
            tx.execute(f"DELETE FROM {self.t(table)} WHERE tenant_id = ?", (tenant_id,))
