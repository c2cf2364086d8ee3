"""The scheduled DNSBL scans (console.md §12): every ``dnsbl_job_seconds`` (60) of the service
clock, in one process at a time (the ``dnsbl`` row of ``SqlJobSchedule``, as retention does),
each live tenant's pairs whose verdict is ``dnsbl.intervalHours`` old are asked again.

A pair that failed transiently keeps its old ``checkedAt`` and so is due again on the next
run: a resolver outage is retried every minute, a healthy list once a day.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import msgspec

from adapters.reputation.dnsbl_ops import scan
from adapters.scheduled_job import ScheduledJob

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)
JOB = "dnsbl"
LEASE_SECONDS = 600.0  # wall clock; renewed after every tenant


class DnsblJobRun(msgspec.Struct, frozen=True):
    ran_at: float
    tenants: int  # tenants that had due pairs
    checks: int
    listed: int


class DnsblJob(ScheduledJob):
    JOB = JOB
    LEASE_SECONDS = LEASE_SECONDS

    def _run(self, now: float) -> DnsblJobRun:
        return asyncio.run(self._scan(now))

    async def _scan(self, now: float) -> DnsblJobRun:
        # due-ness is read from the dnsbl view, the tenants from theirs: let both see everything
        await asyncio.to_thread(self.container.catch_up, ["dnsbl", "tenants"])
        tenants = checks = listed = 0
        for tenant in await asyncio.to_thread(self.container.projections["tenants"].view.list):
            answer = await scan(self.container, tenant.tenant_id, forced=False)
            if answer.ran:
                tenants, checks = tenants + 1, checks + answer.total_checks
                listed += answer.listed_count
            await asyncio.to_thread(self.renew)
        if checks:
            log.info("dnsbl: %d checks for %d tenants, %d listed", checks, tenants, listed)
        return DnsblJobRun(now, tenants, checks, listed)
