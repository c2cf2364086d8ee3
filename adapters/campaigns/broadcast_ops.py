"""Broadcast commands that span logs (console.md §9.2): they check templates and live
counts, change the Broadcast, and hold, release or cancel its sends in the sending log.

Order matters for the fan-out racing them: the Broadcast changes first (the worker's next
page then conflicts and sees it, adapters/campaigns/broadcast_worker.py), the sends after.
Every function returns the store positions written, for read-your-writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from adapters.campaigns.broadcast_audience import ViewAudience, timed
from adapters.campaigns.broadcast_gate import ContainerHealthGate, ContentTemplates
from adapters.campaigns.broadcast_sends import ConsoleSendQueue
from application.base import SYSTEM, CommandMeta
from application.campaigns.broadcast_app import VersionConflict
from domain.campaigns.broadcast import Broadcast
from domain.campaigns.broadcast_ids import batch_code, hold_name
from domain.campaigns.broadcast_rules import refused
from domain.campaigns.segment import EVERYONE

if TYPE_CHECKING:
    from adapters.bootstrap import Container

YEAR_AND_A_DAY = 366 * 86_400.0


def _retrying(container: Container, tenant_id: str, slug: str, fn: Callable[[Broadcast], Any],
              meta: CommandMeta) -> tuple[Any, int]:
    """Run a command, reloading when the fan-out saved a page in between."""
    for _ in range(5):
        try:
            return container.broadcasts.change(tenant_id, slug, fn, meta)
        except VersionConflict:
            continue
    return container.broadcasts.change(tenant_id, slug, fn, meta)


def check_template(container: Container, tenant_id: str, slug: str) -> None:
    facts = ContentTemplates(container).facts(tenant_id, slug)
    if facts is None:
        raise refused("template_not_found", f"template {slug} not found", 422)
    if facts.kind != "marketing":
        raise refused("template_not_marketing", f"template {slug} is {facts.kind}; broadcasts are marketing")


def live_count(container: Container, tenant_id: str, b: Broadcast,
               segment: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST /count: matched, eligible, alreadySent, recipientCount (eligible - alreadySent,
    clipped to cap - sends so far), cap, computedMs."""
    container.catch_up(["contacts", "suppressions", "sends"])
    now = container.clock.now()
    seg = segment if segment is not None else (b.settings.get("segment") or EVERYONE)
    count, ms = timed(ViewAudience(container).count, tenant_id, seg, b.slug, now)
    recipients = count.eligible - count.already_sent
    room = b.room()
    if room is not None:
        recipients = min(recipients, room)
    return {"matched": count.matched, "eligible": count.eligible, "alreadySent": count.already_sent,
            "recipientCount": max(0, recipients), "cap": b.cap, "computedMs": ms}


def confirm(container: Container, tenant_id: str, slug: str, confirmed: int,
            meta: CommandMeta = SYSTEM) -> tuple[dict[str, Any], int]:
    b = container.broadcasts.broadcast(tenant_id, slug)
    if b.status != "draft":
        raise refused("not_draft", f"broadcast {slug} is {b.status}")
    facts = ContentTemplates(container).facts(tenant_id, b.template_slug)
    if facts is None or facts.version == 0:
        raise refused("template_not_published", f"template {b.template_slug} has no published version")
    live = live_count(container, tenant_id, b)["recipientCount"]
    _, position = container.broadcasts.change(tenant_id, slug, lambda x: x.confirm(confirmed, live), meta, b)
    return {"confirmedCount": confirmed, "recipientCount": live,
            "confirmedAt": (b.confirmation or {}).get("confirmed_at")}, position


def schedule(container: Container, tenant_id: str, slug: str, at: float, zone: str | None,
             respect: bool | None, meta: CommandMeta = SYSTEM) -> int:
    now = container.clock.now()
    if at > now + YEAR_AND_A_DAY:
        raise refused("validation_failed", "scheduledAt is at most 366 days ahead", 400)
    b = container.broadcasts.broadcast(tenant_id, slug)
    zone = zone or b.settings.get("schedule_timezone") or "UTC"
    local = bool(b.settings.get("respect_recipient_timezone")) if respect is None else respect
    _, position = container.broadcasts.change(tenant_id, slug, lambda x: x.schedule(at, zone, local, now),
                                              meta, b)
    return position


def pause(container: Container, tenant_id: str, slug: str, reason: str | None,
          meta: CommandMeta = SYSTEM) -> dict[str, int]:
    queue = ConsoleSendQueue(container)

    def act(x: Broadcast) -> None:
        if not x.pausable(queue.waiting(tenant_id, slug) if x.status == "sent" else 0):
            raise refused("not_sending", f"broadcast {slug} is {x.status}")
        x.pause("manual", reason or "paused by operator")

    _, position = _retrying(container, tenant_id, slug, act, meta)
    b = container.broadcasts.broadcast(tenant_id, slug)
    queue.hold(tenant_id, hold_name(b.id), batch_code(slug), meta.actor)
    return {"broadcasts": position, "sending": container.sending.max_position()}


def resume(container: Container, tenant_id: str, slug: str, cap: int | None, confirmed: int | None,
           meta: CommandMeta = SYSTEM) -> dict[str, int]:
    b = container.broadcasts.broadcast(tenant_id, slug)
    if b.status != "paused":
        raise refused("not_paused", f"broadcast {slug} is {b.status}")
    code = (b.pause_reason or {}).get("code")
    if code == "cap_reached" and (cap is None or cap <= b.sent_total):
        raise refused("cap_reached", f"{b.sent_total} sends reached the cap; give a larger recipientCap")
    facts = ContentTemplates(container).facts(tenant_id, b.template_slug)
    if facts is not None and facts.from_domain and ContainerHealthGate(container).held(
            tenant_id, facts.from_domain, "marketing"):
        raise refused("health_tripped", f"the health bucket of {facts.from_domain} (marketing) is tripped")
    if code == "count_drift":
        live = live_count(container, tenant_id, b)["recipientCount"]
        if confirmed != live:
            raise refused("count_mismatch", f"the live recipient count is {live}", recipientCount=live)
    _, position = _retrying(container, tenant_id, slug, lambda x: x.resume(cap, confirmed), meta)
    ConsoleSendQueue(container).release(tenant_id, hold_name(b.id), meta.actor)
    return {"broadcasts": position, "sending": container.sending.max_position()}


def cancel(container: Container, tenant_id: str, slug: str,
           meta: CommandMeta = SYSTEM) -> tuple[int, dict[str, int]]:
    queue = ConsoleSendQueue(container)
    b = container.broadcasts.broadcast(tenant_id, slug)
    if b.status in ("cancelled", "failed") or (b.status == "sent" and queue.waiting(tenant_id, slug) == 0):
        raise refused("already_finished", f"broadcast {slug} is {b.status}")
    first = queue.cancel(tenant_id, batch_code(slug), meta.actor)
    _, position = _retrying(container, tenant_id, slug, lambda x: x.cancel(first), meta)
    later = queue.cancel(tenant_id, batch_code(slug), meta.actor)  # a page saved meanwhile
    return first + later, {"broadcasts": position, "sending": container.sending.max_position()}


def pause_for_breaker(container: Container, tenant_id: str, domain: str,
                      meta: CommandMeta = CommandMeta(actor="system:circuit-breaker")) -> list[str]:
    """A marketing bucket of ``domain`` tripped: pause its ``sending`` broadcasts (for the
    health part; the fan-out also checks the gate before each page). Returns the slugs."""
    done = _by_domain(container, tenant_id, domain, "sending",
                      lambda x: x.pause("circuit_breaker", f"health bucket of {domain} tripped"), meta)
    for slug in done:  # held by the broadcast too: a health resume alone must not send them
        b = container.broadcasts.broadcast(tenant_id, slug)
        ConsoleSendQueue(container).hold(tenant_id, hold_name(b.id), batch_code(slug), meta.actor)
    return done


def resume_after_breaker(container: Container, tenant_id: str, domain: str,
                         meta: CommandMeta = CommandMeta(actor="system:circuit-breaker")) -> list[str]:
    """``/health/resume`` with ``resumeBroadcasts``: resume the breaker-paused broadcasts."""
    done = _by_domain(container, tenant_id, domain, "paused", lambda x: x.resume(None, None), meta,
                      code="circuit_breaker")
    for slug in done:
        b = container.broadcasts.broadcast(tenant_id, slug)
        ConsoleSendQueue(container).release(tenant_id, hold_name(b.id), meta.actor)
    return done


def _by_domain(container: Container, tenant_id: str, domain: str, status: str,
               fn: Callable[[Broadcast], Any], meta: CommandMeta, code: str | None = None) -> list[str]:
    container.catch_up(["broadcasts"])  # one started a moment ago must be found sending
    view: Any = container.projections["broadcasts"].view
    templates, done = ContentTemplates(container), []
    for row in view.list(tenant_id, status=status, limit=10_000):
        if code is not None and (row.doc.get("pauseReason") or {}).get("code") != code:
            continue
        facts = templates.facts(tenant_id, row.doc["templateSlug"])
        if facts is not None and facts.from_domain == domain.lower():
            _retrying(container, tenant_id, row.slug, fn, meta)
            done.append(row.slug)
    return done
