"""The composition root: the one place that builds applications, views and runners."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from adapters.bounce_mailbox import SqlMailboxProgress
from adapters.campaigns.broadcast_gate import broadcast_send_hold
from adapters.campaigns.flow_store import SqlFlowStore
from adapters.clock import DatabaseClock
from adapters.console_checks import HoldCheck
from adapters.contact_keys import ContactKeyVault
from adapters.contact_sealing import VaultContactSeals
from adapters.dispatch_store import SqlDispatchStore
from adapters.drain import Drainer
from adapters.event_index import EventStoreIndex
from adapters.heartbeat import Heartbeat
from adapters.job_schedule import SqlJobSchedule
from adapters.leader import AdvisorySession, FileLock, LeaderLock, PostgresAdvisoryLock
from adapters.persistence import application_env
from adapters.registry import PROJECTIONS
from adapters.report_leases import SqlReportLeases
from adapters.reputation import postmaster_wiring
from adapters.reputation.health_gate import HealthGate, health_send_hold
from adapters.retention import RetentionJob
from adapters.runner import ProjectionRunner, Source
from adapters.runner_group import ProjectionGroup
from adapters.secrets import CryptoSecretBox, load_or_create_key
from adapters.settings import Settings
from adapters.sqldb import PostgresDatabase, SqliteDatabase
from adapters.templates.jinja import JinjaRenderer
from adapters.templates.mjml import MrmlCompiler
from adapters.tracking import TrackingLinks
from adapters.wake import PostgresListener, WakeHub
from adapters.workers import WorkerStarters
from application.base import LedgerApplication, SystemClock
from application.campaigns.broadcast_app import BroadcastApplication
from application.campaigns.flow_app import FlowApplication
from application.console.app import ConsoleApplication
from application.ports import Clock
from application.reputation.dmarc_app import DmarcApplication
from application.reputation.dnsbl_app import DnsblApplication
from application.reputation.health_app import HealthApplication
from application.sending.app import SendingApplication
from application.sending.bounce_intake import BounceIntake
from application.sending.bounce_poller import BouncePoller
from application.sending.dispatcher import Dispatcher
from application.sending.outcomes import OutcomeRecorder
from application.sending.reporter import Reporter
from application.sending.tracking_hits import TrackingRecorder
from application.templates.app import ContentApplication
from application.tenancy import TenancyApplication
from projections.base import Projection, View

log = logging.getLogger(__name__)


class ProjectionLagError(TimeoutError):
    """A read waited for its views to reach a write's position and gave up."""


class Container(WorkerStarters):
    """Everything a process uses, built once from Settings and handed to api/workers."""

    def __init__(self, settings: Settings, *, create_tables: bool = False, clock: Clock | None = None):
        self.settings = settings
        self.started_at = time.time()
        master_key = load_or_create_key(settings.secret_key, settings.data_dir)
        self.secret_box = CryptoSecretBox(master_key)
        self.hub = WakeHub()
        env = application_env(settings, create_tables=create_tables)
        self.db: SqliteDatabase | PostgresDatabase = (
            PostgresDatabase(settings.database_url, settings.database_schema)
            if settings.database_url
            else SqliteDatabase(settings.sqlite_path)
        )
        self.fake_clock: DatabaseClock | None = None
        if clock is None and settings.fake_clock:
            self.fake_clock = DatabaseClock(self.db)
            if create_tables:
                self.fake_clock.create()
        self.clock: Clock = clock or self.fake_clock or SystemClock()
        self._applications(env, master_key)
        postmaster_wiring.attach(self, env, create_tables=create_tables)
        for app in self.applications.values():
            app.listeners.append(self.hub.wake)
        self.projections: dict[str, Projection[Any]] = {
            name: cls(cls.VIEW(self.db)) for name, cls in PROJECTIONS.items()
        }
        self._stores()
        if create_tables:
            for table in self._tables():
                table.create()
        self._workers()

    def _applications(self, env: dict[str, Any], master_key: bytes) -> None:
        """The event-sourced applications, and what they are wired to."""
        self.tenancy = TenancyApplication(env, self.secret_box, self.clock)
        self.sending = SendingApplication(env, self.secret_box, EventStoreIndex(self.db, "sending"),
                                          self.clock)
        # contact data keys live outside the event store (crypto-shredding, console.md §2.4)
        self.vault = ContactKeyVault(self.db, master_key, self.secret_box)
        self.console = ConsoleApplication(env, self.vault, EventStoreIndex(self.db, "console"), self.clock)
        self.sending.contact_seals = VaultContactSeals(self)  # console sends' outcomes (ADR 0031)
        self.content = ContentApplication(env, MrmlCompiler(), JinjaRenderer(), self.secret_box, self.clock)
        self.dmarc = DmarcApplication(env, self.secret_box, self.clock)  # DMARC reports (console.md §13)
        # signed tracking/unsubscribe links and the click targets they stand for (console.md §10)
        self.tracking = TrackingLinks(self.db, master_key, self.settings.public_url)
        self.outcomes = OutcomeRecorder(self.sending)
        self.tracking_hits = TrackingRecorder(self.sending)
        self.dnsbl = DnsblApplication(env, self.clock)  # DNSBL verdicts (console.md §12)
        # health buckets, the circuit breaker (console.md §11); ``reputation``: the name monitors use
        self.health = self.reputation = HealthApplication(env, self.clock)
        self.health_gate = HealthGate(self)  # what each bucket holds, cached (health_gate.py)
        self.broadcasts = BroadcastApplication(env, self.clock)  # broadcasts (console.md §9)
        self.flows = FlowApplication(env, self.clock)  # flows and their runs (console.md §8)
        self.applications: dict[str, LedgerApplication] = {
            "tenancy": self.tenancy, "sending": self.sending, "console": self.console,
            "content": self.content, "dmarc": self.dmarc, "dnsbl": self.dnsbl, "health": self.health,
            "broadcasts": self.broadcasts, "flows": self.flows,
        }  # postmaster_wiring adds "postmaster"
        self.send_holds: list[HoldCheck] = [
            health_send_hold,  # rule 6 of console.md §2.3: health holds
            broadcast_send_hold,  # rule 7: broadcast pauses
        ]
        # what POST /_test/drain runs each round (adapters/drain.py), in this order
        self.drainers: list[Drainer] = [
            self.run_dmarc_jobs,  # DMARC retention and mailbox polls when due
            self.run_health_evaluation,  # the circuit breaker, once per drain round
            self.run_broadcasts,  # broadcast starts, fan-out pages, stop rules
            self.run_flows,  # flow triggers, scans, firings and due runs
            self.run_monitors,  # DNSBL scans and Postmaster/SNDS pulls when due
        ]

    def _stores(self) -> None:
        """Coordination state beside the views: created by migrate, never rebuilt (ADR 0007)."""
        self.flow_store = SqlFlowStore(self.db)  # the flow worker's cursors and scans (ADR 0026)
        self.dispatch_store = SqlDispatchStore(self.db)
        self.report_leases = SqlReportLeases(self.db)
        self.job_schedule = SqlJobSchedule(self.db)  # periodic jobs, one process each (retention)
        self.mailbox_progress = SqlMailboxProgress(self.db)  # the bounce poller's last UIDs
        self.heartbeat = Heartbeat(self.db, self.settings.worker_id, [])

    def _tables(self) -> list[Any]:
        """Everything with a ``create()``: the views, the vault, the coordination tables."""
        views = [projection.view for projection in self.projections.values()]
        return [self.vault, self.tracking, self.flow_store, *views, self.dispatch_store,
                self.report_leases, self.job_schedule, self.mailbox_progress, self.heartbeat]

    def _workers(self) -> None:
        """What the start_* methods (adapters/workers.py) fill in, and the hubs that wake them."""
        self.dnsbl_jobs: list[Any] = []  # scheduled DNSBL scans (adapters/reputation/dnsbl_job.py)
        self.health_hub = WakeHub()  # the health evaluator: woken when the health view commits
        self.health_evaluators: list[Any] = []
        self.broadcast_workers: list[Any] = []
        self.flow_workers: list[Any] = []
        self.retention_jobs: list[RetentionJob] = []
        self.bounce_pollers: list[BouncePoller] = []
        self._intake: BounceIntake | None = None
        self.dispatchers: list[Dispatcher] = []
        self.reporters: list[Reporter] = []
        # Dispatchers wake on everything runners wake on, and also when the messages view
        # commits: what they claim from has just changed (a queued message is ready now).
        self.dispatch_hub = WakeHub()
        self.hub.relay_to(self.dispatch_hub)
        self.report_hub = WakeHub()  # reporters: saves, NOTIFYs, and commits of the reports view
        self.hub.relay_to(self.report_hub)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener: PostgresListener | None = None
        self.runners: dict[str, ProjectionRunner] = {}
        self._positions = threading.Condition()
        self._lock_session: AdvisorySession | None = None

    # --- sources, runners, locks -------------------------------------------------
    def sources(self) -> dict[str, Source]:
        return {n: Source(n, a.recorder, a.mapper) for n, a in self.applications.items()}

    def leader_lock(self, name: str) -> LeaderLock:
        if isinstance(self.db, PostgresDatabase):
            if self._lock_session is None:  # one session for every projection lock of this process
                self._lock_session = AdvisorySession(self.db.connect_kwargs)
            return PostgresAdvisoryLock(self.db.connect_kwargs, f"projection:{name}",
                                        session=self._lock_session)
        return FileLock(self.settings.data_dir / "locks", f"projection-{name}")

    def runner(self, name: str, *, view: View | None = None, leader: bool = True) -> ProjectionRunner:
        cls = PROJECTIONS[name]
        projection = cls(view or self.projections[name].view)
        return ProjectionRunner(
            projection,
            self.sources(),
            page_size=self.settings.projection_page_size,
            lock=self.leader_lock(name) if leader else None,
            hub=self.hub,
            poll_seconds=self.settings.projection_poll_seconds,
            on_commit=self._committed,
        )

    def _committed(self, view: str, _positions: dict[str, int]) -> None:
        with self._positions:
            self._positions.notify_all()
        if view == "messages":
            self.dispatch_hub.wake()
        elif view == "reports":
            self.report_hub.wake()
        elif view == "health":
            self.health_hub.wake()

    def _listen(self) -> None:
        """On PostgreSQL, NOTIFYs of other processes' appends wake runners and dispatchers."""
        if isinstance(self.db, PostgresDatabase) and self._listener is None:
            channels = [f"{n}_events" for n in self.applications]
            self._listener = PostgresListener(self.db.connect_kwargs, channels, self.hub)
            self._listener.start()

    def start_projections(self, names: list[str] | None = None) -> None:
        self._listen()
        group = []
        for name in names or list(self.projections):
            runner = self.runner(name)
            self.runners[name] = runner
            group.append(runner)
        # one thread, one read and one transaction a page for all of them (adapters/runner_group.py)
        page, poll = self.settings.projection_page_size, self.settings.projection_poll_seconds
        self._threads.append(ProjectionGroup(group, self.db, hub=self.hub, page_size=page,
                                             poll_seconds=poll).start(self._stop))

    # --- read-your-writes ------------------------------------------------------------
    def wait_for(self, positions: Mapping[str, int], views: list[str] | None = None,
                 timeout: float | None = None) -> None:
        """Block until the named views (default: all) have processed ``positions``."""
        deadline = time.monotonic() + (self.settings.read_wait_seconds if timeout is None else timeout)
        targets = [self.projections[v] for v in (views or list(self.projections))]
        while True:
            behind = [
                p.name for p in targets
                if any(p.view.positions().get(app, 0) < pos
                       for app, pos in positions.items() if app in p.FOLLOWS)
            ]
            if not behind:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProjectionLagError(f"views not caught up: {', '.join(behind)}")
            self.hub.wake()
            with self._positions:
                self._positions.wait(timeout=min(remaining, 0.05))

    def catch_up(self, views: list[str], timeout: float | None = None) -> None:
        """Wait until ``views`` have seen everything stored now (reads after others' writes)."""
        wanted = {n: a.max_position() for n, a in self.applications.items()}
        self.wait_for(wanted, views, timeout)

    def projection_lag(self) -> dict[str, int]:
        maxima = {n: a.max_position() for n, a in self.applications.items()}
        lag = {}
        for name, projection in self.projections.items():
            positions = projection.view.positions()
            lag[name] = sum(
                max(0, maxima[a] - positions.get(a, 0)) for a in projection.FOLLOWS if a in maxima
            )
        return lag

    def close(self) -> None:
        self._stop.set()
        self.hub.wake()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._listener is not None:
            self._listener.stop()
        if self._lock_session is not None:
            self._lock_session.close()
        for app in self.applications.values():
            app.close()
        self.db.close()


def bootstrap(settings: Settings | None = None, *, create_tables: bool = False,
              clock: Clock | None = None) -> Container:
    return Container(settings or Settings.from_env(), create_tables=create_tables, clock=clock)


def migrate(settings: Settings) -> None:
    """Create every table once (events, views, tracking); other processes never create."""
    container = Container(settings, create_tables=True)
    container.close()
