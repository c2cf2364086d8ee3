"""A periodic job that one process at a time runs: retention, DNSBL scans, provider feeds.

Each run takes the job's lease in ``SqlJobSchedule`` (wall clock, renewed by the run between
tenants); "due" follows the service clock, so a test moves the fake clock instead of waiting.
The next due time is cached, so most polls touch no table. A subclass names the job and
implements ``_run``; a failed run is due again after ``retry_seconds`` (when set), never in a
tight loop.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, ClassVar

from adapters.job_schedule import SqlJobSchedule

if TYPE_CHECKING:
    from adapters.bootstrap import Container

log = logging.getLogger(__name__)


class ScheduledJob:
    JOB: ClassVar[str] = ""
    LEASE_SECONDS: ClassVar[float] = 600.0
    RETRY_SECONDS: ClassVar[float | None] = None  # None: a failed run waits a whole interval

    def __init__(self, container: Container, schedule: SqlJobSchedule, worker_id: str, *,
                 interval_seconds: float, poll_seconds: float = 1.0, name: str | None = None) -> None:
        self.container, self.schedule, self.worker_id = container, schedule, worker_id
        self.name = name or self.JOB  # a job per tenant names itself (DMARC mailbox polls)
        self.interval, self.poll_seconds = interval_seconds, poll_seconds
        self.runs = 0
        self.last: Any = None
        self._due_at: float | None = None  # the cached next run (service clock)

    def _run(self, now: float) -> Any:
        raise NotImplementedError

    def renew(self) -> None:
        """Between tenants: keep the lease, or stop (a stalled run; the next holder goes on)."""
        if not self.schedule.renew(self.name, self.worker_id, self.LEASE_SECONDS):
            raise RuntimeError(f"{self.name} lease lost")

    def run_due(self) -> Any:
        """Run once if due and no other process holds the job; None otherwise."""
        now = self.container.clock.now()
        if self._due_at is not None and now < self._due_at:
            return None
        if not self.schedule.claim(self.name, self.worker_id, now, self.LEASE_SECONDS):
            self._due_at = self.schedule.next_run(self.name)  # another process ran it, or runs it now
            return None
        retry = self.interval if self.RETRY_SECONDS is None else min(self.RETRY_SECONDS, self.interval)
        next_run = now + retry
        try:
            run = self._run(now)
            next_run = now + self.interval
        finally:
            self.schedule.finish(self.name, self.worker_id, next_run)
            self._due_at = next_run
        self.runs += 1
        self.last = run
        return run

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(stop,), daemon=True,
                                  name=f"ledgermail-{self.name}-{self.worker_id}")
        thread.start()
        return thread

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:  # a view lagged, a provider or the database went away: retried
                log.exception("%s: run failed; retrying", self.name)
            stop.wait(self.poll_seconds)
