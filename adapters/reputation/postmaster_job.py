"""The scheduled provider-feed pulls (console.md §14): every ``JOB_SECONDS`` (60) of the service
clock, in one process at a time (the ``postmaster`` row of ``SqlJobSchedule``, as retention and
DNSBL do), each live tenant's due Postmaster domains and its SNDS feed are pulled.

What is due is the feed schedule's business (``SqlFeedSchedule``): ``intervalHours`` after the
last pull, or the provider's ``Retry-After`` after a throttle, so a busy API is not hammered.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import msgspec

from adapters.job_schedule import SqlJobSchedule
from adapters.reputation.postmaster_ops import pull_postmaster, pull_snds
from adapters.scheduled_job import ScheduledJob
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


class FeedsJob(ScheduledJob):
    JOB = JOB
    LEASE_SECONDS = LEASE_SECONDS

    def __init__(self, container: Container, schedule: SqlJobSchedule, worker_id: str, *,
                 interval_seconds: float = JOB_SECONDS, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__(container, schedule, worker_id, interval_seconds=interval_seconds,
                         poll_seconds=poll_seconds)

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
            self.renew()
        if fetched or rows:
            log.info("feeds: %d Postmaster days, %d SNDS rows for %d tenants", fetched, rows, tenants)
        return FeedsJobRun(now, tenants, fetched, rows, tripped)
