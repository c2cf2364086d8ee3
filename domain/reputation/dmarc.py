"""DMARC aggregate reports (console.md §13): one ``DmarcReport`` per (tenant, org, report id),
source tags per IP, the tenant's report mailbox, and retention sweeps.

A report is stored once, as parsed: its published policy and its rows summed per (source
IP, header From, DKIM, SPF, disposition). Everything the console shows (per-domain and
per-source rollups, the 14-day series, the policy ladder) is a read model of these events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar
from uuid import UUID, uuid5

import msgspec

from domain.errors import RuleViolation
from domain.instance import LEDGERMAIL_NAMESPACE
from domain.model import Aggregate


class DmarcIngestFailed(RuleViolation):
    """The file is not a report this tenant can ingest (malformed, hostile, foreign domain)."""

    code = "ingest_failed"
    status = 400


def report_uuid(tenant_id: str, org_name: str, report_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"dmarc-report/{tenant_id}/{org_name}/{report_id}")


def source_tag_uuid(tenant_id: str, ip: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"dmarc-source-tag/{tenant_id}/{ip}")


class DmarcRow(msgspec.Struct, frozen=True, kw_only=True):
    """Messages of one (source IP, header From, DKIM, SPF, disposition) in one report."""

    source_ip: str
    header_from: str
    dkim: str  # policy_evaluated: pass | fail | none
    spf: str
    disposition: str  # none | quarantine | reject
    count: int

    @property
    def aligned(self) -> bool:
        return self.dkim == "pass" or self.spf == "pass"


class ParsedReport(msgspec.Struct, frozen=True, kw_only=True):
    """What a parser reads from one aggregate report file (either schema)."""

    schema: str  # "rfc7489" | "rfc9990"
    org_name: str
    report_id: str
    email: str | None = None
    generator: str | None = None
    range_start: int
    range_end: int
    domain: str
    policy_p: str = "none"
    policy_pct: int | None = None  # null for RFC 9990 (no pct there)
    np: str | None = None
    testing: bool = False
    discovery_method: str | None = None
    rows: tuple[DmarcRow, ...] = ()

    @property
    def day(self) -> str:
        """UTC date of the window's midpoint: the day the report counts for."""
        mid = (self.range_start + self.range_end) // 2
        return dt.datetime.fromtimestamp(mid, dt.UTC).date().isoformat()

    @property
    def pass_count(self) -> int:
        return sum(r.count for r in self.rows if r.aligned)

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)


def summed(rows: list[DmarcRow]) -> tuple[DmarcRow, ...]:
    """Rows with the same key add up (reporters split them by auth details we do not keep)."""
    totals: dict[tuple[str, str, str, str, str], int] = {}
    for r in rows:
        key = (r.source_ip, r.header_from, r.dkim, r.spf, r.disposition)
        totals[key] = totals.get(key, 0) + r.count
    return tuple(
        DmarcRow(source_ip=k[0], header_from=k[1], dkim=k[2], spf=k[3], disposition=k[4], count=n)
        for k, n in totals.items()
    )


class DmarcReport(Aggregate):
    TOPIC = "DmarcReport"

    class Ingested(Aggregate.Created, frozen=True, kw_only=True):
        """An aggregate report was ingested (by upload or from the report mailbox); `rows` are
        summed per (sourceIp, headerFrom, dkim, spf, disposition); `day` is the UTC date of
        the window's midpoint."""

        TOPIC: ClassVar[str] = "DmarcReport.Ingested"
        tenant_id: str
        report: ParsedReport
        day: str
        total: int
        pass_count: int
        channel: str  # upload | imap
        filename: str | None = None

        def apply(self, r: Any) -> None:
            r.tenant_id, r.report = self.tenant_id, self.report

    tenant_id: str
    report: ParsedReport

    @classmethod
    def ingest(cls, tenant_id: str, report: ParsedReport, channel: str, filename: str | None) -> DmarcReport:
        return cls._create(
            cls.Ingested,
            id=report_uuid(tenant_id, report.org_name, report.report_id),
            tenant_id=tenant_id,
            report=report,
            day=report.day,
            total=report.total,
            pass_count=report.pass_count,
            channel=channel,
            filename=filename,
        )


class DmarcSourceTag(Aggregate):
    """A tenant's label for a sending IP: known (counts as expected) or ignored."""

    TOPIC = "DmarcSourceTag"

    class Tagged(Aggregate.Created, frozen=True, kw_only=True):
        """The IP got (or changed) its label; `ignored` sources never block the ladder."""

        TOPIC: ClassVar[str] = "DmarcSourceTag.Tagged"
        tenant_id: str
        ip: str
        label: str
        ignored: bool

        def apply(self, t: Any) -> None:
            t.tenant_id, t.ip, t.label, t.ignored, t.removed = (
                self.tenant_id,
                self.ip,
                self.label,
                self.ignored,
                False,
            )

    class Removed(Aggregate.Event, frozen=True, kw_only=True):
        """The DB tag was deleted (a `dmarc.knownSources` setting for the IP still applies)."""

        TOPIC: ClassVar[str] = "DmarcSourceTag.Removed"
        tenant_id: str
        ip: str

        def apply(self, t: Any) -> None:
            t.removed = True

    tenant_id: str
    ip: str
    label: str
    ignored: bool
    removed: bool

    @classmethod
    def tag(
        cls, existing: DmarcSourceTag | None, tenant_id: str, ip: str, label: str, ignored: bool
    ) -> DmarcSourceTag | None:
        """None when the live tag already says this (no event)."""
        if (
            existing is not None
            and not existing.removed
            and (existing.label, existing.ignored) == (label, ignored)
        ):
            return None
        fields = dict(tenant_id=tenant_id, ip=ip, label=label, ignored=ignored)
        if existing is None:
            return cls._create(cls.Tagged, id=source_tag_uuid(tenant_id, ip), **fields)
        existing.trigger_event(cls.Tagged, **fields)  # type: ignore[arg-type]
        return existing

    def remove(self) -> bool:
        if self.removed:
            return False
        self.trigger_event(self.Removed, tenant_id=self.tenant_id, ip=self.ip)  # type: ignore[arg-type]
        return True
