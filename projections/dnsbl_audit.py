"""Audit entries of the ``dnsbl`` log (console.md §1.5, §12): ``dnsbl.listed`` when a pair
becomes listed, ``dnsbl.delisted`` when a listed pair is clean again (both automatic, by
``system:dnsbl``), and ``dnsbl.recheck`` for a recheck someone asked for. Pure functions of one
event, in the shape ``projections.console_audit_map.Entry`` takes (``Entry(**found)``)."""

from __future__ import annotations

from typing import Any

from domain.reputation.dnsbl import DnsblCheck, DnsblRun

DNSBL_TOPICS = frozenset((DnsblCheck.Recorded.TOPIC, DnsblRun.Completed.TOPIC))


def dnsbl_entry(e: Any) -> dict[str, Any] | None:
    if isinstance(e, DnsblCheck.Recorded):
        listed, was = e.result == "listed", e.previous == "listed"
        if listed == was:
            return None  # a first clean verdict, an error, changed codes: observations, not decisions
        return dict(
            action="dnsbl.listed" if listed else "dnsbl.delisted",
            resource_type="dnsbl",
            resource_id=str(e.originator_id),
            resource_slug=f"{e.target}@{e.zone}",
            before={"result": e.previous},
            after={"target": e.target, "zone": e.zone, "result": e.result,
                   "returnCodes": list(e.return_codes)},
        )
    if isinstance(e, DnsblRun.Completed) and e.forced:
        return dict(
            action="dnsbl.recheck",
            resource_type="dnsbl",
            resource_id=str(e.originator_id),
            after={"totalChecks": e.total_checks, "listedCount": e.listed_count,
                   "errorCount": e.error_count, "transientCount": e.transient_count},
        )
    return None
