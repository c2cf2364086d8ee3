"""The service clock: real time, or (``LEDGERMAIL_FAKE_CLOCK=1``) a clock held in the database.

The fake clock starts at real time on first use and then stands still until a test moves it
(``POST /_test/clock``). It lives in the database so every process of one deployment sees the
same "now": leases, deferrals, rate windows, heartbeats and key expiries all follow it.
"""

from __future__ import annotations

import time

from projections.sql import SqlDatabase

CLOCK_TABLE = "ledgermail_clock"


class DatabaseClock:
    def __init__(self, db: SqlDatabase) -> None:
        self.db = db

    def create(self) -> None:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        with self.db.transaction() as tx:
            tx.execute(f"CREATE TABLE IF NOT EXISTS {CLOCK_TABLE} "
                       f"(id INTEGER PRIMARY KEY, now {real} NOT NULL)")
            tx.execute(f"INSERT INTO {CLOCK_TABLE} (id, now) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
                       (round(time.time(), 3),))

    def now(self) -> float:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT now FROM {CLOCK_TABLE} WHERE id = 1")
        if not rows:
            self.create()
            return self.now()
        return float(rows[0][0])

    def advance(self, seconds: float) -> float:
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE {CLOCK_TABLE} SET now = now + ? WHERE id = 1", (seconds,))
        return self.now()

    def set(self, now: float) -> float:
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE {CLOCK_TABLE} SET now = ? WHERE id = 1", (now,))
        return self.now()
