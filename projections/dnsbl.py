"""The ``dnsbl`` view: each (tenant, target, zone) verdict as ``GET /dnsbl`` shows it, when it
was last checked, and each tenant's latest run (console.md §12).

``checkedAt`` is the time of the latest run that reached a verdict for the pair (a
``DnsblRun.Completed`` names those pairs), so a transient failure leaves it unchanged; the
verdict itself comes from the latest ``DnsblCheck.Recorded``. A pure function of events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.reputation.dnsbl import DnsblCheck, DnsblRun
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx

COLUMNS = ("tenant_id", "target", "zone", "target_kind", "label", "result", "return_codes",
           "error_message", "checked_at", "listed_since", "changed_at")


class DnsblRow(msgspec.Struct, frozen=True):
    tenant_id: str
    target: str
    zone: str
    target_kind: str
    label: str
    result: str
    return_codes: list[str]
    error_message: str | None
    checked_at: float
    listed_since: float | None
    changed_at: float


def _decode(raw: Sequence[Any]) -> DnsblRow:
    data = dict(zip(COLUMNS, raw, strict=True))
    data["return_codes"] = msgspec.json.decode(data["return_codes"])
    return msgspec.convert(data, DnsblRow)


class DnsblView(View):
    NAME = "dnsbl"
    TABLES = ("dnsbl_checks", "dnsbl_runs")

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('dnsbl_checks')} (tenant_id TEXT NOT NULL, "
            "target TEXT NOT NULL, zone TEXT NOT NULL, target_kind TEXT NOT NULL, label TEXT NOT NULL, "
            "result TEXT NOT NULL, return_codes TEXT NOT NULL, error_message TEXT, "
            f"checked_at {real} NOT NULL, listed_since {real}, changed_at {real} NOT NULL, "
            "PRIMARY KEY (tenant_id, target, zone))",
            f"CREATE TABLE IF NOT EXISTS {self.t('dnsbl_runs')} (tenant_id TEXT PRIMARY KEY, "
            f"latest_run_at {real} NOT NULL)",
        ]

    def list(self, tenant_id: str) -> list[DnsblRow]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {self.t('dnsbl_checks')} WHERE tenant_id = ? "
                "ORDER BY target_kind, target, zone",
                (tenant_id,),
            )
        return [_decode(r) for r in rows]

    def latest_run(self, tenant_id: str) -> float | None:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT latest_run_at FROM {self.t('dnsbl_runs')} WHERE tenant_id = ?", (tenant_id,)
            )
        return float(rows[0][0]) if rows else None

    # --- writes ---------------------------------------------------------------------------
    def put(self, tx: SqlTx, e: DnsblCheck.Recorded) -> None:
        values = (e.tenant_id, e.target, e.zone, e.target_kind, e.label, e.result,
                  msgspec.json.encode(list(e.return_codes)).decode(), e.error_message, e.timestamp,
                  e.listed_since, e.timestamp)
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[3:])
        tx.execute(
            f"INSERT INTO {self.t('dnsbl_checks')} ({', '.join(COLUMNS)}) VALUES "
            f"({', '.join('?' for _ in COLUMNS)}) ON CONFLICT (tenant_id, target, zone) "
            f"DO UPDATE SET {updates}",
            values,
        )

    def mark_run(self, tx: SqlTx, e: DnsblRun.Completed) -> None:
        for target, zone in e.checked:
            tx.execute(
                f"UPDATE {self.t('dnsbl_checks')} SET checked_at = ? WHERE tenant_id = ? AND target = ? "
                "AND zone = ? AND checked_at < ?",
                (e.timestamp, e.tenant_id, target, zone, e.timestamp),
            )
        tx.execute(
            f"INSERT INTO {self.t('dnsbl_runs')} (tenant_id, latest_run_at) VALUES (?, ?) "
            "ON CONFLICT (tenant_id) DO UPDATE SET latest_run_at = excluded.latest_run_at "
            f"WHERE {self.t('dnsbl_runs')}.latest_run_at < excluded.latest_run_at",
            (e.tenant_id, e.timestamp),
        )


class DnsblProjection(Projection[DnsblView]):
    VIEW = DnsblView
    FOLLOWS = ("dnsbl",)
    TOPICS = frozenset((DnsblCheck.Recorded.TOPIC, DnsblRun.Completed.TOPIC))

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        for rec in page:
            event: Any = rec.event
            if isinstance(event, DnsblCheck.Recorded):
                self.view.put(tx, event)
            elif isinstance(event, DnsblRun.Completed):
                self.view.mark_run(tx, event)
