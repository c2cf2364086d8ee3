"""Which processes are alive and what they run: the ``workers`` of ``GET /status``.

Each process writes its row every few seconds (wall-clock time: liveness must not follow
the fake clock). A dispatcher seen in the last 10 s makes the service ``active``.
"""

from __future__ import annotations

import logging
import threading
import time

import msgspec

from projections.sql import SqlDatabase

log = logging.getLogger(__name__)
TABLE = "ledgermail_workers"
ACTIVE_WITHIN = 10.0


class WorkerInfo(msgspec.Struct, frozen=True):
    id: str
    roles: list[str]
    last_seen_ts: float


class Heartbeat:
    def __init__(self, db: SqlDatabase, worker_id: str, roles: list[str], every: float = 2.0) -> None:
        self.db = db
        self.worker_id = worker_id
        self.roles = sorted(roles)
        self.every = every
        self._thread: threading.Thread | None = None

    def create(self) -> None:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        with self.db.transaction() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id TEXT PRIMARY KEY, roles TEXT NOT NULL, "
                       f"last_seen_ts {real} NOT NULL)")

    def beat(self) -> None:
        with self.db.transaction() as tx:
            tx.execute(f"INSERT INTO {TABLE} (id, roles, last_seen_ts) VALUES (?, ?, ?) ON CONFLICT (id) "
                       "DO UPDATE SET roles = excluded.roles, last_seen_ts = excluded.last_seen_ts",
                       (self.worker_id, ",".join(self.roles), round(time.time(), 3)))

    def start(self, stop: threading.Event) -> None:
        def loop() -> None:
            while not stop.is_set():
                try:
                    self.beat()
                except Exception:  # a missed beat is harmless; the next one repairs it
                    log.exception("heartbeat failed")
                stop.wait(self.every)

        self._thread = threading.Thread(target=loop, name="heartbeat", daemon=True)
        self._thread.start()

    def forget(self) -> None:
        with self.db.transaction() as tx:
            tx.execute(f"DELETE FROM {TABLE} WHERE id = ?", (self.worker_id,))


def workers(db: SqlDatabase, within: float = 60.0) -> list[WorkerInfo]:
    """Processes seen in the last ``within`` seconds, newest first."""
    with db.transaction(write=False) as tx:
        rows = tx.execute(f"SELECT id, roles, last_seen_ts FROM {TABLE} WHERE last_seen_ts >= ? "
                          "ORDER BY last_seen_ts DESC, id", (time.time() - within,))
    return [WorkerInfo(i, [r for r in roles.split(",") if r], round(float(ts), 3)) for i, roles, ts in rows]


def dispatching(db: SqlDatabase) -> bool:
    return any("dispatch" in w.roles for w in workers(db, ACTIVE_WITHIN))
