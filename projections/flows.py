"""The ``flows`` view: each flow as GET /flows shows it, its versions, its runs, its sends.

Runs carry ``due_ts`` (when the engine should look at them next: now for a run that just
entered or stepped, its ``waiting_until`` when parked, NULL when held or over), so the
engine's "what is due" is one indexed range read. Lists are newest first, key-set paged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from projections.base import View
from projections.sql import SqlTx

DAY = 86_400.0
RUN_COLUMNS = (
    "run_id",
    "tenant_id",
    "flow_slug",
    "contact_id",
    "external_id",
    "status",
    "version",
    "current_path",
    "waiting_until",
    "due_ts",
    "entered_at",
    "exited_at",
    "exit_reason",
    "history",
    "updated_ts",
)


class FlowRow(msgspec.Struct, frozen=True):
    tenant_id: str
    slug: str
    doc: dict[str, Any]
    created_ts: float
    updated_ts: float


def decode_run(raw: Sequence[Any]) -> dict[str, Any]:
    row = dict(zip(RUN_COLUMNS, raw, strict=True))
    row["history"] = msgspec.json.decode(row["history"]) if row["history"] else []
    return row


class FlowsView(View):
    NAME = "flows"
    TABLES = ("flows", "flow_versions", "flow_runs", "flow_sends")

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('flows')} (tenant_id TEXT NOT NULL, slug TEXT NOT NULL, "
            f"flow_id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL, created_ts {real} NOT NULL, "
            f"updated_ts {real} NOT NULL, deleted INTEGER NOT NULL, trigger_type TEXT NOT NULL, "
            "enabled INTEGER NOT NULL, PRIMARY KEY (tenant_id, slug))",
            f"CREATE TABLE IF NOT EXISTS {self.t('flow_versions')} (tenant_id TEXT NOT NULL, "
            "slug TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL, "
            "PRIMARY KEY (tenant_id, slug, version))",
            f"CREATE TABLE IF NOT EXISTS {self.t('flow_runs')} (run_id TEXT PRIMARY KEY, "
            "tenant_id TEXT NOT NULL, flow_slug TEXT NOT NULL, contact_id TEXT NOT NULL, "
            "external_id TEXT NOT NULL, status TEXT NOT NULL, "
            f"version INTEGER NOT NULL, current_path TEXT, waiting_until {real}, due_ts {real}, "
            f"entered_at {real} NOT NULL, exited_at {real}, exit_reason TEXT, history TEXT NOT NULL, "
            f"updated_ts {real} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.t('flow_sends')} (tenant_id TEXT NOT NULL, "
            f"slug TEXT NOT NULL, run_id TEXT NOT NULL, path TEXT NOT NULL, at {real} NOT NULL, "
            "PRIMARY KEY (run_id, path))",
        ]

    def index_ddl(self) -> list[str]:
        t = self.t
        return [
            f"CREATE INDEX IF NOT EXISTS {t('flows_updated')} ON {t('flows')} (tenant_id, updated_ts, slug)",
            f"CREATE INDEX IF NOT EXISTS {t('flow_runs_flow')} ON {t('flow_runs')} "
            "(tenant_id, flow_slug, entered_at, run_id)",
            f"CREATE INDEX IF NOT EXISTS {t('flow_runs_contact')} ON {t('flow_runs')} "
            "(tenant_id, contact_id)",
            f"CREATE INDEX IF NOT EXISTS {t('flow_runs_due')} ON {t('flow_runs')} (due_ts)",
            f"CREATE INDEX IF NOT EXISTS {t('flow_sends_slug')} ON {t('flow_sends')} (tenant_id, slug, at)",
        ]

    # --- flows ----------------------------------------------------------------------------
    def _flow_select(self) -> str:
        return f"SELECT tenant_id, slug, doc, created_ts, updated_ts FROM {self.t('flows')}"

    def get(self, tenant_id: str, slug: str) -> FlowRow | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"{self._flow_select()} WHERE tenant_id = ? AND slug = ? AND deleted = 0", (tenant_id, slug)
            )
        return (
            FlowRow(rows[0][0], rows[0][1], msgspec.json.decode(rows[0][2]), rows[0][3], rows[0][4])
            if rows
            else None
        )

    def list(
        self, tenant_id: str, *, before: tuple[float, str] | None, limit: int, enabled: bool | None = None
    ) -> list[FlowRow]:
        clauses, params = ["tenant_id = ?", "deleted = 0"], [tenant_id]
        if enabled is not None:
            clauses.append("enabled = ?")
            params.append(int(enabled))
        if before is not None:
            clauses.append("(updated_ts < ? OR (updated_ts = ? AND slug < ?))")
            params += [before[0], before[0], before[1]]
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"{self._flow_select()} WHERE {' AND '.join(clauses)} "
                "ORDER BY updated_ts DESC, slug DESC LIMIT ?",
                [*params, limit],
            )
        return [FlowRow(r[0], r[1], msgspec.json.decode(r[2]), r[3], r[4]) for r in rows]

    def count(self, tenant_id: str) -> int:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT COUNT(*) FROM {self.t('flows')} WHERE tenant_id = ? AND deleted = 0", (tenant_id,)
            )
        return int(rows[0][0])

    def with_trigger(self, trigger_type: str) -> list[FlowRow]:
        """Every tenant's flows of one trigger type that have a published version."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"{self._flow_select()} WHERE trigger_type = ? AND deleted = 0 ORDER BY tenant_id, slug",
                (trigger_type,),
            )
        return [FlowRow(r[0], r[1], msgspec.json.decode(r[2]), r[3], r[4]) for r in rows]

    def versions(self, tenant_id: str, slug: str) -> list[dict[str, Any]]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT doc FROM {self.t('flow_versions')} WHERE tenant_id = ? AND slug = ? "
                "ORDER BY version DESC",
                (tenant_id, slug),
            )
        return [msgspec.json.decode(r[0]) for r in rows]

    def stats(self, tenant_id: str, slug: str, now: float) -> dict[str, int]:
        with self.db.transaction(write=False) as tx:
            runs = dict(
                tx.execute(
                    f"SELECT status, COUNT(*) FROM {self.t('flow_runs')} WHERE tenant_id = ? "
                    "AND flow_slug = ? GROUP BY status",
                    (tenant_id, slug),
                )
            )
            sends = tx.execute(
                f"SELECT COUNT(*), SUM(CASE WHEN at >= ? THEN 1 ELSE 0 END) FROM "
                f"{self.t('flow_sends')} WHERE tenant_id = ? AND slug = ?",
                (now - 7 * DAY, tenant_id, slug),
            )
        return {
            "activeRuns": int(runs.get("active", 0)) + int(runs.get("held", 0)),
            "completedRuns": int(runs.get("completed", 0)),
            "sendsTotal": int(sends[0][0] or 0),
            "sendsLast7Days": int(sends[0][1] or 0),
        }

    # --- runs -----------------------------------------------------------------------------
    def _run_select(self) -> str:
        return f"SELECT {', '.join(RUN_COLUMNS)} FROM {self.t('flow_runs')}"

    def runs(
        self,
        tenant_id: str,
        slug: str,
        *,
        status: str | None,
        before: tuple[float, str] | None,
        limit: int,
        external_id: str | None = None,
    ) -> list[dict[str, Any]]:
        sql, params = f"{self._run_select()} WHERE tenant_id = ? AND flow_slug = ?", [tenant_id, slug]
        for column, value in (("status", status), ("external_id", external_id)):
            if value is not None:
                sql, params = f"{sql} AND {column} = ?", [*params, value]
        if before is not None:
            sql += " AND (entered_at < ? OR (entered_at = ? AND run_id < ?))"
            params += [before[0], before[0], before[1]]
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"{sql} ORDER BY entered_at DESC, run_id DESC LIMIT ?", [*params, limit])
        return [decode_run(r) for r in rows]

    def runs_of_contact(
        self, tenant_id: str, contact_id: str, *, live_only: bool, limit: int = 50
    ) -> list[dict[str, Any]]:
        live = " AND status IN ('active', 'held')" if live_only else ""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"{self._run_select()} WHERE tenant_id = ? AND contact_id = ?{live} "
                "ORDER BY entered_at DESC, run_id DESC LIMIT ?",
                (tenant_id, contact_id, limit),
            )
        return [decode_run(r) for r in rows]

    def count_runs(self, tenant_id: str, slug: str) -> int:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT COUNT(*) FROM {self.t('flow_runs')} WHERE tenant_id = ? AND flow_slug = ?",
                (tenant_id, slug),
            )
        return int(rows[0][0])

    def run_ids(self, tenant_id: str, slug: str, statuses: Sequence[str]) -> list[str]:
        marks = ", ".join("?" * len(statuses))
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT run_id FROM {self.t('flow_runs')} WHERE tenant_id = ? AND flow_slug = ? "
                f"AND status IN ({marks})",
                (tenant_id, slug, *statuses),
            )
        return [str(r[0]) for r in rows]

    def due(self, now: float, limit: int) -> list[str]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT run_id FROM {self.t('flow_runs')} WHERE due_ts IS NOT NULL AND due_ts <= ? "
                "ORDER BY due_ts, run_id LIMIT ?",
                (now, limit),
            )
        return [str(r[0]) for r in rows]

    # --- writes (the projection's) ---------------------------------------------------------
    def load_run(self, tx: SqlTx, run_id: str) -> dict[str, Any] | None:
        rows = tx.execute(f"{self._run_select()} WHERE run_id = ?", (run_id,))
        return decode_run(rows[0]) if rows else None

    def put_run(self, tx: SqlTx, row: dict[str, Any]) -> None:
        values = [msgspec.json.encode(row[c]).decode() if c == "history" else row[c] for c in RUN_COLUMNS]
        updates = ", ".join(f"{c} = excluded.{c}" for c in RUN_COLUMNS[1:])
        tx.execute(
            f"INSERT INTO {self.t('flow_runs')} ({', '.join(RUN_COLUMNS)}) VALUES "
            f"({', '.join('?' * len(RUN_COLUMNS))}) ON CONFLICT (run_id) DO UPDATE SET {updates}",
            values,
        )
