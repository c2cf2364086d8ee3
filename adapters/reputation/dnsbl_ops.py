"""One DNSBL scan of a tenant (console.md §12): plan the pairs from the console settings, ask
the resolver, record what changed, then raise or clear the ``dnsbl`` health signal.

Used by ``POST /dnsbl/recheck`` (forced: every pair) and the scheduled job (only the pairs
whose last verdict is older than ``dnsbl.intervalHours``). It lives in adapters because it
reads the settings, the ``dnsbl`` view and the health buckets of other contexts.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import msgspec

from adapters.reputation.dnsbl_psl import registrable
from adapters.reputation.dnsbl_resolver import DnspythonResolver
from adapters.reputation.dnsbl_signals import apply_signals
from application.base import CommandMeta
from application.reputation.dnsbl_ports import DnsblResolver
from application.reputation.dnsbl_probe import probe
from domain.reputation.dnsbl_rules import DnsblSettings, Pair, pairs_for, sender_domains
from domain.templates.sender import domain_of

if TYPE_CHECKING:
    from adapters.bootstrap import Container

SYSTEM_DNSBL = CommandMeta(actor="system:dnsbl")


class Plan(msgspec.Struct, frozen=True):
    settings: DnsblSettings
    senders: dict[str, str]  # sender domain -> marketing | transactional | both
    pairs: list[Pair]


class ScanAnswer(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    ran: bool
    reason: str | None = None
    total_checks: int = 0
    listed_count: int = 0
    error_count: int = 0
    transient_count: int = 0
    position: int = 0


def dnsbl_settings(container: Container, tenant_id: str) -> tuple[DnsblSettings, dict[str, str]]:
    doc = container.content.settings(tenant_id)
    found = getattr(doc, "dnsbl", None)
    settings = found if isinstance(found, DnsblSettings) else DnsblSettings()
    froms = [domain_of(f.from_email) for f in (doc.from_defaults, doc.transactional_from_defaults) if f]
    return settings, sender_domains(dict(doc.sender_domains), [d for d in froms if d])


def plan(container: Container, tenant_id: str) -> Plan:
    settings, senders = dnsbl_settings(container, tenant_id)
    return Plan(settings, senders, pairs_for(senders, settings.lists, settings.dedicated_ips, registrable))


def resolver_for(container: Container) -> DnsblResolver:
    s = container.settings
    return DnspythonResolver(s.dns_resolver, s.dns_timeout_s)


def due_pairs(container: Container, tenant_id: str, found: Plan, now: float) -> list[Pair]:
    """Pairs never checked, or checked ``intervalHours`` ago or more (0: none are ever due)."""
    hours = found.settings.interval_hours
    if hours <= 0:
        return []
    checked = {(r.target, r.zone): r.checked_at for r in container.projections["dnsbl"].view.list(tenant_id)}
    return [p for p in found.pairs if now - checked.get((p.target, p.zone), float("-inf")) >= hours * 3600]


async def scan(
    container: Container,
    tenant_id: str,
    *,
    forced: bool,
    targets: list[str] | None = None,
    meta: CommandMeta = SYSTEM_DNSBL,
    resolver: DnsblResolver | None = None,
) -> ScanAnswer:
    found = await asyncio.to_thread(plan, container, tenant_id)
    if not found.settings.lists:
        return ScanAnswer(ran=False, reason="disabled")
    pairs = found.pairs
    if targets is not None:
        wanted = {t.lower().rstrip(".") for t in targets}
        pairs = [p for p in pairs if p.target in wanted]
    if not forced:
        pairs = await asyncio.to_thread(due_pairs, container, tenant_id, found, container.clock.now())
    if not pairs:
        return ScanAnswer(ran=False, reason="no_targets")
    probed = await probe(pairs, resolver or resolver_for(container), dqs_key=found.settings.spamhaus_dqs_key)
    result = await asyncio.to_thread(container.dnsbl.record_scan, tenant_id, probed, forced=forced, meta=meta)
    if result.transitions:
        await asyncio.to_thread(apply_signals, container, tenant_id, found, result.transitions)
    return ScanAnswer(ran=True, total_checks=result.total_checks, listed_count=result.listed_count,
                      error_count=result.error_count, transient_count=result.transient_count,
                      position=result.position)
