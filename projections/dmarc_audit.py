"""Audit entries of the ``dmarc`` log (console.md §1.5, §13): uploads and mailbox ingests,
source tags, the report mailbox (its password always ``"***"``) and retention sweeps. Pure
functions of one event, in the shape ``projections.console_audit_map.Entry`` takes."""

from __future__ import annotations

from typing import Any

import msgspec

from domain.reputation.dmarc import DmarcReport, DmarcSourceTag
from domain.reputation.dmarc_upkeep import DmarcMailbox, DmarcRetention

DMARC_TOPICS = frozenset(
    c.TOPIC
    for c in (
        DmarcReport.Ingested,
        DmarcSourceTag.Tagged,
        DmarcSourceTag.Removed,
        DmarcMailbox.Configured,
        DmarcRetention.Swept,
    )
)
CAMEL = {
    "processed_folder": "processedFolder",
    "failed_folder": "failedFolder",
    "interval_minutes": "intervalMinutes",
}


def _report(e: DmarcReport.Ingested) -> dict[str, Any]:
    r = e.report
    return dict(
        action="dmarc.upload" if e.channel == "upload" else "dmarc.mailbox_ingest",
        resource_type="dmarc_report",
        resource_id=str(e.originator_id),
        resource_slug=f"{r.org_name}/{r.report_id}"[:200],
        after={
            "orgName": r.org_name[:200],
            "reportId": r.report_id[:200],
            "domain": r.domain,
            "totalMessages": e.total,
            "passCount": e.pass_count,
            "channel": e.channel,
            "filename": (e.filename or None) and e.filename[:200],
        },
    )


def _mailbox(e: DmarcMailbox.Configured) -> dict[str, Any]:
    config = msgspec.structs.asdict(e.config)
    after = {CAMEL.get(k, k): ("***" if k == "password" and config[k] else config[k]) for k in e.changed}
    return dict(
        action="dmarc.mailbox_update",
        resource_type="dmarc_mailbox",
        resource_id=str(e.originator_id),
        after=after,
    )


def dmarc_entry(e: Any) -> dict[str, Any] | None:
    ident = str(e.originator_id)
    if isinstance(e, DmarcReport.Ingested):
        return _report(e)
    if isinstance(e, DmarcSourceTag.Tagged):
        return dict(
            action="dmarc.source_tag",
            resource_type="dmarc_source",
            resource_id=ident,
            resource_slug=e.ip,
            after={"ip": e.ip, "label": e.label, "ignored": e.ignored},
        )
    if isinstance(e, DmarcSourceTag.Removed):
        return dict(
            action="dmarc.source_untag",
            resource_type="dmarc_source",
            resource_id=ident,
            resource_slug=e.ip,
            before={"tagged": True},
            after={"tagged": False},
        )
    if isinstance(e, DmarcMailbox.Configured):
        return _mailbox(e)
    if isinstance(e, DmarcRetention.Swept):
        return dict(
            action="dmarc.retention",
            resource_type="dmarc_retention",
            resource_id=ident,
            after={"beforeDay": e.before_day, "retentionDays": e.retention_days},
        )
    return None
