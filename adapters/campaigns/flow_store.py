"""The flow worker's own state on the view database: where it is, not what happened.

``flow_cursors``: how far the trigger follower read each log (the position is saved after
the runs of a page are saved, and entering a run is idempotent by (flow, entryKey), so a
crash in between re-reads the page and starts nothing twice). ``flow_scans``: per
segment_enter / cron flow, the last scan or firing and a scan begun but not finished (a
restart finishes it with the same ``scanAt``, hence the same entry keys);
``flow_segment_members``: who matched at the last scan. Created by migrate, never rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable

from projections.sql import SqlDatabase


class SqlFlowStore:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(self) -> None:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        with self.db.transaction() as tx:
            tx.execute(
                "CREATE TABLE IF NOT EXISTS flow_cursors (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
            )
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS flow_scans (flow_id TEXT PRIMARY KEY, last_at {real}, "
                f"pending_at {real}, epoch {real})"
            )
            tx.execute(
                "CREATE TABLE IF NOT EXISTS flow_segment_members (flow_id TEXT NOT NULL, "
                "contact_id TEXT NOT NULL, PRIMARY KEY (flow_id, contact_id))"
            )

    def position(self, name: str) -> int:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute("SELECT position FROM flow_cursors WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else 0

    def set_position(self, name: str, position: int) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO flow_cursors (name, position) VALUES (?, ?) ON CONFLICT (name) "
                "DO UPDATE SET position = excluded.position",
                (name, position),
            )

    def scan(self, flow_id: str) -> tuple[float | None, float | None, float | None]:
        """(last scan or firing, scan begun and not finished, the enable period it belongs to)."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                "SELECT last_at, pending_at, epoch FROM flow_scans WHERE flow_id = ?", (flow_id,)
            )
        return (rows[0][0], rows[0][1], rows[0][2]) if rows else (None, None, None)

    def begin_scan(self, flow_id: str, at: float) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO flow_scans (flow_id, pending_at) VALUES (?, ?) ON CONFLICT (flow_id) "
                "DO UPDATE SET pending_at = excluded.pending_at",
                (flow_id, at),
            )

    def members(self, flow_id: str) -> set[str]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute("SELECT contact_id FROM flow_segment_members WHERE flow_id = ?", (flow_id,))
        return {str(r[0]) for r in rows}

    def finish_scan(
        self, flow_id: str, at: float, epoch: float | None, members: Iterable[str] | None
    ) -> None:
        """Record the scan (and, for segments, who matched) in one transaction."""
        with self.db.transaction() as tx:
            if members is not None:
                tx.execute("DELETE FROM flow_segment_members WHERE flow_id = ?", (flow_id,))
                tx.executemany(
                    "INSERT INTO flow_segment_members (flow_id, contact_id) VALUES (?, ?)",
                    [(flow_id, m) for m in members],
                )
            tx.execute(
                "INSERT INTO flow_scans (flow_id, last_at, pending_at, epoch) VALUES (?, ?, NULL, ?) "
                "ON CONFLICT (flow_id) DO UPDATE SET last_at = excluded.last_at, pending_at = NULL, "
                "epoch = excluded.epoch",
                (flow_id, at, epoch),
            )
