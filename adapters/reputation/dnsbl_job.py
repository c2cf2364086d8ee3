"""The scheduled DNSBL scans (console.md §12): every ``dnsbl_job_seconds`` (60) of the service
clock, in one process at a time (the ``dnsbl`` row of ``SqlJobSchedule``, as retention does),
each live tenant's pairs whose verdict is ``dnsbl.intervalHours`` old are asked again.

A pair that failed transiently keeps its old ``checkedAt`` and so is due again on the next
run: a resolver outage is retried every minute, a healthy list once a day.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

import msgspec

from adapters.job_schedule import SqlJobSchedule
from adapters.reputation.dnsbl_ops import scan

if TYPE_CHECKING:
    from adapters.bootstrap import Container

log = logging.getLogger(__name__)
JOB = "dnsbl"
LEASE_SECONDS = 600.0  # wall clock; renewed after every tenant
POLL_SECONDS = 1.0


class DnsblJobRun(msgspec.Struct, frozen=True):
    ran_at: float
    tenants: int  # tenants that had due pairs
    checks: int
    listed: int


class DnsblJob:
    def __init__(self, container: Container, schedule: SqlJobSchedule, worker_id: str, *,
                 interval_seconds: float, poll_seconds: float = POLL_SECONDS) -> None:
        self.container, self.schedule, self.worker_id = container, schedule, worker_id
        self.interval, self.poll_seconds = interval_seconds, poll_seconds
        self.runs = 0
        self.last: DnsblJobRun | None = None
        self._due_at: float | None = None

    def run_due(self) -> DnsblJobRun | None:
        """Run once if due and nobody else holds the job; None otherwise."""
        now = self.container.clock.now()
        if self._due_at is not None and now < self._due_at:
            return None
        if not self.schedule.claim(JOB, self.worker_id, now, LEASE_SECONDS):
            self._due_at = self.schedule.next_run(JOB)
            return None
        next_run = now + self.interval
        try:
            run = asyncio.run(self._run(now))
        finally:
            self.schedule.finish(JOB, self.worker_id, next_run)
            self._due_at = next_run
        self.runs += 1
        self.last = run
        return run

    async def _run(self, now: float) -> DnsblJobRun:
        # due-ness is read from the dnsbl view, the tenants from theirs: let both see everything
        await asyncio.to_thread(self.container.catch_up, ["dnsbl", "tenants"])
        tenants = checks = listed = 0
        for tenant in await asyncio.to_thread(self.container.projections["tenants"].view.list):
            answer = await scan(self.container, tenant.tenant_id, forced=False)
            if answer.ran:
                tenants, checks = tenants + 1, checks + answer.total_checks
                listed += answer.listed_count
            if not await asyncio.to_thread(self.schedule.renew, JOB, self.worker_id, LEASE_SECONDS):
                raise RuntimeError("dnsbl lease lost")
        if checks:
            log.info("dnsbl: %d checks for %d tenants, %d listed", checks, tenants, listed)
        return DnsblJobRun(now, tenants, checks, listed)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(stop,), daemon=True,
                                  name=f"ledgermail-dnsbl-{self.worker_id}")
        thread.start()
        return thread

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:  # the view lagged, the database went away: the next run retries
                log.exception("dnsbl: scheduled scan failed; retrying")
            stop.wait(self.poll_seconds)
