"""The circuit breaker's evaluator (console.md §11 "Evaluation"): turns the ``health`` view's
window counters into bucket transitions (Tripped, StatusChanged) and holds tripped sends.

It runs after every commit of the ``health`` view (``Container.health_hub``: a dispatch
cycle, an outcome request or a tracking hit just landed there), on every poll as the
tick (windows roll with time alone), and on demand (``GET /health``, tests, drain). Any
number of processes may run it: a transition is appended against the bucket's version, so
of two racing evaluators one appends and the other re-reads and finds nothing to do, and
only the writer of a trip holds sends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import msgspec

from adapters.reputation.health_signals import BREAKER, hold_bucket
from adapters.reputation.health_state import Assessment, assess, first_fact, health_settings, state_of
from domain.reputation.health_rules import ROLLUP

if TYPE_CHECKING:
    from adapters.bootstrap import Container

log = logging.getLogger(__name__)
MIN_INTERVAL = 0.1
STOP_SLICE = 0.5
LOOKBACK_SECONDS = 2 * 86_400  # buckets without a fact for this long have nothing to evaluate


class Transition(msgspec.Struct, frozen=True):
    tenant_id: str
    bucket_id: str
    status: str
    reasons: list[str]
    held: int = 0


class HealthEvaluator:
    def __init__(self, container: Container, *, poll_seconds: float = 5.0) -> None:
        self.c = container
        self.poll_seconds = poll_seconds
        self.runs = 0

    def _targets(self, tenant_id: str | None, now: float) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        pairs = [
            *self.c.projections["health"].view.active(now - LOOKBACK_SECONDS),
            *self.c.projections["health_buckets"].view.unhealthy(),
        ]
        for tenant, key in pairs:
            if key != ROLLUP and (tenant_id is None or tenant == tenant_id):
                found[tenant].add(key)
        return found

    def evaluate(self, tenant_id: str | None = None) -> list[Transition]:
        """One evaluation of every bucket with recent facts or a non-healthy status (of one
        tenant, when named); returns the transitions it appended."""
        now = self.c.clock.now()
        out: list[Transition] = []
        for tenant, keys in sorted(self._targets(tenant_id, now).items()):
            settings = health_settings(self.c, tenant)
            seen = self.c.projections["health"].view.seen(tenant)
            for key in sorted(keys):
                state = state_of(self.c.health.bucket(tenant, key), tenant, key)
                if state["status"] == "tripped":
                    continue  # only a resume closes the breaker; its window never rolls
                found = assess(self.c, tenant, key, state, first_fact(seen, key), now, settings)
                moved = self._apply(tenant, key, state, found, settings.hold_transactional_on_trip)
                if moved is not None:
                    out.append(moved)
        self.runs += 1
        return out

    def _apply(
        self, tenant: str, key: str, state: dict[str, Any], found: Assessment, hold_txn: bool
    ) -> Transition | None:
        verdict = found.verdict
        if verdict.status == "tripped":
            changed, _ = self.c.health.trip_bucket(
                tenant,
                key,
                verdict.trip_reason or "threshold crossed",
                source="circuit-breaker",
                holds_transactional=hold_txn,
                reasons=verdict.reasons,
                window_started_at=found.window_started_at,
                counters=msgspec.to_builtins(found.counters),
                meta=BREAKER,
            )
            if not changed:
                return None
            held = hold_bucket(self.c, tenant, key, state["senderDomain"], state["kind"], hold_txn, BREAKER)
            log.warning(
                "health: %s of %s tripped (%s); %d sends held", key, tenant, verdict.trip_reason, held
            )
            return Transition(tenant, key, "tripped", verdict.reasons, held)
        if verdict.status == state["status"]:
            return None
        changed, _ = self.c.health.set_status(tenant, key, verdict.status, verdict.reasons, BREAKER)
        return Transition(tenant, key, verdict.status, verdict.reasons) if changed else None

    # --- the thread -----------------------------------------------------------------------
    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(
            target=self.run_forever, args=(stop,), daemon=True, name="ledgermail-health-evaluator"
        )
        thread.start()
        return thread

    def run_forever(self, stop: threading.Event) -> None:
        hub = self.c.health_hub
        seen = hub.generation()
        while not stop.is_set():
            try:
                self.evaluate()
            except Exception:  # a lagging view or a lost connection: the next round retries
                log.exception("health: evaluation failed; retrying")
            # a busy dispatcher commits the view many times a second: evaluate at most every
            # MIN_INTERVAL seconds, however often it is woken
            stop.wait(MIN_INTERVAL)
            seen = self._next_round(stop, seen)

    def _next_round(self, stop: threading.Event, seen: int) -> int:
        """Wait for a commit of the health view or the tick, in short slices so a stopping
        container is not kept waiting for a whole tick."""
        deadline = time.monotonic() + self.poll_seconds
        while not stop.is_set() and time.monotonic() < deadline:
            now = self.c.health_hub.wait(seen, min(STOP_SLICE, max(0.0, deadline - time.monotonic())))
            if now != seen:
                return now
        return seen
