"""The ``messages`` read model: the queue and its history as lists, one row per message.

Three tables: ``messages`` (the rows, read by ``GET /messages`` and by the dispatcher's claim
SQL), ``messages_tenants`` (each tenant's activity and suspensions, from which ``held_by`` is
derived) and ``message_reports`` (one row per reportable event: when the client acknowledged
it, NULL while unreported). ``message_reports`` outlives a retention purge on purpose: a
purged message still shows ``reported_ts`` in its history, and a late bounce of a purged
message is still counted until reported. Writes happen a page at a time
(``messages.MessagesProjection``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

from projections.base import View
from projections.sending import bulk
from projections.sending.holds import TenantHold
from projections.sending.message_rows import (
    ACTIVE,
    COLUMNS,
    KINDS,
    TERMINAL,
    WAITING,
    MessageRow,
    column_type,
    decode_cursor,
    decode_row,
    encode_cursor,
)
from projections.sql import SqlTx

CHUNK = 500  # keys per IN (...) list: well under every backend's parameter limit
TENANT_KINDS = {"tenant_id": "text", "aggregate_id": "text", "active": "int", "suspended": "text",
                "deleted": "int"}
TENANT_COLUMNS = tuple(TENANT_KINDS)


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)  # fixed status names only, never input


class MessagesView(View):
    NAME = "messages"
    TABLES = ("messages", "messages_tenants", "message_reports")

    def ddl(self) -> list[str]:
        columns = ", ".join(f"{c} {column_type(c, self.db.dialect)}" for c in COLUMNS)
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('messages')} ({columns})",
            f"CREATE TABLE IF NOT EXISTS {self.t('messages_tenants')} (tenant_id TEXT PRIMARY KEY, "
            "aggregate_id TEXT NOT NULL UNIQUE, active INTEGER NOT NULL, suspended TEXT NOT NULL, "
            "deleted INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.t('message_reports')} (pk TEXT NOT NULL, "
            f"version INTEGER NOT NULL, reported_ts {column_type('sent_ts', self.db.dialect)}, "
            "PRIMARY KEY (pk, version))",
        ]

    def index_ddl(self) -> list[str]:
        table = self.t("messages")
        # Listing order puts never-queued rejections (NULL priority) first; SQLite indexes sort
        # NULLs first, PostgreSQL needs telling so the index serves the ORDER BY on both.
        nulls = " NULLS FIRST" if self.db.dialect == "postgresql" else ""
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('messages_dispatch')} ON {table} "
            f"(priority, accepted_ts, seq, pk) WHERE status IN ({_quoted(ACTIVE)}) AND held_by IS NULL",
            f"CREATE INDEX IF NOT EXISTS {self.t('messages_queue')} ON {table} "
            f"(tenant_id, priority{nulls}, accepted_ts{nulls}, seq, pk)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {self.t('messages_client')} ON {table} "
            "(tenant_id, client_id)",
            f"CREATE INDEX IF NOT EXISTS {self.t('messages_status')} ON {table} (tenant_id, status)",
            # bounce correlation by the original's Message-ID (proxy.md §10.3)
            f"CREATE INDEX IF NOT EXISTS {self.t('messages_message_id')} ON {table} (message_id)",
        ]

    # --- queries (the API) ------------------------------------------------------------
    def _select(self) -> str:
        return f"SELECT {', '.join(COLUMNS)} FROM {self.t('messages')}"

    def _select_listed(self) -> str:
        """``_select`` plus each row's unreported report items (``MessageRow.unreported_reports``)."""
        table = self.t("messages")
        unreported = (f"(SELECT COUNT(*) FROM {self.t('message_reports')} r WHERE r.pk = {table}.pk "
                      "AND r.reported_ts IS NULL)")
        return f"SELECT {', '.join(COLUMNS)}, {unreported} FROM {table}"

    def list(self, tenant_id: str, *, statuses: list[str] | None, batch_code: str | None,
             account_id: str | None, since_ts: float | None, until_ts: float | None, limit: int,
             after: str | None) -> tuple[list[MessageRow], str | None]:
        """A page in queue order (priority, accepted_ts, seq, pk) and the cursor of the next one.
        Cancelled messages are never listed. Raises ValueError for a foreign ``after``."""
        clauses, params = ["tenant_id = ?", "status <> 'cancelled'"], [tenant_id]
        if statuses is not None:
            clauses.append(f"status IN ({_marks(len(statuses))})" if statuses else "1 = 0")
            params += statuses
        for clause, value in (("batch_code = ?", batch_code), ("account_id = ?", account_id),
                              ("accepted_ts >= ?", since_ts), ("accepted_ts <= ?", until_ts)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        if after is not None:
            clause, keys = _after(after)
            clauses.append(clause)
            params += keys
        nulls = " NULLS FIRST" if self.db.dialect == "postgresql" else ""
        sql = (f"{self._select_listed()} WHERE {' AND '.join(clauses)} "
               f"ORDER BY priority{nulls}, accepted_ts{nulls}, seq, pk LIMIT ?")
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(sql, [*params, limit + 1])
        rows = [decode_row(r) for r in raw[:limit]]
        return rows, (encode_cursor(rows[-1]) if len(raw) > limit else None)

    def get(self, tenant_id: str, client_id: str) -> MessageRow | None:
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(f"{self._select_listed()} WHERE tenant_id = ? AND client_id = ?",
                             (tenant_id, client_id))
        return decode_row(raw[0]) if raw else None

    def pending_count(self, tenant_id: str | None = None) -> int:
        """Messages still to send: pending, deferred or sending (one tenant, or all)."""
        sql = f"SELECT COUNT(*) FROM {self.t('messages')} WHERE status IN ({_quoted(ACTIVE)})"
        params = [] if tenant_id is None else [tenant_id]
        with self.db.transaction(write=False) as tx:
            return int(tx.execute(sql + (" AND tenant_id = ?" if params else ""), params)[0][0])

    def due_count(self, now: float) -> int:
        """Messages a dispatcher would act on now: unheld and ready, or in flight (a lease,
        live or expired). ``POST /_test/drain`` waits for this to reach zero."""
        sql = (f"SELECT COUNT(*) FROM {self.t('messages')} WHERE status = 'sending' OR "
               "(status IN ('pending', 'deferred') AND held_by IS NULL AND ready_ts <= ?)")
        with self.db.transaction(write=False) as tx:
            return int(tx.execute(sql, (now,))[0][0])

    def pending_by_account(self) -> dict[tuple[str, str], int]:
        """The ``ledgermail_pending_messages`` gauge: counts per (tenant_id, account_id)."""
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(f"SELECT tenant_id, account_id, COUNT(*) FROM {self.t('messages')} "
                             f"WHERE status IN ({_quoted(ACTIVE)}) GROUP BY tenant_id, account_id")
        return {(t, a or ""): int(n) for t, a, n in raw}

    def purgeable(self, tenant_id: str, cutoff_ts: float, limit: int) -> list[str]:
        """Pks retention may remove (spec §4.2), oldest first: terminal, no unreported report
        item, last event and last acknowledgement at or before ``cutoff_ts`` (so a cleanup
        with ``older_than_seconds`` 0 takes everything done "now", even on a frozen clock).
        A message that was never reported has no acknowledgement: its last event decides."""
        table = self.t("messages")
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(
                f"SELECT pk FROM {table} WHERE tenant_id = ? "
                f"AND status IN ({_quoted(TERMINAL)}) AND last_event_ts <= ? "
                f"AND NOT EXISTS (SELECT 1 FROM {self.t('message_reports')} r WHERE r.pk = {table}.pk "
                "AND (r.reported_ts IS NULL OR r.reported_ts > ?)) "
                "ORDER BY last_event_ts, pk LIMIT ?",
                [tenant_id, cutoff_ts, cutoff_ts, limit])
        return [str(r[0]) for r in raw]

    def reported(self, pk: str) -> dict[str, float | None]:
        """When each reportable event of a message was acknowledged (None: not yet), by
        ``event_id``; still answers after a purge (``GET /messages/{id}`` history)."""
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(f"SELECT version, reported_ts FROM {self.t('message_reports')} "
                             "WHERE pk = ? ORDER BY version", (pk,))
        return {f"{pk}:{version}": None if ts is None else float(ts) for version, ts in raw}

    # --- page writes (the projection) --------------------------------------------------
    def load_rows(self, tx: SqlTx, pks: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start:start + CHUNK]
            for raw in tx.execute(f"{self._select()} WHERE pk IN ({_marks(len(chunk))})", chunk):
                out[raw[0]] = dict(zip(COLUMNS, raw, strict=True))
        return out

    def put_rows(self, tx: SqlTx, rows: Sequence[Sequence[Any]]) -> None:
        """Upsert whole rows (distinct pks), in ``COLUMNS`` order."""
        bulk.upsert(tx, self.db.dialect, self.t("messages"), KINDS, "pk", rows)

    def put_reports(self, tx: SqlTx, reports: Mapping[tuple[str, int], float | None]) -> None:
        """Reportable events (None) and acknowledgements (a time); the first acknowledgement
        wins and nothing ever makes a reported event unreported again."""
        table = self.t("message_reports")
        rows = [(pk, version, ts) for (pk, version), ts in reports.items()]
        bulk.upsert(tx, self.db.dialect, table, {"pk": "text", "version": "int", "reported_ts": "real"},
                    "pk, version", rows,
                    updates=f"reported_ts = COALESCE({table}.reported_ts, excluded.reported_ts)")

    def delete_rows(self, tx: SqlTx, pks: Sequence[str]) -> None:
        bulk.delete(tx, self.t("messages"), "pk", pks)

    def delete_tenant_rows(self, tx: SqlTx, tenant_id: str) -> None:
        tx.execute(f"DELETE FROM {self.t('messages')} WHERE tenant_id = ?", (tenant_id,))

    def rehold(self, tx: SqlTx, tenant: TenantHold) -> None:
        """Recompute ``held_by`` of every waiting message of the tenant, in SQL."""
        where = f"WHERE tenant_id = ? AND status IN ({_quoted(WAITING)})"
        table = self.t("messages")
        whole = tenant.whole()
        if whole is not None or not tenant.suspended:
            tx.execute(f"UPDATE {table} SET held_by = ? {where}", (whole, tenant.tenant_id))
            return
        tx.execute(f"UPDATE {table} SET held_by = CASE WHEN batch_code IN ({_marks(len(tenant.suspended))}) "
                   f"THEN 'batch_suspended' ELSE NULL END {where}", (*tenant.suspended, tenant.tenant_id))

    def load_tenants(self, tx: SqlTx, tenant_ids: Sequence[str], aggregate_ids: Sequence[str]
                     ) -> list[TenantHold]:
        out = []
        for column, keys in (("tenant_id", tenant_ids), ("aggregate_id", aggregate_ids)):
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start:start + CHUNK]
                out += [TenantHold(t, a, bool(active), tuple(msgspec.json.decode(s)), bool(d))
                        for t, a, active, s, d in tx.execute(
                            f"SELECT {', '.join(TENANT_COLUMNS)} FROM {self.t('messages_tenants')} "
                            f"WHERE {column} IN ({_marks(len(chunk))})", chunk)]
        return out

    def put_tenants(self, tx: SqlTx, tenants: Iterable[TenantHold]) -> None:
        rows = [(h.tenant_id, h.aggregate_id, int(h.active), msgspec.json.encode(list(h.suspended)).decode(),
                 int(h.deleted)) for h in tenants]
        bulk.upsert(tx, self.db.dialect, self.t("messages_tenants"), TENANT_KINDS, "tenant_id", rows)


def _after(cursor: str) -> tuple[str, list[Any]]:
    """The keyset condition "after this row" in queue order, NULL priorities first."""
    key = decode_cursor(cursor)
    if key.priority is None or key.accepted_ts is None:
        return "(priority IS NOT NULL OR (seq, pk) > (?, ?))", [key.seq, key.pk]
    return "(priority, accepted_ts, seq, pk) > (?, ?, ?, ?)", [key.priority, key.accepted_ts, key.seq, key.pk]
