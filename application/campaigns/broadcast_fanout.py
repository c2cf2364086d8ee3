"""The fan-out: start due broadcasts, walk their recipients page by page into the send
queue, and judge stop rules (console.md §9.2). One active runner at a time (the adapter
holds a leader lock); a crash anywhere resumes exactly (ADR 0025):

* each page's sends are ONE save in the sending log, then ``PageDispatched {cursor}`` is
  one save here; dying between the two re-runs that page, and its dedupe keys
  (``broadcast:<id>:<contactId>``) make the second run create nothing;
* the throttle offset ``k`` comes from the aggregate (sends since the last start/resume),
  so the re-run page gets the very same ``notBefore`` values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from application.base import CommandMeta
from application.campaigns.broadcast_app import BroadcastApplication, VersionConflict
from application.campaigns.broadcast_ports import (
    Audience,
    Faults,
    HealthGate,
    OutgoingSend,
    Recipient,
    SendQueue,
    Templates,
)
from application.campaigns.broadcast_walk import position_after, stored_cursor
from application.ports import Clock
from domain.campaigns.broadcast import Broadcast
from domain.campaigns.broadcast_ids import batch_code, dedupe_key, hold_name
from domain.campaigns.broadcast_rules import breached
from domain.campaigns.broadcast_timing import local_target, send_time

SCHEDULER = CommandMeta(actor="system:scheduler")
STOP_RULES = CommandMeta(actor="system:stop-rules")
BREAKER = CommandMeta(actor="system:circuit-breaker")
FAULT_POINT = "fanout_page_committed"
DAY = 86_400.0


class FanoutOptions(msgspec.Struct, frozen=True):
    page_size: int = 1000
    drift_pct: float = 10.0
    stop_rule_days: float = 14.0
    pages_per_tick: int = 1_000_000  # per broadcast and tick; fairness knob


class BroadcastFanout:
    def __init__(self, app: BroadcastApplication, audience: Audience, queue: SendQueue,
                 templates: Templates, health: HealthGate, clock: Clock, faults: Faults,
                 options: FanoutOptions | None = None,
                 tuning: Callable[[str], tuple[int, float]] | None = None) -> None:
        self.app, self.audience, self.queue, self.templates = app, audience, queue, templates
        self.health, self.clock, self.faults = health, clock, faults
        self.options = options or FanoutOptions()
        self.tuning = tuning  # the tenant's (fanoutPageSize, driftPct) settings, if any
        # the ordered recipients of a run (broadcast id, mark) and where the walk stands
        self._walks: dict[tuple[str, float | None], tuple[list[Recipient], int]] = {}
        # stop rules judged at (sends view position, run mark): judged again after new outcomes
        self._judged: dict[str, tuple[int, float | None]] = {}

    # --- one broadcast, one tick --------------------------------------------------------
    def advance(self, broadcast: Broadcast) -> int:
        """Whatever is due for it now; returns how many events that recorded."""
        now, done = self.clock.now(), 0
        if broadcast.status == "scheduled" and (broadcast.scheduled_at or 0) <= now:
            done += self._start(broadcast)
            broadcast = self.app.broadcast(broadcast.tenant_id, broadcast.slug)
        pages = 0
        while broadcast.status == "sending" and pages < self.options.pages_per_tick:
            step = self._page(broadcast)
            if not step:
                break
            done, pages = done + step, pages + 1
            broadcast = self.app.broadcast(broadcast.tenant_id, broadcast.slug)
        if broadcast.status != "sending":  # the walk is over (or paused): free its list
            self._walks = {k: v for k, v in self._walks.items() if k[0] != str(broadcast.id)}
        if broadcast.status in ("sending", "sent"):
            done += self.judge(broadcast)
        return done

    def _start(self, b: Broadcast) -> int:
        facts = self.templates.facts(b.tenant_id, b.template_slug)
        if facts is None or facts.version == 0:
            self.app.change(b.tenant_id, b.slug, lambda x: x.fail("template_not_published"), SCHEDULER, b)
            return 1
        found = self._recipients(b, fresh=True)
        room, drift = b.room(), self._tuned(b.tenant_id)[1]
        eligible = len(found) if room is None else min(len(found), room)  # what confirm counted
        confirmed = (b.confirmation or {}).get("confirmed_count", 0)

        def start(x: Broadcast) -> None:
            x.start(facts.version, eligible)
            if eligible > confirmed * (1 + drift / 100):
                x.pause("count_drift", f"{eligible} eligible now, {confirmed} confirmed (+{drift}%)")

        self.app.change(b.tenant_id, b.slug, start, SCHEDULER, b)
        self._walks = {(str(b.id), b.mark): (found, 0)}  | {
            k: v for k, v in self._walks.items() if k[0] != str(b.id)}
        return 1

    def _tuned(self, tenant_id: str) -> tuple[int, float]:
        if self.tuning is None:
            return self.options.page_size, self.options.drift_pct
        return self.tuning(tenant_id)

    def _recipients(self, b: Broadcast, *, fresh: bool = False) -> list[Recipient]:
        key = (str(b.id), b.mark)
        if fresh or key not in self._walks:
            found = self.audience.recipients(b.tenant_id, b.settings.get("segment") or {"all": []},
                                             b.settings.get("order") or {}, self.clock.now())
            self._walks = {k: v for k, v in self._walks.items() if k[0] != str(b.id)}
            self._walks[key] = (found, -1)
        return self._walks[key][0]

    def _position(self, b: Broadcast) -> int:
        recipients = self._recipients(b)
        key = (str(b.id), b.mark)
        cached = self._walks[key][1]
        order = b.settings.get("order") or {}
        if cached >= 0 and (cached == 0 or stored_cursor(recipients[cached - 1].key, order.get(
                "field", "createdAt")) == b.cursor):
            return cached
        found = position_after(recipients, b.cursor, order.get("direction") == "desc")
        if found is not None:
            return found
        sent = self.queue.sent_contacts(b.tenant_id, b.slug)  # the cursor's contact left the list
        return next((i for i, r in enumerate(recipients) if r.contact_id not in sent), len(recipients))

    def _page(self, b: Broadcast) -> int:
        if b.completed_at is not None:  # resumed after its walk had ended: nobody new joins
            self.app.change(b.tenant_id, b.slug, lambda x: x.complete(), SCHEDULER, b)
            return 1
        recipients, start = self._recipients(b), self._position(b)
        room = b.room()
        if start >= len(recipients):
            self.app.change(b.tenant_id, b.slug, lambda x: x.complete(), SCHEDULER, b)
            return 1
        if room == 0:
            left = len(recipients) - start
            self.app.change(b.tenant_id, b.slug, lambda x: x.pause(
                "cap_reached", f"recipientCap {b.cap} reached with {left} left"), SCHEDULER, b)
            return 1
        facts = self.templates.facts(b.tenant_id, b.template_slug)
        held = self.health.held(b.tenant_id, facts.from_domain, "marketing") if facts and facts.from_domain \
            else None
        if held is not None:
            return self.pause(b, "circuit_breaker", f"sender bucket {held} is tripped", BREAKER)
        page = self._tuned(b.tenant_id)[0]
        size = page if room is None else min(page, room)
        chunk = recipients[start:start + size]
        statuses = self.queue.enqueue(b.tenant_id, self._sends(b, chunk), SCHEDULER.actor)
        self.faults.passed(FAULT_POINT)
        count = sum(1 for s in statuses if s != "skipped")
        self._record_page(b, chunk, count)
        self._walks[(str(b.id), b.mark)] = (recipients, start + len(chunk))
        return 1

    def _sends(self, b: Broadcast, chunk: list[Recipient]) -> list[OutgoingSend]:
        s, now = b.settings, self.clock.now()
        start, rate = b.mark or now, s.get("rate_per_minute")
        at, zone, local = b.scheduled_at or now, s.get("schedule_timezone") or "UTC", bool(
            s.get("respect_recipient_timezone"))
        out = []
        for i, r in enumerate(chunk):
            target = local_target(at, zone, r.timezone) if local else at
            when = send_time(target, start, b.wave_sends + i, rate)
            out.append(OutgoingSend(
                dedupe_key=dedupe_key(b.id, r.contact_id), slug=b.template_slug,
                version=b.template_version or 0, external_id=r.external_id, batch_code=batch_code(b.slug),
                campaign=b.slug, not_before=when if when > now else None))
        return out

    def _record_page(self, b: Broadcast, chunk: list[Recipient], count: int) -> None:
        field = (b.settings.get("order") or {}).get("field", "createdAt")
        cursor, walked = stored_cursor(chunk[-1].key, field), len(chunk)

        def record(x: Broadcast) -> None:
            x.dispatched(cursor, count, walked)

        try:
            self.app.change(b.tenant_id, b.slug, record, SCHEDULER, b)
        except VersionConflict:
            # paused (or cancelled) while the page was being saved: the page still happened
            fresh = self.app.broadcast(b.tenant_id, b.slug)
            self.app.change(b.tenant_id, b.slug, record, SCHEDULER, fresh)
            if fresh.status == "paused":
                self.queue.hold(b.tenant_id, hold_name(b.id), batch_code(b.slug), SCHEDULER.actor)
            elif fresh.status == "cancelled":
                self.queue.cancel(b.tenant_id, batch_code(b.slug), SCHEDULER.actor)

    # --- pauses and stop rules ------------------------------------------------------------
    def pause(self, b: Broadcast, code: str, message: str, meta: CommandMeta,
              finding: dict[str, Any] | None = None) -> int:
        def act(x: Broadcast) -> None:
            x.pause(code, message)
            if finding is not None:
                x.breach(finding, paused=True)

        self.app.change(b.tenant_id, b.slug, act, meta, b)
        self.queue.hold(b.tenant_id, hold_name(b.id), batch_code(b.slug), meta.actor)
        return 1

    def judged_since_last_outcome(self, broadcast_id: str) -> bool:
        judged = self._judged.get(broadcast_id)
        return judged is not None and judged[0] == self.queue.outcomes_seen()

    def judge(self, b: Broadcast) -> int:
        """Stop rules over the sample since the last start/resume (broadcasts of 14 days)."""
        now = self.clock.now()
        if b.started_at is None or now - b.started_at > self.options.stop_rule_days * DAY or b.mark is None:
            return 0
        seen = self.queue.outcomes_seen()  # before the sample: outcomes meanwhile judge again
        if self._judged.get(str(b.id)) == (seen, b.mark):
            return 0
        self._judged[str(b.id)] = (seen, b.mark)
        if any(x.get("at", 0) >= b.mark for x in getattr(b, "breaches", [])):
            return 0  # breached already in this run
        sample, counts = self.queue.sample(b.tenant_id, b.slug, b.mark)
        finding = breached(b.settings.get("stop_rules") or {}, sample, counts)
        if finding is None:
            return 0
        message = f"{finding['rule']} {finding['rate'] * 100:.2f}% > {finding['thresholdPct']}%"
        if b.status == "sending" or self.queue.waiting(b.tenant_id, b.slug) > 0:
            return self.pause(b, "stop_rule", message, STOP_RULES, finding)
        self.app.change(b.tenant_id, b.slug, lambda x: x.breach(finding, paused=False), STOP_RULES, b)
        return 1
