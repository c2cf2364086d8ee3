"""``SqlJobSchedule``: periodic jobs that run in one process at a time (proxy.md §8.5).

One row per job in ``ledgermail_jobs``: who holds it (``worker_id`` until ``lease_until``)
and when it is due next (``next_run_ts``). A claim is one UPDATE that succeeds only when the
job is due and its lease is free or already ours, so two processes never run a job at once,
and the schedule survives restarts (a restart does not run it again early).

Two clocks on purpose: *due* follows the service clock (the fake clock in tests, so a test
moves time instead of sleeping), the *lease* follows the wall clock, as the report and
dispatch leases do, because a fake clock jumping ahead must not hand a running job to a
second process. Coordination state like those leases: created by migrate, never rebuilt.
"""

from __future__ import annotations

import time

from projections.sql import SqlDatabase

TABLE = "ledgermail_jobs"


class SqlJobSchedule:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(self) -> None:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        with self.db.transaction() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, worker_id TEXT, "
                       f"lease_until {real} NOT NULL, next_run_ts {real} NOT NULL)")

    def next_run(self, name: str) -> float | None:
        """When ``name`` is due (service clock); None: never ran, so due at once."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT next_run_ts FROM {TABLE} WHERE name = ?", (name,))
        return float(rows[0][0]) if rows else None

    def claim(self, name: str, worker_id: str, now: float, lease_seconds: float) -> bool:
        """Take ``name`` if it is due at service time ``now`` and nobody else holds it."""
        wall = time.time()
        with self.db.transaction() as tx:
            tx.execute(f"INSERT INTO {TABLE} (name, worker_id, lease_until, next_run_ts) "
                       "VALUES (?, NULL, 0, 0) ON CONFLICT (name) DO NOTHING", (name,))
            won = tx.execute(f"UPDATE {TABLE} SET worker_id = ?, lease_until = ? WHERE name = ? "
                             "AND next_run_ts <= ? AND (lease_until < ? OR worker_id = ?) RETURNING name",
                             (worker_id, wall + lease_seconds, name, now, wall, worker_id))
        return bool(won)

    def renew(self, name: str, worker_id: str, lease_seconds: float) -> bool:
        """Extend our lease during a long run; False if it was lost (expired and taken)."""
        with self.db.transaction() as tx:
            kept = tx.execute(f"UPDATE {TABLE} SET lease_until = ? WHERE name = ? AND worker_id = ? "
                              "RETURNING name", (time.time() + lease_seconds, name, worker_id))
        return bool(kept)

    def finish(self, name: str, worker_id: str, next_run_ts: float) -> None:
        """Release the lease and set when the job is due again."""
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE {TABLE} SET worker_id = NULL, lease_until = 0, next_run_ts = ? "
                       "WHERE name = ? AND worker_id = ?", (next_run_ts, name, worker_id))
