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
from typing import TYPE_CHECKING

import msgspec

from adapters.attachments_store import FileDownloads
from adapters.job_schedule import SqlJobSchedule
from adapters.operations import purge_messages
from adapters.scheduled_job import ScheduledJob
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


class RetentionJob(ScheduledJob):
    JOB = JOB
    LEASE_SECONDS = LEASE_SECONDS
    RETRY_SECONDS = RETRY_SECONDS

    def __init__(self, container: Container, schedule: SqlJobSchedule, downloads: FileDownloads,
                 worker_id: str, *, interval_seconds: float, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__(container, schedule, worker_id, interval_seconds=interval_seconds,
                         poll_seconds=poll_seconds)
        self.downloads = downloads

    def _run(self, now: float) -> RetentionRun:
        retention = self.container.tenancy.instance_config().reporting.retention_seconds
        tenants = removed = 0
        if retention > 0:
            for tenant in self.container.projections["tenants"].view.list():
                removed += purge_messages(self.container, tenant.tenant_id, retention, automatic=True,
                                          meta=META)
                tenants += 1
                self.renew()
        files = self.downloads.delete_expired(now)
        if removed or files:
            log.info("retention: %d messages left the read models, %d expired files deleted", removed, files)
        return RetentionRun(now, tenants, removed, files)


__all__ = ["JOB", "RetentionJob", "RetentionRun"]
