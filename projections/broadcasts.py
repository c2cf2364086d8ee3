"""The ``broadcasts`` view: each broadcast as GET /broadcasts shows it (console.md §9.2),
minus the live ``stats`` (counted from the sends view at read time), plus the worker's
index of what is due (status, scheduled and start times)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.campaigns.broadcast import Broadcast
from projections.base import Projection, Recorded, View
from projections.broadcasts_doc import BroadcastRow, folded
from projections.sql import SqlTx

COLUMNS = ("broadcast_id", "tenant_id", "slug", "status", "doc", "created_ts", "updated_ts",
           "scheduled_ts", "started_ts")


def _decode(raw: Sequence[Any]) -> BroadcastRow:
    data = dict(zip(COLUMNS, raw, strict=True))
    data["doc"] = msgspec.json.decode(data["doc"])
    return msgspec.convert(data, BroadcastRow)


class BroadcastsView(View):
    NAME = "broadcasts"
    TABLES = ("broadcasts",)

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('broadcasts')} (broadcast_id TEXT PRIMARY KEY, "
            "tenant_id TEXT NOT NULL, slug TEXT NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL, "
            f"created_ts {real} NOT NULL, updated_ts {real} NOT NULL, scheduled_ts {real}, "
            f"started_ts {real}, UNIQUE (tenant_id, slug))"
        ]

    def index_ddl(self) -> list[str]:
        table = self.t("broadcasts")
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('broadcasts_created')} ON {table} "
            "(tenant_id, created_ts, slug)",
            f"CREATE INDEX IF NOT EXISTS {self.t('broadcasts_status')} ON {table} (status, scheduled_ts)",
        ]

    def _select(self) -> str:
        return f"SELECT {', '.join(COLUMNS)} FROM {self.t('broadcasts')}"

    def get(self, tenant_id: str, slug: str) -> BroadcastRow | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"{self._select()} WHERE tenant_id = ? AND slug = ?", (tenant_id, slug))
        return _decode(rows[0]) if rows else None

    def list(self, tenant_id: str, *, status: str | None = None, before: tuple[float, str] | None = None,
             limit: int = 50) -> list[BroadcastRow]:
        """Newest-created first, key-set on (created_ts, slug)."""
        sql, params = f"{self._select()} WHERE tenant_id = ?", [tenant_id]
        if status is not None:
            sql, params = sql + " AND status = ?", [*params, status]
        if before is not None:
            sql += " AND (created_ts < ? OR (created_ts = ? AND slug < ?))"
            params += [before[0], before[0], before[1]]
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(sql + " ORDER BY created_ts DESC, slug DESC LIMIT ?", [*params, limit])
        return [_decode(r) for r in rows]

    def candidates(self, now: float, since: float) -> list[tuple[str, str, str, str]]:
        """(tenant, slug, broadcastId, status) the worker looks at: due schedules, sending
        ones, and those whose stop rules still apply (started since ``since``)."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT tenant_id, slug, broadcast_id, status FROM {self.t('broadcasts')} WHERE "
                "(status = 'scheduled' AND scheduled_ts <= ?) OR status = 'sending' OR "
                "(status = 'sent' AND started_ts >= ?) ORDER BY scheduled_ts, slug", (now, since))
        return [(str(t), str(s), str(i), str(st)) for t, s, i, st in rows]

    def status_of(self, broadcast_id: str) -> str | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT status FROM {self.t('broadcasts')} WHERE broadcast_id = ?",
                              (broadcast_id,))
        return str(rows[0][0]) if rows else None

    def count(self, tenant_id: str) -> int:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT COUNT(*) FROM {self.t('broadcasts')} WHERE tenant_id = ?",
                              (tenant_id,))
        return int(rows[0][0])

    # --- writes -------------------------------------------------------------------------
    def load(self, tx: SqlTx, ids: list[str]) -> dict[str, BroadcastRow]:
        out: dict[str, BroadcastRow] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = tx.execute(f"{self._select()} WHERE broadcast_id IN ({marks})", chunk)
            out.update({r.broadcast_id: r for r in map(_decode, rows)})
        return out

    def put(self, tx: SqlTx, rows: Sequence[BroadcastRow]) -> None:
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
        for row in rows:
            values = list(msgspec.structs.astuple(row))
            values[4] = msgspec.json.encode(row.doc).decode()
            marks = ", ".join("?" for _ in COLUMNS)
            tx.execute(f"INSERT INTO {self.t('broadcasts')} ({', '.join(COLUMNS)}) VALUES ({marks}) "
                       f"ON CONFLICT (broadcast_id) DO UPDATE SET {updates}", values)


TOPICS = frozenset(cls.TOPIC for cls in (
    Broadcast.Created, Broadcast.Updated, Broadcast.Confirmed, Broadcast.Scheduled, Broadcast.Unscheduled,
    Broadcast.Started, Broadcast.PageDispatched, Broadcast.Paused, Broadcast.Resumed,
    Broadcast.StopRuleBreached, Broadcast.Cancelled, Broadcast.Completed, Broadcast.Failed))


class BroadcastsProjection(Projection[BroadcastsView]):
    VIEW = BroadcastsView
    FOLLOWS = ("broadcasts",)
    TOPICS = TOPICS

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        ids = list(dict.fromkeys(str(r.event.originator_id) for r in page))
        rows = self.view.load(tx, ids)
        for rec in page:
            ident = str(rec.event.originator_id)
            row = folded(rows.get(ident), rec.event)
            if row is not None:
                rows[ident] = row
        self.view.put(tx, [rows[i] for i in ids if i in rows])
