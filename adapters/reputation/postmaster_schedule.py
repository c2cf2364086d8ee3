"""``SqlFeedSchedule``: when each (tenant, feed, target) is due next (console.md §14).

Coordination state like ``ledgermail_jobs``: created by migrate, never rebuilt. A pull that
changed nothing appends no event, so "when did we last look" cannot come from the log; a
throttled (429) target is due again after the provider's ``Retry-After``.
"""

from __future__ import annotations

from projections.sql import SqlDatabase

TABLE = "ledgermail_feed_schedule"


class SqlFeedSchedule:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(self) -> None:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        with self.db.transaction() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (tenant_id TEXT NOT NULL, "
                       f"feed TEXT NOT NULL, target TEXT NOT NULL, due_at {real} NOT NULL, "
                       "PRIMARY KEY (tenant_id, feed, target))")

    def due_at(self, tenant_id: str, feed: str, target: str) -> float | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT due_at FROM {TABLE} WHERE tenant_id = ? AND feed = ? AND target = ?",
                              (tenant_id, feed, target))
        return float(rows[0][0]) if rows else None

    def set_due(self, tenant_id: str, feed: str, target: str, due_at: float) -> None:
        with self.db.transaction() as tx:
            tx.execute(f"INSERT INTO {TABLE} (tenant_id, feed, target, due_at) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (tenant_id, feed, target) DO UPDATE SET due_at = excluded.due_at",
                       (tenant_id, feed, target, due_at))
