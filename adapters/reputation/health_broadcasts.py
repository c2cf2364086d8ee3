"""The breaker and broadcasts (console.md §11 "Effects"): a tripped marketing bucket pauses
the ``sending`` broadcasts of its domain; a resume leaves them paused unless asked
(``resumeBroadcasts``). The broadcasts part owns the pausing (``adapters/campaigns``); it is
looked up when called, so the breaker works in a build without broadcasts, and a failure
there never undoes a trip (the fan-out also checks the gate before every page)."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from application.base import CommandMeta

if TYPE_CHECKING:
    from adapters.bootstrap import Container

log = logging.getLogger(__name__)
BREAKER_CODE = "circuit_breaker"


def _ops() -> Any:
    try:
        return importlib.import_module("adapters.campaigns.broadcast_ops")
    except ImportError:  # pragma: no cover - a build without broadcasts
        return None


def pause_broadcasts(container: Container, tenant_id: str, domain: str, meta: CommandMeta) -> int:
    ops = _ops()
    if ops is None or "broadcasts" not in container.projections:
        return 0
    try:
        return len(ops.pause_for_breaker(container, tenant_id, domain, meta))
    except Exception:
        log.exception("health: pausing the broadcasts of %s (%s) failed", domain, tenant_id)
        return 0


def resume_broadcasts(container: Container, tenant_id: str, domain: str, meta: CommandMeta) -> int:
    ops = _ops()
    if ops is None or "broadcasts" not in container.projections:
        return 0
    return len(ops.resume_after_breaker(container, tenant_id, domain, meta))


def paused_by_breaker(container: Container, tenant_id: str, domain: str) -> int:
    """How many broadcasts of ``domain`` the breaker paused and nobody resumed yet."""
    ops = _ops()
    if ops is None or "broadcasts" not in container.projections:
        return 0
    from adapters.campaigns.broadcast_gate import ContentTemplates

    templates, count = ContentTemplates(container), 0
    for row in container.projections["broadcasts"].view.list(tenant_id, status="paused", limit=10_000):
        if (row.doc.get("pauseReason") or {}).get("code") != BREAKER_CODE:
            continue
        facts = templates.facts(tenant_id, row.doc["templateSlug"])
        count += int(facts is not None and facts.from_domain == domain.lower())
    return count
