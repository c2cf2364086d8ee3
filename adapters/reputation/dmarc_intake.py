"""One intake for DMARC report files, shared by ``POST /dmarc/upload`` and the mailbox poller:
unpack (guards), parse (both schemas), check the domain against the tenant's registry, then
store every good report of the file in one save (console.md §13).

Also the tenant's DMARC settings as the console settings document holds them
(``dmarc.knownSources``, ``dmarc.retentionDays``), read leniently so that a document
written before these settings existed reads as the defaults.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

import msgspec

from adapters.reputation.dmarc_files import unpack
from adapters.reputation.dmarc_xml import parse_report
from application.base import SYSTEM, CommandMeta
from domain.reputation.dmarc import DmarcIngestFailed, ParsedReport
from projections.dmarc_rollups import Tag

if TYPE_CHECKING:
    from adapters.bootstrap import Container

DEFAULT_RETENTION_DAYS = 90


class IngestOutcome(msgspec.Struct, frozen=True):
    report: ParsedReport  # the first report that parsed
    duplicate: bool
    additional: int  # other reports of the same file that parsed (new or duplicate)
    new: int  # how many reports of the file were stored now
    position: int


def _document(container: Container, tenant_id: str) -> dict[str, Any]:
    found = container.content.settings_aggregate(tenant_id)
    return dict(found.document) if found is not None else {}


def dmarc_settings(container: Container, tenant_id: str) -> dict[str, Any]:
    value = _document(container, tenant_id).get("dmarc")
    return value if isinstance(value, dict) else {}


def retention_days(container: Container, tenant_id: str) -> int:
    value = dmarc_settings(container, tenant_id).get("retentionDays", DEFAULT_RETENTION_DAYS)
    return value if isinstance(value, int) and value >= 0 else DEFAULT_RETENTION_DAYS


def _normal_ip(value: object) -> str | None:
    """Report rows hold normalised IPs (``2001:db8::1``); settings may not."""
    try:
        return str(ipaddress.ip_address(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def known_sources(container: Container, tenant_id: str) -> dict[str, Tag]:
    """``dmarc.knownSources``: ``{ip: label}``, ``{ip: {label, ignored}}`` or ``[{ip, label, ignored}]``."""
    raw = dmarc_settings(container, tenant_id).get("knownSources") or {}
    items = raw.items() if isinstance(raw, dict) else ((i.get("ip"), i) for i in raw if isinstance(i, dict))
    out = {}
    for given, value in items:
        ip = _normal_ip(given)
        if ip is None:
            continue
        if isinstance(value, str):
            out[ip] = Tag(value, False, "config")
        elif isinstance(value, dict):
            out[ip] = Tag(str(value.get("label") or ip), bool(value.get("ignored")), "config")
    return out


def registry(container: Container, tenant_id: str) -> list[str]:
    return [d.lower() for d in container.content.settings(tenant_id).sender_domains]


def check_domain(domain: str, domains: list[str]) -> None:
    """A registry domain or a parent of one (any domain while the registry is empty)."""
    if domains and not any(d == domain or d.endswith("." + domain) for d in domains):
        raise DmarcIngestFailed(f"domain {domain} is not one of this tenant's sender domains (or a parent)")


def parse_file(
    filename: str | None, data: bytes, domains: list[str]
) -> tuple[list[ParsedReport], list[DmarcIngestFailed]]:
    reports, errors = [], []
    for file in unpack(filename, data):  # archive-level refusals raise: nothing of it is stored
        try:
            report = parse_report(file.xml)
            check_domain(report.domain, domains)
            reports.append(report)
        except DmarcIngestFailed as exc:
            errors.append(DmarcIngestFailed(f"{file.name}: {exc.message}"))
    return reports, errors


def ingest_file(
    container: Container,
    tenant_id: str,
    filename: str | None,
    data: bytes,
    *,
    channel: str = "upload",
    meta: CommandMeta = SYSTEM,
) -> IngestOutcome:
    """Raises ``DmarcIngestFailed`` (400 ``ingest_failed``) when no report of the file is good."""
    if not data:
        raise DmarcIngestFailed("the file is empty")
    reports, errors = parse_file(filename, data, registry(container, tenant_id))
    if not reports:
        raise errors[0] if errors else DmarcIngestFailed("the archive holds no report")
    done, position = container.dmarc.ingest_reports(
        tenant_id, reports, channel=channel, filename=filename, meta=meta
    )
    return IngestOutcome(
        done[0].report, done[0].duplicate, len(done) - 1, sum(not d.duplicate for d in done), position
    )
