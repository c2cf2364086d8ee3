"""The broadcast worker: builds the fan-out over the container and runs it, one active
runner per store (a PostgreSQL advisory lock or a file lock, ``broadcast-fanout``), so
``serve`` and any number of ``worker`` processes can all run it safely (ADR 0025)."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from adapters.campaigns.broadcast_audience import ViewAudience
from adapters.campaigns.broadcast_gate import ContainerHealthGate, ContentTemplates, EnvFaults
from adapters.campaigns.broadcast_sends import ConsoleSendQueue
from adapters.leader import FileLock, LeaderLock, PostgresAdvisoryLock
from adapters.sqldb import PostgresDatabase
from application.campaigns.broadcast_fanout import BroadcastFanout, FanoutOptions
from application.campaigns.broadcast_ports import Faults

if TYPE_CHECKING:
    from adapters.bootstrap import Container

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
LOCK_NAME = "broadcast-fanout"


def build_fanout(container: Container, *, options: FanoutOptions | None = None,
                 faults: Faults | None = None) -> BroadcastFanout:
    def tuning(tenant_id: str) -> tuple[int, float]:
        s = container.content.settings(tenant_id).broadcasts
        return s.fanout_page_size, s.drift_pct

    return BroadcastFanout(container.broadcasts, ViewAudience(container), ConsoleSendQueue(container),
                           ContentTemplates(container), ContainerHealthGate(container), container.clock,
                           faults or EnvFaults(), options, tuning)


def run_once(container: Container, fanout: BroadcastFanout) -> int:
    """One pass over every broadcast that is due, sending, or still judged by stop rules."""
    container.catch_up(["broadcasts"])
    now = container.clock.now()
    view: Any = container.projections["broadcasts"].view
    done = 0
    since = now - fanout.options.stop_rule_days * 86_400.0
    for tenant_id, slug, ident, status in view.candidates(now, since):
        if status == "sent" and fanout.judged_since_last_outcome(ident):
            continue  # a sent broadcast only needs its stop rules again after a new outcome
        broadcast = container.broadcasts.find(tenant_id, slug)
        if broadcast is None:
            continue
        try:
            done += fanout.advance(broadcast)
        except Exception as exc:  # an exception -> failed (§9.2), the others go on
            if transient(exc):  # a lock timeout or a lagging view: the next pass retries
                log.warning("broadcast %s/%s: %r; retrying", tenant_id, slug, exc)
                continue
            log.exception("broadcast %s/%s failed", tenant_id, slug)
            error = repr(exc)
            fresh = container.broadcasts.find(tenant_id, slug)
            if fresh is not None and fresh.status in ("scheduled", "sending"):
                container.broadcasts.change(tenant_id, slug, lambda x, e=error: x.fail(e), broadcast=fresh)
                done += 1
    return done


def transient(exc: Exception) -> bool:
    return isinstance(exc, (TimeoutError, OSError)) or type(exc).__name__ in (
        "OperationalError", "IntegrityError", "VersionConflict", "PoolTimeout")


def lock_for(container: Container) -> LeaderLock:
    if isinstance(container.db, PostgresDatabase):
        # advisory locks are per database: name the schema, so two stores in one database
        # (tests, or instances side by side) never wait for each other
        schema = container.settings.database_schema or "public"
        return PostgresAdvisoryLock(container.db.connect_kwargs, f"{LOCK_NAME}:{schema}")
    return FileLock(container.settings.data_dir / "locks", LOCK_NAME)


class BroadcastWorker:
    """A thread that runs ``run_once`` while it holds the lock, woken by saves and polls."""

    def __init__(self, container: Container, fanout: BroadcastFanout | None = None,
                 lock: LeaderLock | None = None) -> None:
        self.container = container
        self.fanout = fanout or build_fanout(container)
        self.lock = lock or lock_for(container)
        self.passes = 0
        self._mutex = threading.Lock()  # its thread and a drain in the same process take turns

    def step(self) -> int:
        with self._mutex:
            if not self.lock.try_acquire():
                return 0
            self.passes += 1
            return run_once(self.container, self.fanout)

    def run_forever(self, stop: threading.Event) -> None:
        hub = self.container.hub
        try:
            while not stop.is_set():
                seen = hub.generation()
                try:
                    busy = self.step()
                except Exception:
                    log.exception("broadcast worker pass failed")
                    busy = 0
                if not busy and not stop.is_set():
                    hub.wait(seen, POLL_SECONDS)
        finally:
            self.lock.release()

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(stop,), daemon=True,
                                  name="ledgermail-broadcasts")
        thread.start()
        return thread


def run_until_idle(container: Container, *, max_seconds: float = 120.0) -> int:
    """Passes until one records nothing (what a drain needs); returns the events recorded."""
    worker, total = BroadcastWorker(container), 0
    deadline = time.monotonic() + max_seconds
    try:
        while time.monotonic() < deadline:
            done = worker.step()
            total += done
            if not done and worker.passes:
                break
            if not worker.passes:  # another process leads: wait for the lock
                time.sleep(0.05)
    finally:
        worker.lock.release()
    return total


def main() -> int:
    """``python -m adapters.campaigns.broadcast_worker``: a fan-out process on the store of
    the environment that runs until idle (crash tests and one-shot runs)."""
    from adapters.bootstrap import bootstrap
    from adapters.settings import Settings

    container = bootstrap(Settings.from_env())
    try:
        container.start_projections()
        print(f"broadcasts: {run_until_idle(container)} events recorded", flush=True)
    finally:
        container.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
