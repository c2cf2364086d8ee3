"""The ``suppressions`` read model: every SuppressionEntry as the console lists it
(console.md §7) and as the dispatcher checks it (proxy.md §6.3).

One row per entry (the aggregate id). A lifted entry keeps its row with ``lifted_ts`` set,
so the console can show what was lifted; checks and lists skip it. Rows are keyed by
``address_key`` (the keyed hash): the dispatcher hashes the addresses it is about to mail
and asks for those keys, so the clear address is needed nowhere on that path.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import msgspec

from domain.suppression import SuppressionEntry
from projections.base import Projection, Recorded, View
from projections.sending import bulk
from projections.sql import SqlTx

ADDED, LIFTED = SuppressionEntry.Added.TOPIC, SuppressionEntry.Lifted.TOPIC
COLUMNS = ("id", "tenant_id", "address_key", "email", "scope", "reason", "source", "notes", "added_ts",
           "added_by", "expires_at", "lifted_ts", "lifted_by", "lift_note", "seq")
KINDS = {c: ("real" if c.endswith("_ts") or c == "expires_at" else "int" if c == "seq" else "text")
         for c in COLUMNS}
CHUNK = 500


class SuppressionRow(msgspec.Struct, frozen=True):
    id: str  # the aggregate id: uuid5 of tenant, address key, scope
    tenant_id: str
    address_key: str  # console ``emailHash``
    email: str | None
    scope: str
    reason: str
    source: str
    notes: str | None
    added_ts: float
    added_by: str
    expires_at: float | None
    lifted_ts: float | None
    lifted_by: str | None
    lift_note: str | None
    seq: int  # store position of the Added event: a stable tiebreak for "newest first"

    def applies(self, now: float) -> bool:
        return self.lifted_ts is None and (self.expires_at is None or now < self.expires_at)


class SuppressionsView(View):
    NAME = "suppressions"
    TABLES = ("suppressions",)

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        types = {"id": "TEXT PRIMARY KEY", "tenant_id": "TEXT NOT NULL", "address_key": "TEXT NOT NULL",
                 "scope": "TEXT NOT NULL", "reason": "TEXT NOT NULL", "source": "TEXT NOT NULL",
                 "added_ts": f"{real} NOT NULL", "added_by": "TEXT NOT NULL", "expires_at": real,
                 "lifted_ts": real, "seq": "BIGINT NOT NULL"}
        columns = ", ".join(f"{c} {types.get(c, 'TEXT')}" for c in COLUMNS)
        return [f"CREATE TABLE IF NOT EXISTS {self.t('suppressions')} ({columns})"]

    def index_ddl(self) -> list[str]:
        table = self.t("suppressions")
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('suppressions_key')} ON {table} (tenant_id, address_key)",
            f"CREATE INDEX IF NOT EXISTS {self.t('suppressions_newest')} ON {table} "
            "(tenant_id, added_ts, seq)",
        ]

    def _select(self) -> str:
        return f"SELECT {', '.join(COLUMNS)} FROM {self.t('suppressions')}"

    # --- queries -------------------------------------------------------------------------
    def suppressed_keys(self, tenant_id: str, keys: Collection[str], scopes: Collection[str],
                        now: float) -> set[str]:
        """The ``keys`` with an entry of one of ``scopes`` that applies at ``now``."""
        keys, scopes = sorted(set(keys)), sorted(set(scopes))
        if not keys or not scopes:
            return set()
        found: set[str] = set()
        with self.db.transaction(write=False) as tx:
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start:start + CHUNK]
                found.update(r[0] for r in tx.execute(
                    f"SELECT address_key FROM {self.t('suppressions')} WHERE tenant_id = ? "
                    f"AND address_key IN ({', '.join('?' * len(chunk))}) "
                    f"AND scope IN ({', '.join('?' * len(scopes))}) AND lifted_ts IS NULL "
                    "AND (expires_at IS NULL OR expires_at > ?)", [tenant_id, *chunk, *scopes, now]))
        return found

    def get(self, entry_id: str) -> SuppressionRow | None:
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(f"{self._select()} WHERE id = ?", (entry_id,))
        return _row(raw[0]) if raw else None

    def list(self, tenant_id: str, *, address_key: str | None = None, scope: str | None = None,
             reason: str | None = None, source: str | None = None, include_lifted: bool = False,
             before: tuple[float, int] | None = None, limit: int = 100) -> list[SuppressionRow]:
        """Newest first, keyset-paged: ``before`` is the (added_ts, seq) of the last row seen."""
        clauses, params = ["tenant_id = ?"], [tenant_id]
        for column, value in (("address_key", address_key), ("scope", scope), ("reason", reason),
                              ("source", source)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if not include_lifted:
            clauses.append("lifted_ts IS NULL")
        if before is not None:
            clauses.append("(added_ts < ? OR (added_ts = ? AND seq < ?))")
            params += [before[0], before[0], before[1]]
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(f"{self._select()} WHERE {' AND '.join(clauses)} "
                             "ORDER BY added_ts DESC, seq DESC LIMIT ?", [*params, limit])
        return [_row(r) for r in raw]

    def count(self, tenant_id: str, now: float) -> int:
        """Entries that apply now (console ``/me`` counts)."""
        with self.db.transaction(write=False) as tx:
            return int(tx.execute(
                f"SELECT COUNT(*) FROM {self.t('suppressions')} WHERE tenant_id = ? AND lifted_ts IS NULL "
                "AND (expires_at IS NULL OR expires_at > ?)", (tenant_id, now))[0][0])

    # --- page writes ---------------------------------------------------------------------
    def load(self, tx: SqlTx, ids: Sequence[str]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            for raw in tx.execute(f"{self._select()} WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
                out[raw[0]] = list(raw)
        return out

    def put(self, tx: SqlTx, rows: Sequence[Sequence[Any]]) -> None:
        bulk.upsert(tx, self.db.dialect, self.t("suppressions"), KINDS, "id", rows)


def _row(raw: Sequence[Any]) -> SuppressionRow:
    return SuppressionRow(*raw)


class SuppressionsProjection(Projection[SuppressionsView]):
    VIEW = SuppressionsView
    FOLLOWS = ("sending",)
    TOPICS = frozenset({ADDED, LIFTED})

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        wanted = sorted({str(r.event.originator_id) for r in page if type(r.event).TOPIC == LIFTED})
        rows = self.view.load(tx, wanted)
        for rec in page:
            event, entry_id = rec.event, str(rec.event.originator_id)
            if isinstance(event, SuppressionEntry.Added):
                rows[entry_id] = [entry_id, event.tenant_id, event.address_key, event.email, event.scope,
                                  event.reason, event.source, event.notes, event.timestamp, event.added_by,
                                  event.expires_at, None, None, None, rec.position]
            elif isinstance(event, SuppressionEntry.Lifted) and entry_id in rows:
                row = rows[entry_id]
                row[11], row[12], row[13] = event.timestamp, event.lifted_by, event.note
        self.view.put(tx, [tuple(row) for row in rows.values()])


__all__ = ["SuppressionRow", "SuppressionsProjection", "SuppressionsView"]
