"""The ``dmarc`` view (console.md §13): report summaries, their source rows, DB source tags
and each tenant's retention cut. Rollups (per domain, per source, series, ladder) are
computed from these rows by ``projections.dmarc_rollups``.

Retention is an event (``DmarcRetention.Swept``): source rows of days before the cut are
deleted, and rows of reports ingested later for days before it are never written, so a
rebuild replays to exactly the same rows as the live view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.reputation.dmarc import DmarcReport, DmarcSourceTag
from domain.reputation.dmarc_upkeep import DmarcRetention
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx

REPORT_COLUMNS = ("id", "tenant_id", "org_name", "report_id", "domain", "range_start", "range_end", "day",
                  "total", "pass_count", "policy_p", "policy_pct", "testing", "np", "report_schema", "email",
                  "channel", "filename", "ingested_ts", "row_count")
ROW_COLUMNS = ("report_uuid", "tenant_id", "domain", "day", "range_end", "source_ip", "header_from", "dkim",
               "spf", "disposition", "messages")


class ReportRow(msgspec.Struct, frozen=True):
    id: str
    tenant_id: str
    org_name: str
    report_id: str
    domain: str
    range_start: int
    range_end: int
    day: str
    total: int
    pass_count: int
    policy_p: str
    policy_pct: int | None
    testing: bool
    np: str | None
    report_schema: str
    email: str | None
    channel: str
    filename: str | None
    ingested_ts: float
    row_count: int


class SourceRow(msgspec.Struct, frozen=True):
    report_uuid: str
    tenant_id: str
    domain: str
    day: str
    range_end: int
    source_ip: str
    header_from: str
    dkim: str
    spf: str
    disposition: str
    messages: int

    @property
    def aligned(self) -> bool:
        return self.dkim == "pass" or self.spf == "pass"


class TagRow(msgspec.Struct, frozen=True):
    ip: str
    label: str
    ignored: bool


def _report(raw: Sequence[Any]) -> ReportRow:
    data = dict(zip(REPORT_COLUMNS, raw, strict=True))
    data["testing"] = bool(data["testing"])
    return msgspec.convert(data, ReportRow)


def _report_values(e: DmarcReport.Ingested) -> tuple[Any, ...]:
    r = e.report
    return (str(e.originator_id), e.tenant_id, r.org_name, r.report_id, r.domain, r.range_start,
            r.range_end, e.day, e.total, e.pass_count, r.policy_p, r.policy_pct, int(r.testing), r.np,
            r.schema, r.email, e.channel, e.filename, e.timestamp, len(r.rows))


def _row_values(e: DmarcReport.Ingested) -> list[tuple[Any, ...]]:
    r, ident = e.report, str(e.originator_id)
    return [(ident, e.tenant_id, r.domain, e.day, r.range_end, w.source_ip, w.header_from, w.dkim,
             w.spf, w.disposition, w.count) for w in r.rows]


class DmarcView(View):
    NAME = "dmarc"
    TABLES = ("dmarc_reports", "dmarc_rows", "dmarc_tags", "dmarc_sweeps")

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('dmarc_reports')} (id TEXT PRIMARY KEY, "
            "tenant_id TEXT NOT NULL, org_name TEXT NOT NULL, report_id TEXT NOT NULL, "
            "domain TEXT NOT NULL, range_start BIGINT NOT NULL, range_end BIGINT NOT NULL, "
            "day TEXT NOT NULL, total BIGINT NOT NULL, pass_count BIGINT NOT NULL, "
            "policy_p TEXT NOT NULL, policy_pct INTEGER, testing INTEGER NOT NULL, np TEXT, "
            "report_schema TEXT NOT NULL, email TEXT, channel TEXT NOT NULL, filename TEXT, "
            f"ingested_ts {real} NOT NULL, row_count INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.t('dmarc_rows')} (report_uuid TEXT NOT NULL, "
            "tenant_id TEXT NOT NULL, domain TEXT NOT NULL, day TEXT NOT NULL, "
            "range_end BIGINT NOT NULL, source_ip TEXT NOT NULL, header_from TEXT NOT NULL, "
            "dkim TEXT NOT NULL, spf TEXT NOT NULL, disposition TEXT NOT NULL, "
            "messages BIGINT NOT NULL, "
            "PRIMARY KEY (report_uuid, source_ip, header_from, dkim, spf, disposition))",
            f"CREATE TABLE IF NOT EXISTS {self.t('dmarc_tags')} (tenant_id TEXT NOT NULL, ip TEXT NOT NULL, "
            "label TEXT NOT NULL, ignored INTEGER NOT NULL, PRIMARY KEY (tenant_id, ip))",
            f"CREATE TABLE IF NOT EXISTS {self.t('dmarc_sweeps')} (tenant_id TEXT PRIMARY KEY, "
            "before_day TEXT NOT NULL)",
        ]

    def index_ddl(self) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('dmarc_reports_newest')} ON {self.t('dmarc_reports')} "
            "(tenant_id, range_end, id)",
            f"CREATE INDEX IF NOT EXISTS {self.t('dmarc_rows_recent')} ON {self.t('dmarc_rows')} "
            "(tenant_id, range_end)",
        ]

    # --- queries -------------------------------------------------------------------------------
    def reports(
        self, tenant_id: str, *, limit: int, before: tuple[int, str] | None = None, since: int | None = None
    ) -> list[ReportRow]:
        """Newest first by (range_end, id)."""
        clauses, params = ["tenant_id = ?"], [tenant_id]
        if before is not None:
            clauses.append("(range_end < ? OR (range_end = ? AND id < ?))")
            params += [before[0], before[0], before[1]]
        if since is not None:
            clauses.append("range_end >= ?")
            params.append(since)
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT {', '.join(REPORT_COLUMNS)} FROM {self.t('dmarc_reports')} WHERE "
                f"{' AND '.join(clauses)} ORDER BY range_end DESC, id DESC LIMIT ?",
                [*params, limit],
            )
        return [_report(r) for r in rows]

    def report(self, tenant_id: str, ident: str) -> tuple[ReportRow, list[SourceRow]] | None:
        with self.db.transaction(write=False) as tx:
            found = tx.execute(
                f"SELECT {', '.join(REPORT_COLUMNS)} FROM {self.t('dmarc_reports')} "
                "WHERE tenant_id = ? AND id = ?",
                (tenant_id, ident),
            )
            rows = tx.execute(
                f"SELECT {', '.join(ROW_COLUMNS)} FROM {self.t('dmarc_rows')} WHERE "
                "tenant_id = ? AND report_uuid = ? ORDER BY messages DESC, source_ip",
                (tenant_id, ident),
            )
        return (_report(found[0]), [SourceRow(*r) for r in rows]) if found else None

    def source_rows(self, tenant_id: str, since: int) -> list[SourceRow]:
        """Rows of reports ending at or after ``since`` (unix seconds)."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT {', '.join(ROW_COLUMNS)} FROM {self.t('dmarc_rows')} WHERE "
                "tenant_id = ? AND range_end >= ?",
                (tenant_id, since),
            )
        return [SourceRow(*r) for r in rows]

    def tags(self, tenant_id: str) -> dict[str, TagRow]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT ip, label, ignored FROM {self.t('dmarc_tags')} WHERE tenant_id = ?", (tenant_id,)
            )
        return {ip: TagRow(ip, label, bool(ignored)) for ip, label, ignored in rows}

    def tenants_with_rows_before(self, day: str) -> list[str]:
        """Tenants holding source rows of days before ``day`` (what a sweep could cut)."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT DISTINCT tenant_id FROM {self.t('dmarc_rows')} WHERE day < ?", (day,))
        return sorted(r[0] for r in rows)

    # --- writes ----------------------------------------------------------------------------------
    def _cut(self, tx: SqlTx, tenant_id: str) -> str:
        rows = tx.execute(
            f"SELECT before_day FROM {self.t('dmarc_sweeps')} WHERE tenant_id = ?", (tenant_id,)
        )
        return str(rows[0][0]) if rows else ""

    def add_report(self, tx: SqlTx, e: DmarcReport.Ingested) -> None:
        tx.execute(
            f"INSERT INTO {self.t('dmarc_reports')} ({', '.join(REPORT_COLUMNS)}) VALUES "
            f"({', '.join('?' * len(REPORT_COLUMNS))}) ON CONFLICT (id) DO NOTHING",
            _report_values(e),
        )
        if e.day < self._cut(tx, e.tenant_id):
            return  # past retention already: the summary stays, the rows do not
        tx.executemany(
            f"INSERT INTO {self.t('dmarc_rows')} ({', '.join(ROW_COLUMNS)}) VALUES "
            f"({', '.join('?' * len(ROW_COLUMNS))}) ON CONFLICT DO NOTHING",
            _row_values(e),
        )

    def sweep(self, tx: SqlTx, tenant_id: str, before_day: str) -> None:
        tx.execute(
            f"DELETE FROM {self.t('dmarc_rows')} WHERE tenant_id = ? AND day < ?", (tenant_id, before_day)
        )
        tx.execute(
            f"INSERT INTO {self.t('dmarc_sweeps')} (tenant_id, before_day) VALUES (?, ?) "
            "ON CONFLICT (tenant_id) DO UPDATE SET before_day = excluded.before_day",
            (tenant_id, before_day),
        )

    def put_tag(self, tx: SqlTx, tenant_id: str, ip: str, label: str, ignored: bool) -> None:
        tx.execute(
            f"INSERT INTO {self.t('dmarc_tags')} (tenant_id, ip, label, ignored) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (tenant_id, ip) DO UPDATE SET label = excluded.label, "
            "ignored = excluded.ignored",
            (tenant_id, ip, label, int(ignored)),
        )

    def drop_tag(self, tx: SqlTx, tenant_id: str, ip: str) -> None:
        tx.execute(f"DELETE FROM {self.t('dmarc_tags')} WHERE tenant_id = ? AND ip = ?", (tenant_id, ip))


class DmarcProjection(Projection[DmarcView]):
    VIEW = DmarcView
    FOLLOWS = ("dmarc",)
    TOPICS = frozenset(
        c.TOPIC
        for c in (DmarcReport.Ingested, DmarcSourceTag.Tagged, DmarcSourceTag.Removed, DmarcRetention.Swept)
    )

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        for rec in page:
            e: Any = rec.event
            if isinstance(e, DmarcReport.Ingested):
                self.view.add_report(tx, e)
            elif isinstance(e, DmarcSourceTag.Tagged):
                self.view.put_tag(tx, e.tenant_id, e.ip, e.label, e.ignored)
            elif isinstance(e, DmarcSourceTag.Removed):
                self.view.drop_tag(tx, e.tenant_id, e.ip)
            elif isinstance(e, DmarcRetention.Swept):
                self.view.sweep(tx, e.tenant_id, e.before_day)
