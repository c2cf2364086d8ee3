"""The DMARC periodic work (console.md §13), each part in one process at a time (leases in
``SqlJobSchedule``, due on the service clock so tests move the fake clock):

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
from application.base import CommandMeta

if TYPE_CHECKING:
    from adapters.bootstrap import Container

log = logging.getLogger(__name__)
RETENTION_JOB = "dmarc-retention"
LEASE_SECONDS = 600.0
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


class DmarcJobs:
    def __init__(
        self,
        container: Container,
        schedule: SqlJobSchedule,
        worker_id: str,
        *,
        retention_seconds: float,
        opener: MailboxOpener | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self.container, self.schedule, self.worker_id = container, schedule, worker_id
        self.retention_seconds, self.opener, self.poll_seconds = retention_seconds, opener, poll_seconds
        self.polls = 0  # mailbox polls run (tests wait on it)

    def _run(self, name: str, interval: float, work) -> bool:  # type: ignore[no-untyped-def]
        now = self.container.clock.now()
        if not self.schedule.claim(name, self.worker_id, now, LEASE_SECONDS):
            return False
        try:
            work(now)
        finally:
            self.schedule.finish(name, self.worker_id, now + interval)
        return True

    def _poll(self, tenant_id: str) -> None:
        try:
            poll_mailbox(self.container, tenant_id, self.opener)
        except MailboxUnreachable as exc:
            log.warning("dmarc mailbox of %s unreachable: %s", tenant_id, exc)
        self.polls += 1

    def run_due(self) -> list[str]:
        """Run every part that is due; returns the names of the jobs that ran."""
        ran = []
        if self._run(RETENTION_JOB, self.retention_seconds, lambda now: sweep_all(self.container, now)):
            ran.append(RETENTION_JOB)
        for tenant in self.container.projections["tenants"].view.list():
            config = self.container.dmarc.mailbox(tenant.tenant_id)
            if config is None or not config.enabled or not config.host:
                continue
            name = f"dmarc-mailbox:{tenant.tenant_id}"
            if self._run(
                name, config.interval_minutes * 60.0, lambda _now, t=tenant.tenant_id: self._poll(t)
            ):
                ran.append(name)
        return ran

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(
            target=self.run_forever, args=(stop,), daemon=True, name=f"ledgermail-dmarc-{self.worker_id}"
        )
        thread.start()
        return thread

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_due()
            except Exception:  # the store went away: the next tick retries
                log.exception("dmarc jobs: run failed")
            stop.wait(self.poll_seconds)
