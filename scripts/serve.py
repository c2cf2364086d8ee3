"""Process runners for ``serve``, ``api`` and ``worker``: start, run, stop cleanly."""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

import msgspec
import uvicorn
from eventsourcing.persistence import IntegrityError

from adapters.bootstrap import Container, bootstrap, migrate
from adapters.settings import Settings

if TYPE_CHECKING:
    from litestar import Litestar

log = logging.getLogger("ledgermail")


def _announce_admin_token(container) -> None:  # type: ignore[no-untyped-def]
    if container.settings.admin_token:
        return
    try:
        token = container.tenancy.issue_admin_token(replace=False)
    except IntegrityError:  # another process started at the same moment and made (and printed) it
        return
    if token is not None:
        print(f"ledgermail: admin token (shown once): {token}", flush=True)


# jobs: housekeeping (retention); monitor: the observation loops (mailboxes and the
# deliverability monitors). Each periodic part runs in one process at a time (a lease or an
# advisory lock); the others stand by.
ROLES = ("project", "dispatch", "report", "jobs", "monitor")


def _start_roles(container: Container, roles: list[str]) -> None:
    if "project" in roles:
        container.start_projections()
        container.start_flow_worker()  # a follower too: flow triggers and due runs (console.md §8)
        container.start_health_evaluator()  # the circuit breaker follows the health view (§11)
        container.start_broadcasts()  # the broadcast fan-out, one leader at a time (console.md §9.2)
    if "dispatch" in roles:
        container.start_dispatcher()
    if "report" in roles:
        container.start_reporter()
    if "jobs" in roles:
        container.start_retention()
    if "monitor" in roles:
        container.start_bounce_poller()  # idle until the instance enables bounce polling
        container.start_dnsbl()  # scheduled DNSBL scans (console.md §12)
        container.start_dmarc_jobs()  # DMARC retention and mailbox polls (§13)
        container.start_feeds()  # Google Postmaster Tools and SNDS pulls (§14)


def serve(settings: Settings, *, http: bool, workers: bool, migrate_first: bool,
          roles: list[str] | None = None, api_processes: int = 1) -> int:
    """``roles``: which background parts run when ``workers`` is set (default: all of ROLES).
    ``api_processes`` > 1 (``api`` only): that many HTTP processes share one listening socket."""
    if http and not workers and api_processes > 1:
        return serve_api_processes(settings, api_processes)
    if migrate_first:
        migrate(settings)
    roles = sorted(set(roles or ROLES))
    container = bootstrap(settings)
    try:
        container.tenancy.initialise_instance()
        if http:  # the token is for API callers: the process that serves them shows it
            _announce_admin_token(container)
        if workers:
            _start_roles(container, roles)
        running = [r for r in roles if workers] + (["api"] if http else [])
        container.start_heartbeat(running)
        if http:
            from api.app import create_app

            config = uvicorn.Config(create_app(container), host=settings.host, port=settings.port,
                                    log_level="info", lifespan="on", access_log=False)
            print(f"ledgermail: listening on http://{settings.host}:{settings.port} "
                  f"({settings.backend})", flush=True)
            uvicorn.Server(config).run()  # handles SIGINT/SIGTERM with a graceful shutdown
        else:
            from scripts.cli import install_stop_signals

            stop = threading.Event()
            install_stop_signals(stop)
            print(f"ledgermail: worker {settings.worker_id} running roles {roles} ({settings.backend})",
                  flush=True)
            stop.wait()
    finally:
        container.close()
    return 0


def serve_api_processes(settings: Settings, count: int) -> int:
    """uvicorn's supervisor binds the port once and spawns ``count`` processes that accept on
    it (the kernel spreads connections); it replaces a process that dies or stops answering
    its health check. Each process builds its own container (``api_process_app``)."""
    container = bootstrap(settings)
    try:
        container.tenancy.initialise_instance()
        _announce_admin_token(container)  # once, here, not once per process
    finally:
        container.close()
    print(f"ledgermail: listening on http://{settings.host}:{settings.port} "
          f"({settings.backend}, {count} API processes)", flush=True)
    uvicorn.run("scripts.serve:api_process_app", factory=True, host=settings.host, port=settings.port,
                workers=count, log_level="info", lifespan="on", access_log=False)
    return 0


def api_process_app() -> Litestar:
    """The app of one API process under uvicorn's supervisor (spawned: it reads the
    environment the parent was started with, as every ledgermail process does)."""
    from api.app import create_app

    settings = Settings.from_env()
    if os.environ.get("LEDGERMAIL_WORKER_ID"):  # one id per process in /status
        settings = msgspec.structs.replace(settings, worker_id=f"{settings.worker_id}/{os.getpid()}")
    container = bootstrap(settings)
    container.start_heartbeat(["api"])
    app = create_app(container)
    app.on_shutdown.append(lambda: container.close())
    return app
