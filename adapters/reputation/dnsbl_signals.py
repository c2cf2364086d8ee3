"""From DNSBL verdicts to health buckets (console.md §12, §11).

A listing raises signal ``dnsbl`` on the buckets of every sender domain equal to or under the
listed domain, one per kind the registry allows for it (buckets are opened if missing); a
listed IP flags the roll-up ``agg``. The signal's detail names every listing still in force,
and it is cleared once none is. With ``dnsbl.tripOnListing`` a new listing trips the
marketing buckets instead (through the health code's ``trip_bucket``, which also holds sends).
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from application.base import CommandMeta
from application.reputation.dnsbl_app import Transition
from domain.reputation.dnsbl import DnsblCheck
from domain.reputation.dnsbl_rules import domains_under

if TYPE_CHECKING:
    from adapters.bootstrap import Container
    from adapters.reputation.dnsbl_ops import Plan

log = logging.getLogger(__name__)
SOURCE = "dnsbl"
META = CommandMeta(actor="system:dnsbl")
KINDS = {"marketing": ("marketing",), "transactional": ("transactional",),
         "both": ("marketing", "transactional")}


def _detail(listed: list[DnsblCheck]) -> str | None:
    if not listed:
        return None
    return "; ".join(f"{c.target} listed on {c.label} ({', '.join(c.return_codes)})" for c in listed)


def _health_hook(name: str) -> Any:
    """A function of the health code's adapter, when it is there (it lands separately)."""
    try:
        module = importlib.import_module("adapters.reputation.health_signals")
    except ImportError:
        return None
    return getattr(module, name, None)


def _set_signal(container: Container, tenant_id: str, domain: str | None, kind: str | None,
                detail: str | None) -> None:
    """``domain`` None: the roll-up. Raising the same detail again appends nothing."""
    hook = _health_hook("raise_signal" if detail is not None else "clear_signal")
    if hook is None or getattr(container, "health", None) is None:
        log.warning("dnsbl: no health buckets in this build; signal %r on %s not recorded", detail, domain)
        return
    if detail is not None:
        hook(container, tenant_id, domain, kind, SOURCE, detail, META)
    else:
        hook(container, tenant_id, domain, kind, SOURCE, META)


def _trip(container: Container, tenant_id: str, domain: str, detail: str) -> bool:
    trip = _health_hook("trip_bucket")
    if trip is None or getattr(container, "health", None) is None:
        return False
    trip(container, tenant_id, domain, "marketing", f"dnsbl: {detail}", SOURCE, META)
    return True


def apply_signals(container: Container, tenant_id: str, plan: Plan, transitions: list[Transition]) -> None:
    # an error verdict says nothing about a listing: it neither raises nor clears the signal
    transitions = [t for t in transitions if t.after != "error"]
    checks = [container.dnsbl.check(tenant_id, p.target, p.zone) for p in plan.pairs]
    listed = [c for c in checks if c is not None and c.result == "listed"]
    newly = {t.target for t in transitions if t.after == "listed"}
    domains = sorted({d for t in transitions if t.target_kind == "domain"
                      for d in domains_under(t.target, plan.senders)})
    for domain in domains:
        covering = [c for c in listed if c.target_kind == "domain" and
                    (domain == c.target or domain.endswith(f".{c.target}"))]
        detail = _detail(covering)
        for kind in KINDS.get(plan.senders[domain], ()):
            fresh = any(c.target in newly for c in covering)
            if detail and fresh and kind == "marketing" and plan.settings.trip_on_listing and \
                    _trip(container, tenant_id, domain, detail):
                continue
            _set_signal(container, tenant_id, domain, kind, detail)
    if any(t.target_kind == "ip" for t in transitions):
        _set_signal(container, tenant_id, None, None, _detail([c for c in listed if c.target_kind == "ip"]))
