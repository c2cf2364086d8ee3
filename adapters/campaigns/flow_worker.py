"""The flow worker: enters runs from triggers and advances the runs that are due.

Safe as several processes: one of them leads at a time (a PostgreSQL advisory lock, or a
file lock on SQLite), the others stand by; and each run's steps are optimistic appends on
its own version, so even two leaders could not both record one step. ``run_once`` is one
pass over everything due by the service clock: tests call it with a fake clock, no sleeps.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.campaigns.flow_contacts import ContainerFlowContacts
from adapters.campaigns.flow_effects import ContainerFlowEffects
from adapters.campaigns.flow_triggers import FlowTriggers
from adapters.leader import LeaderLock
from application.campaigns.flow_engine import Engine
from application.campaigns.flow_ports import FlowContacts, FlowEffects
from domain.campaigns.flow import Flow

if TYPE_CHECKING:
    from adapters.bootstrap import Container

log = logging.getLogger(__name__)
DUE_PAGE = 200


def settle_flows_view(container: Container, name: str = "flows") -> None:
    """Bring a view up to its logs (waiting for its runner's own thread if it runs here)."""
    if name in container.runners:
        container.catch_up([name])
    else:
        container.runner(name, leader=False).catch_up()


class FlowWorker:
    def __init__(
        self,
        container: Container,
        *,
        contacts: FlowContacts | None = None,
        effects: FlowEffects | None = None,
        lock: LeaderLock | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self.c = container
        real_contacts = ContainerFlowContacts(container)
        self.contacts = contacts or real_contacts
        self.effects = effects or ContainerFlowEffects(container)
        self.engine = Engine(container.flows, self.contacts, self.effects)
        self.triggers = FlowTriggers(
            container,
            real_contacts,
            container.flow_store,
            lambda name="flows": settle_flows_view(container, name),
        )
        self.lock, self.poll_seconds = lock, poll_seconds
        self.error: BaseException | None = None

    def run_once(self) -> int:
        """One pass: triggers, scans, firings, then due runs. Returns how much it did (0: idle)."""
        if self.lock is not None and not self.lock.try_acquire():
            return 0
        now = self.c.clock.now()
        done = self.triggers.follow_events()
        done += self.triggers.scan_segments(now) + self.triggers.fire_crons(now)
        return done + self.advance_due(now)

    def drain(self, rounds: int = 50) -> int:
        """Passes until a pass does nothing (what ``/_test/drain`` and tests call)."""
        total = 0
        for _ in range(rounds):
            done = self.run_once()
            if not done:
                return total
            total += done
        return total

    def advance_due(self, now: float) -> int:
        settle_flows_view(self.c)
        flows: dict[tuple[str, str], Flow | None] = {}
        saved = 0
        for run_id in self.c.projections["flows"].view.due(now, DUE_PAGE):
            run = self.c.flows.run(UUID(run_id))
            if run is None or run.finished:
                continue
            key = (run.tenant_id, run.flow_slug)
            if key not in flows:
                flows[key] = self.c.flows.find_flow(*key)
            saved += self.engine.advance(run, flows[key], now)
        return saved

    def run_forever(self, stop: threading.Event) -> None:
        seen = self.c.hub.generation()
        while not stop.is_set():
            try:
                if self.run_once():
                    continue
            except Exception as exc:  # keep going: a failing pass is retried, and logged
                self.error = exc
                log.exception("flow worker pass failed; retrying")
                stop.wait(1.0)
                continue
            seen = self.c.hub.wait(seen, timeout=self.poll_seconds)
        if self.lock is not None:
            self.lock.release()

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(stop,), name="flow-worker", daemon=True)
        thread.start()
        return thread


def flow_worker(container: Container, *, leader: bool = True, **kwargs: Any) -> FlowWorker:
    """The worker ``serve`` runs: webhooks to private or plain-http targets only with
    ``LEDGERMAIL_FLOW_WEBHOOKS_ALLOW_PRIVATE=1`` (docs/operations.md)."""
    lock = container.leader_lock("flow-worker") if leader else None
    if "effects" not in kwargs:
        allow = os.environ.get("LEDGERMAIL_FLOW_WEBHOOKS_ALLOW_PRIVATE", "").lower() in ("1", "true", "yes")
        kwargs["effects"] = ContainerFlowEffects(container, allow_private_webhooks=allow)
    return FlowWorker(container, lock=lock, **kwargs)
