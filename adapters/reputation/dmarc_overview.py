"""``GET /dmarc`` and the report documents (console.md §13): the view's rows, the tenant's
tags (DB over ``dmarc.knownSources``) and the service clock, folded by
``projections.dmarc_rollups``. Lives in adapters because it joins a view with settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from adapters.reputation.dmarc_intake import known_sources, retention_days
from domain.reputation.dmarc_ladder import WINDOW_DAYS
from projections.dmarc import ReportRow, SourceRow
from projections.dmarc_rollups import DAY, domain_rollups, iso, merged_tags, source_rollups

if TYPE_CHECKING:
    from adapters.bootstrap import Container

NEWEST_REPORTS = 200
RECENT_REPORTS = 30
SOURCE_DAYS = 30

__all__ = ["iso", "overview", "report_doc"]


def report_doc(r: ReportRow, rows: list[SourceRow] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": r.id,
        "orgName": r.org_name,
        "reportId": r.report_id,
        "email": r.email,
        "domain": r.domain,
        "rangeStart": iso(r.range_start),
        "rangeEnd": iso(r.range_end),
        "day": r.day,
        "totalMessages": r.total,
        "passCount": r.pass_count,
        "failCount": r.total - r.pass_count,
        "alignmentRate": r.pass_count / r.total if r.total else None,
        "policy": {"p": r.policy_p, "pct": r.policy_pct, "np": r.np, "testing": r.testing},
        "schema": r.report_schema,
        "channel": r.channel,
        "filename": r.filename,
        "ingestedAt": iso(r.ingested_ts),
        "rowCount": r.row_count,
    }
    if rows is not None:
        doc["rows"] = [
            {
                "sourceIp": w.source_ip,
                "headerFrom": w.header_from,
                "dkim": w.dkim,
                "spf": w.spf,
                "disposition": w.disposition,
                "count": w.messages,
                "aligned": w.aligned,
            }
            for w in rows
        ]
    return doc


def overview(container: Container, tenant_id: str) -> dict[str, Any]:
    view = container.projections["dmarc"].view
    now = container.clock.now()
    window_start = int(now - WINDOW_DAYS * DAY)
    newest = view.reports(tenant_id, limit=NEWEST_REPORTS)
    window = view.reports(tenant_id, limit=100_000, since=window_start)
    rows = view.source_rows(tenant_id, int(now - SOURCE_DAYS * DAY))
    tags = merged_tags(known_sources(container, tenant_id), view.tags(tenant_id))
    return {
        "domains": msgspec.to_builtins(domain_rollups(newest, window, rows, tags, now)),
        "sources": msgspec.to_builtins(source_rollups(rows, tags)),
        "recentReports": [report_doc(r) for r in newest[:RECENT_REPORTS]],
        "retentionDays": retention_days(container, tenant_id),
    }
