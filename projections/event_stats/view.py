from __future__ import annotations

from collections.abc import Iterable

import msgspec

from projections.base import View
from projections.sql import SqlTx


class EventStatsRow(msgspec.Struct, frozen=True):
    application: str
    topic: str
    tenant_id: str
    count: int
    last_position: int
    last_ts: float


class EventStatsView(View):
    NAME = "event_stats"
    TABLES = ("event_stats",)

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('event_stats')} ("
            "application TEXT NOT NULL, topic TEXT NOT NULL, tenant_id TEXT NOT NULL, "
            f"count BIGINT NOT NULL, last_position BIGINT NOT NULL, last_ts {real} NOT NULL, "
            "PRIMARY KEY (application, topic, tenant_id))"
        ]

    def add_counts(self, tx: SqlTx, rows: Iterable[EventStatsRow]) -> None:
        tx.executemany(
            f"INSERT INTO {self.t('event_stats')} "
            "(application, topic, tenant_id, count, last_position, last_ts) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (application, topic, tenant_id) DO UPDATE SET "
            "count = excluded.count + "
            f"{self.t('event_stats')}.count, last_position = excluded.last_position, "
            "last_ts = excluded.last_ts",
            [tuple(msgspec.structs.astuple(row)) for row in rows],
        )

    def all(self) -> list[EventStatsRow]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                "SELECT application, topic, tenant_id, count, last_position, last_ts "
                f"FROM {self.t('event_stats')} ORDER BY application, topic, tenant_id"
            )
        return [EventStatsRow(a, t, tn, int(c), int(p), float(ts)) for a, t, tn, c, p, ts in rows]
