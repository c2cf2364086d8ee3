"""The retention job (proxy.md §8.5, §9.4): every ``retention_interval_seconds`` (600), in one
process at a time, purge every tenant's terminal, fully reported messages older than
``reporting.retention_seconds`` from the read models (``Cleanup.MessagesCleanedUp`` with
``automatic: true``; 0 disables this part) and delete offloaded large files whose download
links have expired.

It lives in adapters, next to ``operations.purge_messages``, because finding the purgeable
messages needs the ``messages`` view, which applications never read. Each run takes the
``retention`` job's lease (``SqlJobSchedule``); "due" follows the service clock, so a test
moves the fake clock instead of waiting ten minutes.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import msgspec

from adapters.attachments_store import FileDownloads
from adapters.job_schedule import SqlJobSchedule
from adapters.operations import purge_messages
from application.base import CommandMeta

if TYPE_CHECKING:
    from adapters.bootstrap import Container

log = logging.getLogger(__name__)
JOB = "retention"
LEASE_SECONDS = 600.0  # wall clock; renewed after every tenant
RETRY_SECONDS = 60.0  # after a failed run: soon again, never in a tight loop
POLL_SECONDS = 1.0  # how often a process looks whether the job is due (a cached compare)
META = CommandMeta(actor="retention")


class RetentionRun(msgspec.Struct, frozen=True):
    """What one run did: at service time ``ran_at``, ``removed`` messages of ``tenants``
    tenants left the read models and ``files_deleted`` expired files were deleted."""

    ran_at: float
    tenants: int
    removed: int
    files_deleted: int


class RetentionJob:
    def __init__(self, container: Container, schedule: SqlJobSchedule, downloads: FileDownloads,
                 worker_id: str, *, interval_seconds: float, poll_seconds: float = POLL_SECONDS) -> None:
        self.container, self.schedule, self.downloads = container, schedule, downloads
        self.worker_id = worker_id
        self.interval = interval_seconds
        self.poll_seconds = poll_seconds
        self.runs = 0
        self.last: RetentionRun | None = None
        self._due_at: float | None = None  # cached next_run_ts: most polls touch no table

    def run_due(self) -> RetentionRun | None:
        """Run once if the job is due and no other process holds it; None otherwise."""
        now = self.container.clock.now()
        if self._due_at is not None and now < self._due_at:
            return None
        if not self.schedule.claim(JOB, self.worker_id, now, LEASE_SECONDS):
            self._due_at = self.schedule.next_run(JOB)  # another process ran it, or runs it now
            return None
        next_run = now + min(RETRY_SECONDS, self.interval)
        try:
            run = self._run(now)
            next_run = now + self.interval
        finally:
            self.schedule.finish(JOB, self.worker_id, next_run)
            self._due_at = next_run
        self.runs += 1
        self.last = run
        return run

    def _run(self, now: float) -> RetentionRun:
        retention = self.container.tenancy.instance_config().reporting.retention_seconds
        tenants = removed = 0
        if retention > 0:
            for tenant in self.container.projections["tenants"].view.list():
                removed += purge_messages(self.container, tenant.tenant_id, retention, automatic=True,
                                          meta=META)
                tenants += 1
                if not self.schedule.renew(JOB, self.worker_id, LEASE_SECONDS):
                    raise RuntimeError("retention lease lost")  # a stalled run; the next holder goes on
        files = self.downloads.delete_expired(now)
        if removed or files:
            log.info("retention: %d messages left the read models, %d expired files deleted", removed, files)
        return RetentionRun(now, tenants, removed, files)

    # --- the thread -----------------------------------------------------------------------
    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(stop,), daemon=True,
                                  name=f"ledgermail-retention-{self.worker_id}")
        thread.start()
        return thread

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:  # the view lagged, the database went away: the next run retries
                log.exception("retention: run failed; retrying in %.0f s", RETRY_SECONDS)
            stop.wait(self.poll_seconds)


__all__ = ["JOB", "RetentionJob", "RetentionRun"]
