"""The DMARC periodic work (console.md §13), each part a ``ScheduledJob``: in one process at
a time (leases in ``SqlJobSchedule``), due on the service clock (tests move the fake clock),
its next due time cached so a poll between runs touches no table:

* ``dmarc-retention``: for each tenant with ``dmarc.retentionDays`` > 0 (default 90) and
  source rows of days before the cut, append ``DmarcRetention.Swept``; the projection
  drops those rows (report summaries stay), and a rebuild replays the same cut.
* ``dmarc-mailbox:<tenant>``: every ``intervalMinutes`` of an enabled report mailbox, one
  poll (``adapters.reputation.dmarc_poll``); an unreachable server is logged and retried
  at the next interval.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import TYPE_CHECKING

from adapters.job_schedule import SqlJobSchedule
from adapters.reputation.dmarc_intake import retention_days
from adapters.reputation.dmarc_poll import MailboxOpener, MailboxUnreachable, poll_mailbox
from adapters.scheduled_job import ScheduledJob
from application.base import CommandMeta

if TYPE_CHECKING:
    from adapters.bootstrap import Container

log = logging.getLogger(__name__)
RETENTION_JOB = "dmarc-retention"
META = CommandMeta(actor="system:dmarc-retention")


def cutoff_day(now: float, days: int) -> str:
    return (dt.datetime.fromtimestamp(now, dt.UTC).date() - dt.timedelta(days=days)).isoformat()


def sweep_all(container: Container, now: float) -> int:
    """One retention pass; returns how many tenants got a new cut."""
    view = container.projections["dmarc"].view
    swept = 0
    for tenant_id in view.tenants_with_rows_before(cutoff_day(now, 0)):
        days = retention_days(container, tenant_id)
        if days == 0:
            continue
        cut = cutoff_day(now, days)
        if tenant_id in view.tenants_with_rows_before(cut) and container.dmarc.sweep(
            tenant_id, cut, days, META
        ):
            swept += 1
    return swept


class _Retention(ScheduledJob):
    JOB = RETENTION_JOB

    def _run(self, now: float) -> int:
        return sweep_all(self.container, now)


class _MailboxPoll(ScheduledJob):
    """One tenant's report mailbox; an unreachable server is logged, the next interval retries."""

    def __init__(self, jobs: DmarcJobs, tenant_id: str, interval_seconds: float) -> None:
        super().__init__(jobs.container, jobs.schedule, jobs.worker_id, interval_seconds=interval_seconds,
                         poll_seconds=jobs.poll_seconds, name=f"dmarc-mailbox:{tenant_id}")
        self.jobs, self.tenant_id = jobs, tenant_id

    def _run(self, now: float) -> None:
        try:
            poll_mailbox(self.container, self.tenant_id, self.jobs.opener)
        except MailboxUnreachable as exc:
            log.warning("dmarc mailbox of %s unreachable: %s", self.tenant_id, exc)
        self.jobs.polls += 1


class DmarcJobs:
    def __init__(self, container: Container, schedule: SqlJobSchedule, worker_id: str, *,
                 retention_seconds: float, opener: MailboxOpener | None = None,
                 poll_seconds: float = 1.0) -> None:
        self.container, self.schedule, self.worker_id = container, schedule, worker_id
        self.opener, self.poll_seconds = opener, poll_seconds
        self.polls = 0  # mailbox polls run (tests wait on it)
        self.retention = _Retention(container, schedule, worker_id, interval_seconds=retention_seconds,
                                    poll_seconds=poll_seconds)
        self._mailboxes: dict[str, _MailboxPoll] = {}

    def run_due(self) -> list[str]:
        """Run every part that is due; returns the names of the jobs that ran."""
        jobs: list[ScheduledJob] = [self.retention, *self._mailbox_jobs()]
        return [job.name for job in jobs if _ran(job)]

    def _mailbox_jobs(self) -> list[_MailboxPoll]:
        """A job per enabled mailbox, its interval as configured now (a changed interval
        applies from the next run on)."""
        jobs = []
        for tenant in self.container.projections["tenants"].view.list():
            config = self.container.dmarc.mailbox(tenant.tenant_id)
            if config is None or not config.enabled or not config.host:
                continue
            interval = config.interval_minutes * 60.0
            job = self._mailboxes.get(tenant.tenant_id)
            if job is None:
                job = self._mailboxes[tenant.tenant_id] = _MailboxPoll(self, tenant.tenant_id, interval)
            job.interval = interval
            jobs.append(job)
        return jobs

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(stop,), daemon=True,
                                  name=f"ledgermail-dmarc-{self.worker_id}")
        thread.start()
        return thread

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:  # the store went away: the next tick retries
                log.exception("dmarc jobs: run failed")
            stop.wait(self.poll_seconds)


def _ran(job: ScheduledJob) -> bool:
    before = job.runs
    job.run_due()
    return job.runs > before
