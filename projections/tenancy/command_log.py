"""The command log: one row per state-changing call, accepted or refused (proxy.md §11).

Rows are ``CommandEntry.Recorded`` events; the entry id is the event's position in the
tenancy log, so ids are monotonic and a rebuild gives the same ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.command_entry import CommandEntry
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx

COLUMNS = ("id", "ts", "endpoint", "path", "tenant_id", "actor", "request_id", "payload", "status",
           "outcome", "error", "event_ids")


class CommandLogEntry(msgspec.Struct, frozen=True):
    id: int
    ts: float
    endpoint: str
    path: str
    tenant_id: str | None
    actor: dict[str, Any]
    request_id: str
    payload: dict[str, Any]
    status: int
    outcome: str
    error: str | None
    event_ids: list[str]


class CommandLogFilter(msgspec.Struct, frozen=True):
    tenant_id: str | None = None
    since_ts: float | None = None
    until_ts: float | None = None
    endpoint: str | None = None
    outcome: str | None = None


def _where(f: CommandLogFilter) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for column, op, value in (("tenant_id", "=", f.tenant_id), ("ts", ">=", f.since_ts),
                              ("ts", "<=", f.until_ts), ("outcome", "=", f.outcome)):
        if value is not None:
            clauses.append(f"{column} {op} ?")
            params.append(value)
    if f.endpoint:
        clauses.append("endpoint LIKE ?")
        params.append("%" + f.endpoint.replace("%", "").replace("_", "\\_") + "%")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _entry(raw: Sequence[Any]) -> CommandLogEntry:
    data = dict(zip(COLUMNS, raw, strict=True))
    for key in ("actor", "payload", "event_ids"):
        data[key] = msgspec.json.decode(data[key])
    data["ts"] = round(float(data["ts"]), 3)
    return msgspec.convert(data, CommandLogEntry)


class CommandLogView(View):
    NAME = "command_log"
    TABLES = ("command_log",)

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('command_log')} (id BIGINT PRIMARY KEY, ts {real} NOT NULL, "
            "endpoint TEXT NOT NULL, path TEXT NOT NULL, tenant_id TEXT, actor TEXT NOT NULL, "
            "request_id TEXT NOT NULL, payload TEXT NOT NULL, status INTEGER NOT NULL, "
            "outcome TEXT NOT NULL, error TEXT, event_ids TEXT NOT NULL)"
        ]

    def index_ddl(self) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('command_log_tenant')} "
            f"ON {self.t('command_log')} (tenant_id, id)",
            f"CREATE INDEX IF NOT EXISTS {self.t('command_log_ts')} ON {self.t('command_log')} (ts)",
        ]

    def query(self, f: CommandLogFilter, *, order: str = "asc", limit: int = 100, offset: int = 0,
              after_id: int | None = None) -> tuple[list[CommandLogEntry], int]:
        """A page of entries and the total count of every match of the filters."""
        where, params = _where(f)
        keyset, key_params = "", []
        if after_id is not None:
            keyset = (" AND " if where else " WHERE ") + ("id > ?" if order == "asc" else "id < ?")
            key_params = [after_id]
        direction = "ASC" if order == "asc" else "DESC"
        table = self.t("command_log")
        with self.db.transaction(write=False) as tx:
            total = int(tx.execute(f"SELECT COUNT(*) FROM {table}{where}", params)[0][0])
            rows = tx.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {table}{where}{keyset} ORDER BY id {direction} "
                "LIMIT ? OFFSET ?", [*params, *key_params, limit, offset])
        return [_entry(r) for r in rows], total

    def put(self, tx: SqlTx, rows: list[tuple[Any, ...]]) -> None:
        placeholders = ", ".join("?" for _ in COLUMNS)
        tx.executemany(f"INSERT INTO {self.t('command_log')} ({', '.join(COLUMNS)}) VALUES ({placeholders}) "
                       "ON CONFLICT (id) DO NOTHING", rows)


class CommandLogProjection(Projection[CommandLogView]):
    VIEW = CommandLogView
    FOLLOWS = ("tenancy",)
    TOPICS = frozenset({CommandEntry.Recorded.TOPIC})

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        encode = msgspec.json.encode
        rows = []
        for rec in page:
            e = rec.event
            if isinstance(e, CommandEntry.Recorded):
                rows.append((rec.position, e.timestamp, e.endpoint, e.path, e.tenant_id,
                             encode(e.actor).decode(), e.request_id, encode(e.payload).decode(),
                             e.status, e.outcome, e.error, encode(e.event_ids).decode()))
        self.view.put(tx, rows)
