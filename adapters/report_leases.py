"""``SqlReportLeases``: one reporter per tenant at a time, across processes (proxy.md §8.1).

A row per tenant in ``report_leases``; a claim is one UPDATE that succeeds only when the
lease has expired or is already ours. Coordination state, like the dispatch leases: created
by migrate, never rebuilt. Leases run on the wall clock (the fake clock may jump)."""

from __future__ import annotations

import time

from projections.sql import SqlDatabase

TABLE = "report_leases"


class SqlReportLeases:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(self) -> None:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        with self.db.transaction() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (tenant_id TEXT PRIMARY KEY, "
                       f"worker_id TEXT, lease_until {real} NOT NULL)")

    def claim(self, tenant_id: str, worker_id: str, seconds: float) -> bool:
        now = time.time()
        with self.db.transaction() as tx:
            tx.execute(f"INSERT INTO {TABLE} (tenant_id, worker_id, lease_until) VALUES (?, NULL, 0) "
                       "ON CONFLICT (tenant_id) DO NOTHING", (tenant_id,))
            won = tx.execute(f"UPDATE {TABLE} SET worker_id = ?, lease_until = ? WHERE tenant_id = ? "
                             "AND (lease_until < ? OR worker_id = ?) RETURNING tenant_id",
                             (worker_id, now + seconds, tenant_id, now, worker_id))
        return bool(won)

    def release(self, tenant_id: str, worker_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE {TABLE} SET worker_id = NULL, lease_until = 0 WHERE tenant_id = ? "
                       "AND worker_id = ?", (tenant_id, worker_id))
