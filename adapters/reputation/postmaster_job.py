"""The scheduled provider-feed pulls (console.md §14): every ``JOB_SECONDS`` (60) of the service
clock, in one process at a time (the ``postmaster`` row of ``SqlJobSchedule``, as retention and
DNSBL do), each live tenant's due Postmaster domains and its SNDS feed are pulled.

What is due is the feed schedule's business (``SqlFeedSchedule``): ``intervalHours`` after the
last pull, or the provider's ``Retry-After`` after a throttle, so a busy API is not hammered.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import msgspec

from adapters.job_schedule import SqlJobSchedule
from adapters.reputation.postmaster_ops import pull_postmaster, pull_snds
from application.base import CommandMeta

if TYPE_CHECKING:
    from adapters.bootstrap import Container

log = logging.getLogger(__name__)
JOB = "postmaster"
JOB_SECONDS = 60.0
LEASE_SECONDS = 600.0  # wall clock; renewed after every tenant
POLL_SECONDS = 1.0
POSTMASTER_META = CommandMeta(actor="system:postmaster")
SNDS_META = CommandMeta(actor="system:snds")


class FeedsJobRun(msgspec.Struct, frozen=True):
    ran_at: float
    tenants: int
    fetched: int  # Postmaster days read
    rows: int  # SNDS rows read
    tripped: list[str]


class FeedsJob:
    def __init__(self, container: Container, schedule: SqlJobSchedule, worker_id: str, *,
                 interval_seconds: float = JOB_SECONDS, poll_seconds: float = POLL_SECONDS) -> None:
        self.container, self.schedule, self.worker_id = container, schedule, worker_id
        self.interval, self.poll_seconds = interval_seconds, poll_seconds
        self.runs = 0
        self.last: FeedsJobRun | None = None
        self._due_at: float | None = None

    def run_due(self) -> FeedsJobRun | None:
        """Run once if due and nobody else holds the job; None otherwise."""
        now = self.container.clock.now()
        if self._due_at is not None and now < self._due_at:
            return None
        if not self.schedule.claim(JOB, self.worker_id, now, LEASE_SECONDS):
            self._due_at = self.schedule.next_run(JOB)
            return None
        next_run = now + self.interval
        try:
            run = self._run(now)
        finally:
            self.schedule.finish(JOB, self.worker_id, next_run)
            self._due_at = next_run
        self.runs += 1
        self.last = run
        return run

    def _run(self, now: float) -> FeedsJobRun:
        tenants = fetched = rows = 0
        tripped: list[str] = []
        for tenant in self.container.projections["tenants"].view.list():
            if getattr(tenant, "deleted", False):
                continue
            google = pull_postmaster(self.container, tenant.tenant_id, forced=False, meta=POSTMASTER_META)
            microsoft = pull_snds(self.container, tenant.tenant_id, forced=False, meta=SNDS_META)
            if google.get("ran") or microsoft.get("ran"):
                tenants += 1
            fetched += int(google.get("fetched", 0))
            rows += int(microsoft.get("rowsParsed", 0))
            tripped += [f"{tenant.tenant_id}:{t}" for t in google.get("trippedDomains", [])]
            if not self.schedule.renew(JOB, self.worker_id, LEASE_SECONDS):
                raise RuntimeError("postmaster lease lost")
        if fetched or rows:
            log.info("feeds: %d Postmaster days, %d SNDS rows for %d tenants", fetched, rows, tenants)
        return FeedsJobRun(now, tenants, fetched, rows, tripped)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(stop,), daemon=True,
                                  name=f"ledgermail-feeds-{self.worker_id}")
        thread.start()
        return thread

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:  # a provider or the database went away: the next run retries
                log.exception("feeds: run failed; retrying in %.0f s", self.interval)
            stop.wait(self.poll_seconds)


__all__ = ["JOB", "FeedsJob", "FeedsJobRun"]
