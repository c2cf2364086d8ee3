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
            waker=self.report_hub)
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

    def start_heartbeat(self, roles: list[str]) -> None:
        """Tell ``GET /status`` this process is alive and what it runs."""
        self.heartbeat.roles = sorted(roles)
        self.heartbeat.start(self._stop)
