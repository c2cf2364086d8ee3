"""Process runners for ``serve``, ``api`` and ``worker``: start, run, stop cleanly."""

from __future__ import annotations

import logging
import threading

import uvicorn
from eventsourcing.persistence import IntegrityError

from adapters.bootstrap import bootstrap, migrate
from adapters.settings import Settings

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


ROLES = ("project", "dispatch", "report", "jobs")  # jobs: periodic work, one process at a time (retention)


def serve(settings: Settings, *, http: bool, workers: bool, migrate_first: bool,
          roles: list[str] | None = None) -> int:
    """``roles``: which background parts run when ``workers`` is set (default: all of ROLES)."""
    if migrate_first:
        migrate(settings)
    roles = sorted(set(roles or ROLES))
    container = bootstrap(settings)
    try:
        container.tenancy.initialise_instance()
        if http:  # the token is for API callers: the process that serves them shows it
            _announce_admin_token(container)
        if workers and "project" in roles:
            container.start_projections()
        if workers and "dispatch" in roles:
            container.start_dispatcher()
        if workers and "report" in roles:
            container.start_reporter()
        if workers and "jobs" in roles:
            container.start_retention()
            container.start_bounce_poller()  # idle until the instance enables bounce polling
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
