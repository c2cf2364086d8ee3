"""The baseline: eventsourcing's own per-event ``ProjectionRunner`` on the same event log.

The library runner subscribes to the application and calls ``process_event`` once per
event; the view writes its row and the tracking record in one transaction per event,
which is what the library's documented views do. The library's SQLite recorder has no
subscriptions, so on SQLite the benchmark adds the smallest one the library allows: its
own ``ListenNotifySubscription``, "notified" by a 50 ms poll instead of NOTIFY.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, ListenNotifySubscription, Subscription, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteTrackingRecorder
from psycopg.sql import SQL, Identifier

from adapters.persistence import LedgerSQLiteFactory, application_env
from adapters.settings import Settings
from application.base import LedgerApplication

VIEW_NAME = "librows"
_ROW_COLUMNS = "(position BIGINT PRIMARY KEY, topic TEXT NOT NULL, tenant_id TEXT NOT NULL)"


class TenancyLog(LedgerApplication):
    """Read side of the ``tenancy`` log, built by the library runner from the env alone."""

    name = "tenancy"


class _PolledSubscription(ListenNotifySubscription[SQLiteApplicationRecorder]):
    def __init__(self, recorder: SQLiteApplicationRecorder, gt: int | None = None,
                 topics: Sequence[str] = ()) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._poll_thread = threading.Thread(target=self._poll, daemon=True)
        self._poll_thread.start()

    def _poll(self) -> None:
        while not self._has_been_stopped:
            time.sleep(0.05)
            self._has_been_notified.set()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._poll_thread.join()


class _PolledSQLiteRecorder(SQLiteApplicationRecorder):
    def subscribe(self, gt: int | None = None,
                  topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        return _PolledSubscription(self, gt=gt, topics=topics)


class PolledSQLiteFactory(LedgerSQLiteFactory):
    """The project's SQLite factory, with a subscription so the library runner can follow."""

    def application_recorder(self) -> ApplicationRecorder:
        recorder = _PolledSQLiteRecorder(
            datastore=self.datastore, events_table_name=f"{self.env.name.lower()}_events"
        )
        if self.env_create_table():
            recorder.create_table()
        return recorder


class SqliteRowsView(SQLiteTrackingRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                f"CREATE TABLE IF NOT EXISTS {VIEW_NAME} {_ROW_COLUMNS}"]

    def insert_row(self, tracking: Tracking, topic: str, tenant_id: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"INSERT INTO {VIEW_NAME} VALUES (?, ?, ?)",
                      (tracking.notification_id, topic, tenant_id))
            self._insert_tracking(c, tracking)


class PostgresRowsView(PostgresTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(VIEW_NAME))
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {0} " + _ROW_COLUMNS).format(table))
        self._insert_row = SQL("INSERT INTO {0} VALUES (%s, %s, %s)").format(table)

    def insert_row(self, tracking: Tracking, topic: str, tenant_id: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._insert_row, (tracking.notification_id, topic, tenant_id),
                         prepare=True)
            self._insert_tracking(curs, tracking)


class RowsProjection(Projection[Any]):
    """One row per event; notes the moment it has processed notification ``target``."""

    name = VIEW_NAME
    target = 0
    reached: threading.Event
    reached_at = 0.0
    progress: Callable[[int], None] = staticmethod(lambda _n: None)

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_row(tracking, type(domain_event).TOPIC, domain_event.meta.tenant_id or "")
        self.progress(1)
        if tracking.notification_id >= self.target and not self.reached.is_set():
            type(self).reached_at = time.perf_counter()
            self.reached.set()


def _env(settings: Settings) -> dict[str, Any]:
    env = application_env(settings, create_tables=False)
    env[f"{VIEW_NAME.upper()}_CREATE_TABLE"] = "y"  # only the view's tables: the log exists
    if not settings.database_url:
        env["PERSISTENCE_MODULE"] = f"{__name__}:PolledSQLiteFactory"
    return env


def library_catch_up(settings: Settings, events: int, progress: Callable[[int], None],
                     timeout: float = 600.0) -> float:
    """Seconds the library runner takes to project the first ``events`` events from zero."""
    projection = type("RowsProjectionRun", (RowsProjection,),
                      {"name": VIEW_NAME, "target": events, "reached": threading.Event(),
                       "progress": staticmethod(progress)})
    view = PostgresRowsView if settings.database_url else SqliteRowsView
    started = time.perf_counter()
    runner = ProjectionRunner(application_class=TenancyLog, projection_class=projection,
                              view_class=view, env=_env(settings))
    try:
        with runner:
            _wait(runner, projection.reached, started + timeout)
    finally:
        # Only once the runner has joined its processing thread: closing a connection
        # that thread is still using crashes the sqlite3 module.
        runner.view.datastore.close()
    return projection.reached_at - started


def _wait(runner: ProjectionRunner[Any, Any], reached: threading.Event, deadline: float) -> None:
    while not reached.wait(0.05):
        if runner.is_interrupted.is_set():
            runner.run_forever(timeout=0)  # re-raises the processing thread's error
            raise RuntimeError("library runner stopped before reaching its target")
        if time.perf_counter() > deadline:
            raise TimeoutError("library runner did not reach its target in time")
