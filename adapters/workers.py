"""What a Container starts besides its projections: dispatchers, reporters, the retention
job, the bounce poller and the heartbeat (a mixin of ``adapters.bootstrap.Container``, kept
apart so the composition root stays readable). Each starter builds one worker from the
container's applications and views, runs it in a thread of its own and stops it in close()."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from adapters.attachments import HttpAttachmentFetcher
from adapters.attachments_store import ContentCache, FileDownloads
from adapters.bounces import StdlibBounceParser
from adapters.console_render import ConsoleRenderer
from adapters.dispatch_loader import EventTableMessages
from adapters.dispatch_mime import build_message
from adapters.imap import ImaplibOpener
from adapters.leader import FileLock, LeaderLock, PostgresAdvisoryLock
from adapters.message_ids import ViewMessageIds
from adapters.report_client import HttpxReportClient
from adapters.reputation.dmarc_jobs import DmarcJobs
from adapters.reputation.dnsbl_job import DnsblJob
from adapters.reputation.health_evaluator import HealthEvaluator
from adapters.retention import RetentionJob
from adapters.smtp import AioSmtpTransport
from adapters.sqldb import PostgresDatabase
from adapters.suppressions import ViewSuppressionList
from application.sending.bounce_intake import BounceIntake
from application.sending.bounce_poller import BouncePoller, MailboxOpener
from application.sending.dispatch_attachments import AttachmentWork
from application.sending.dispatch_settings import InstanceSettings
from application.sending.dispatcher import Dispatcher, DispatcherOptions
from application.sending.ports import SmtpTransport
from application.sending.report_ports import ReportClient, ReportTarget
from application.sending.reporter import Reporter
from domain.errors import RuleViolation

if TYPE_CHECKING:
    from adapters.settings import Settings


class WorkerStarters:
    """Needs the Container's attributes (settings, applications, views, hubs, stores)."""

    settings: Settings
    _stop: threading.Event
    _threads: list[threading.Thread]
    _intake: BounceIntake | None
    health_evaluators: list[HealthEvaluator]
    tenancy: Any
    sending: Any
    projections: dict[str, Any]
    # _listen() and wait_for() are the Container's own (adapters/bootstrap.py)

    def start_dispatcher(self, *, worker_id: str | None = None, transport: SmtpTransport | None = None,
                         options: DispatcherOptions | None = None) -> Dispatcher:
        """A dispatcher in its own thread with its own event loop and SMTP pool; stops in close()."""
        self._listen()
        if transport is None:
            pool_size = self.tenancy.instance_config().smtp.pool_size_per_key
            transport = AioSmtpTransport(pool_size_per_key=pool_size)
        data_dir, instance = self.settings.data_dir, InstanceSettings(self.tenancy)
        fetcher = HttpAttachmentFetcher(
            lambda: instance.get().attachments, self.secret_box,
            ContentCache(data_dir / "cache" / "attachments", lambda: instance.get().attachments.cache_mb))
        attachments = AttachmentWork(fetcher, FileDownloads(data_dir / "files", self.secret_box.download_key),
                                     self.clock)
        dispatcher = Dispatcher(self.sending, self.tenancy, self.dispatch_store, transport, build_message,
                                self.clock, worker_id or self.settings.worker_id, options,
                                secret_box=self.secret_box, waker=self.dispatch_hub,
                                suppressions=self.suppression_list(),
                                loader=EventTableMessages(self.db, self.sending.mapper),
                                attachments=attachments, console=ConsoleRenderer(self))  # type: ignore[arg-type]
        self.dispatchers.append(dispatcher)
        self._threads.append(dispatcher.start(self._stop))
        return dispatcher

    def suppression_list(self) -> ViewSuppressionList:
        """What the dispatcher skips: the tenant's suppressions, from their read model."""
        return ViewSuppressionList(self.projections["suppressions"].view, self.secret_box, self.clock)

    def report_targets(self) -> list[ReportTarget]:
        """Every live tenant with a ``client_base_url``: where its reports go."""
        return [ReportTarget(r.tenant_id, f"{r.settings.client_base_url}{r.settings.client_sync_path}",
                             r.settings.active, r.settings.client_auth, r.created_ts)
                for r in self.projections["tenants"].view.list() if r.settings.client_base_url]

    def start_reporter(self, *, worker_id: str | None = None, client: ReportClient | None = None) -> Reporter:
        """A reporter in its own thread with its own event loop; stops in close()."""
        self._listen()
        reporter = Reporter(
            self.sending, self.projections["reports"].view, self.report_targets,
            client or HttpxReportClient(), self.report_leases, self.clock,
            worker_id or self.settings.worker_id, secret_box=self.secret_box,
            config=lambda: self.tenancy.instance_config().reporting,
            wait=lambda position: self.wait_for({"sending": position}, ["reports"]),
            waker=self.report_hub, lease_seconds=self.settings.report_lease_seconds)
        self.reporters.append(reporter)
        self._threads.append(reporter.start(self._stop))
        return reporter

    def retention_job(self, *, worker_id: str | None = None,
                      poll_seconds: float | None = None) -> RetentionJob:
        """The retention job (proxy.md §8.5), not started: ``run_due()`` runs it when due."""
        downloads = FileDownloads(self.settings.data_dir / "files", self.secret_box.download_key)
        job = RetentionJob(self, self.job_schedule, downloads, worker_id or self.settings.worker_id,
                           interval_seconds=self.settings.retention_interval_seconds)
        if poll_seconds is not None:
            job.poll_seconds = poll_seconds
        return job

    def start_retention(self, *, worker_id: str | None = None, poll_seconds: float | None = None
                        ) -> RetentionJob:
        """The retention job in its own thread, due every ``retention_interval_seconds`` of the
        service clock; one process at a time runs it (lease); stops in close()."""
        job = self.retention_job(worker_id=worker_id, poll_seconds=poll_seconds)
        self.retention_jobs.append(job)
        self._threads.append(job.start(self._stop))
        return job

    # --- bounces and complaints (proxy.md §10) -------------------------------------------
    @property
    def bounce_intake(self) -> BounceIntake:
        """The one intake pipeline ``POST /bounces/inbound`` and the IMAP poller share."""
        if self._intake is None:
            self._intake = BounceIntake(
                self.sending, StdlibBounceParser(), ViewMessageIds(self.projections["messages"].view),
                return_path=lambda: self.tenancy.instance_config().bounce.return_path,
                report_of=self._reports_to)
        return self._intake

    def _reports_to(self, tenant_id: str) -> bool:
        """Outcomes are reported while the tenant has a client_base_url (spec §8.1)."""
        try:
            tenant = self.tenancy.get_tenant(tenant_id)
        except RuleViolation:
            return False
        return bool(tenant.settings.client_base_url)

    def start_bounce_poller(self, *, opener: MailboxOpener | None = None, tick: float = 1.0) -> BouncePoller:
        """The IMAP poller in its own thread; one process polls at a time (lease); stops in close()."""
        lease: LeaderLock = (PostgresAdvisoryLock(self.db.connect_kwargs, "bounce-poller")
                             if isinstance(self.db, PostgresDatabase)
                             else FileLock(self.settings.data_dir / "locks", "bounce-poller"))
        poller = BouncePoller(self.bounce_intake, self.tenancy.get_instance, opener or ImaplibOpener(),
                              self.mailbox_progress, lease, self.secret_box, tick=tick)
        self.bounce_pollers.append(poller)
        self._threads.append(poller.start(self._stop))
        return poller

    # --- DNSBL scans (console.md §12) -----------------------------------------------------
    def dnsbl_job(self, *, worker_id: str | None = None, poll_seconds: float | None = None) -> DnsblJob:
        """The scheduled DNSBL scans, not started: ``run_due()`` runs them when due."""
        job = DnsblJob(self, self.job_schedule, worker_id or self.settings.worker_id,  # type: ignore[arg-type]
                       interval_seconds=self.settings.dnsbl_job_seconds)
        if poll_seconds is not None:
            job.poll_seconds = poll_seconds
        return job

    def start_dnsbl(self, *, worker_id: str | None = None, poll_seconds: float | None = None) -> DnsblJob:
        """The DNSBL job in its own thread; one process at a time runs it (lease); stops in close()."""
        job = self.dnsbl_job(worker_id=worker_id, poll_seconds=poll_seconds)
        self.dnsbl_jobs.append(job)
        self._threads.append(job.start(self._stop))
        return job

    # --- the circuit breaker (console.md §11) -------------------------------------------------
    def start_health_evaluator(self, *, poll_seconds: float | None = None) -> HealthEvaluator:
        """The health evaluator in its own thread: after each commit of the health view and
        every ``poll_seconds`` (the tick); safe to run in several processes; stops in close()."""
        evaluator = HealthEvaluator(self, poll_seconds=poll_seconds or 5.0)  # type: ignore[arg-type]
        self.health_evaluators.append(evaluator)
        self._threads.append(evaluator.start(self._stop))
        return evaluator

    # --- flows (console.md §8) -----------------------------------------------------------------
    def run_flows(self) -> int:
        """One flow pass (what ``/_test/drain`` runs each round); a worker of its own, no lock."""
        from adapters.campaigns.flow_worker import flow_worker

        if getattr(self, "_flow_drainer", None) is None:
            self._flow_drainer = flow_worker(self, leader=False)  # type: ignore[arg-type]
        return int(self._flow_drainer.run_once())

    def start_flow_worker(self, **kwargs: Any) -> Any:
        """The flow worker in its own thread; one process leads at a time (lock); stops in close()."""
        from adapters.campaigns.flow_worker import flow_worker  # it needs the whole container

        worker = flow_worker(self, **kwargs)  # type: ignore[arg-type]
        self.flow_workers.append(worker)  # type: ignore[attr-defined]
        self._threads.append(worker.start(self._stop))
        return worker

    # --- broadcasts (console.md §9) --------------------------------------------------------
    def start_broadcasts(self) -> Any:
        """The broadcast fan-out in its own thread; one process leads at a time (lock); stops
        in close(). ``run_broadcasts()`` runs one pass in the caller (test drain)."""
        from adapters.campaigns.broadcast_worker import BroadcastWorker  # it needs the whole container

        worker = BroadcastWorker(self)  # type: ignore[arg-type]
        self.broadcast_workers.append(worker)  # type: ignore[attr-defined]
        self._threads.append(worker.start(self._stop))
        return worker

    def run_broadcasts(self) -> int:
        """One fan-out pass now (what ``/_test/drain`` runs); returns how many events it recorded."""
        from adapters.campaigns.broadcast_worker import BroadcastWorker

        started = getattr(self, "broadcast_workers", [])
        if started:  # this process runs the worker: share it (and its lock), do not contend
            return int(started[0].step())
        if not getattr(self, "_broadcast_pass", None):
            self._broadcast_pass = BroadcastWorker(self)  # type: ignore[arg-type]
        return int(self._broadcast_pass.step())  # holds the (per-store) lock from then on

    # --- DMARC retention and report mailboxes (console.md §13) ------------------------------
    def dmarc_jobs(self, *, worker_id: str | None = None, opener: Any = None) -> DmarcJobs:
        """The DMARC retention sweep and mailbox polls, not started: ``run_due()`` runs them."""
        return DmarcJobs(self, self.job_schedule, worker_id or self.settings.worker_id,  # type: ignore[arg-type]
                         retention_seconds=self.settings.retention_interval_seconds, opener=opener)

    def run_dmarc_jobs(self) -> int:
        """The DMARC jobs that are due, once, now (what ``/_test/drain`` runs); how many ran."""
        if not getattr(self, "_dmarc_pass", None):
            self._dmarc_pass = self.dmarc_jobs()
        return len(self._dmarc_pass.run_due())

    def start_dmarc_jobs(self, *, worker_id: str | None = None) -> DmarcJobs:
        """The DMARC jobs in their own thread; one process at a time runs each (lease); stop in close()."""
        jobs = self.dmarc_jobs(worker_id=worker_id)
        self._threads.append(jobs.start(self._stop))
        return jobs

    # --- Google Postmaster Tools and SNDS pulls (console.md §14) ------------------------------
    def start_feeds(self, *, worker_id: str | None = None) -> Any:
        """The scheduled provider-feed pulls in their own thread (one process at a time: lease)."""
        from adapters.reputation.postmaster_wiring import start_feeds

        return start_feeds(self, self._stop, worker_id=worker_id)  # type: ignore[arg-type]

    def run_monitors(self) -> int:
        """DNSBL scans and provider-feed pulls that are due, once (what ``/_test/drain`` runs)."""
        from adapters.reputation.postmaster_wiring import feeds_job

        if not hasattr(self, "_drain_monitors"):
            me = f"{self.settings.worker_id}/drain"
            jobs: list[Any] = [feeds_job(self, worker_id=me)]  # type: ignore[arg-type]
            if self.settings.dns_resolver:  # a test names its loopback DNS; never the real one
                jobs.append(self.dnsbl_job(worker_id=me))
            self._drain_monitors = jobs
        return sum(1 for job in self._drain_monitors if job.run_due() is not None)

    def run_health_evaluation(self) -> int:
        """One evaluation of every bucket now (what ``/_test/drain`` runs): transitions made."""
        return len(HealthEvaluator(self).evaluate())  # type: ignore[arg-type]

    def start_heartbeat(self, roles: list[str]) -> None:
        """Tell ``GET /status`` this process is alive and what it runs."""
        self.heartbeat.roles = sorted(roles)
        self.heartbeat.start(self._stop)
