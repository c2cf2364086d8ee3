"""Chaos (issue #12): a seeded run of ``LEDGERMAIL_CHAOS_MESSAGES`` messages (2,000 in CI; the
issue's 20,000 by hand) through an ``api`` process, two ``dispatch`` workers, a ``report`` and
a ``project`` worker on a private PostgreSQL. Every role is killed with -9 once, PostgreSQL
is restarted (immediate stop), the SMTP sink drops connections, answers 451 and stalls, and
the client's sync endpoint answers 503 for the middle third. The verdict reads the event
store: one terminal outcome per accepted message, no double send but after a lease expiry
(same Message-ID), every outcome acknowledged by the client, no rate-limit window exceeded.

    LEDGERMAIL_CHAOS_MESSAGES=20000 LEDGERMAIL_CHAOS_SEED=7 .venv/bin/pytest tests/chaos -s
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.bootstrap import Container, bootstrap
from adapters.settings import Settings
from tests.support.chaos import ChaosRun
from tests.support.chaos_fleet import Fleet
from tests.support.chaos_invariants import read_store, violations
from tests.support.client_app import ClientApp, client_app
from tests.support.pg_private import PrivatePostgres, find_bin, private_postgres
from tests.support.smtp_sink import SmtpSink

SIZE = int(os.environ.get("LEDGERMAIL_CHAOS_MESSAGES", "2000"))
SEED = int(os.environ.get("LEDGERMAIL_CHAOS_SEED", "12"))
# A killed reporter's tenant lease (120 s of wall time, adapters/report_leases.py) must expire
# before its successor reports again: the run's bound allows for it.
RUN_SECONDS = 240 + SIZE / 10
pytestmark = [pytest.mark.chaos, pytest.mark.integration, pytest.mark.timeout(RUN_SECONDS + 120)]

LIMIT_PER_MINUTE = max(100, SIZE // 4)  # binding: the run spans at least four windows
ADMIN = "chaos-admin-token"
CONFIG = {
    "retry": {"max_retries": 5, "delays_seconds": [5, 10, 20, 30, 40], "jitter": 0.0},
    "dispatch": {"poll_interval_seconds": 0.1, "lease_seconds": 60, "max_concurrent_sends": 20},
    "reporting": {"retry_cap_seconds": 30, "timeout_seconds": 5},
    "smtp": {"pool_size_per_key": 10},
}


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    if find_bin() is None and os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        pytest.skip("no PostgreSQL server binaries for a private cluster")
    with private_postgres() as pg:
        yield pg


@pytest.fixture
def store(private_pg: PrivatePostgres, tmp_path: Path) -> Iterator[Container]:
    """The private database, migrated (the fleet creates no tables), with the chaos config."""
    settings = Settings.from_env({}, data_dir=tmp_path / "data", database_url=private_pg.url,
                                 fake_clock=True, admin_token=ADMIN)
    container = bootstrap(settings, create_tables=True)
    try:
        container.tenancy.initialise_instance()
        container.tenancy.configure_instance(CONFIG)
        yield container
    finally:
        container.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tenant(container: Container, client: ClientApp, sink: SmtpSink) -> str:
    """acme, reporting to the client app, with one rate-limited account on the sink; its key."""
    _, key = container.tenancy.create_tenant("acme", {
        "client_base_url": client.url, "client_auth": {"method": "bearer", "token": "cb"}}, None)
    container.tenancy.register_account("acme", "smtp1", {
        "host": sink.host, "port": sink.port, "use_tls": False, "max_concurrency": 40, "batch_size": 200,
        "limit_per_minute": LIMIT_PER_MINUTE, "limit_behavior": "defer"})
    return key.api_key


def _wait_for_api(run: ChaosRun, timeout: float = 120.0) -> None:
    """The fleet's first boot is not a fault: wait until the API answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if run.http.get("/health").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"the api process did not answer in {timeout:g} s\n{run.fleet.logs()}")
        time.sleep(0.1)


def _summary(run: ChaosRun, facts: Any, copies: dict[str, list[str]], elapsed: float,
             pg: PrivatePostgres) -> str:
    resent = sum(len(c) - 1 for c in copies.values())
    return (f"\nchaos: {SIZE} messages, seed {SEED}: {elapsed:.1f} s, {facts.events} events, "
            f"{len(copies)} delivered ({resent} resent after a lease expiry), kills {run.fleet.kills}, "
            f"unplanned exits {run.fleet.exits}, {pg.restarts} PostgreSQL restart(s), "
            f"{run.advances} clock advances\n" + "\n".join(run.log))


def test_invariants_hold_under_chaos(store: Container, private_pg: PrivatePostgres, tmp_path: Path,
                                     smtp_sink: Callable[..., SmtpSink]) -> None:
    sink = smtp_sink()
    with client_app() as client:
        key = _tenant(store, client, sink)
        fleet = Fleet(store.settings, tmp_path, api_port=_free_port(), admin_token=ADMIN)
        run = ChaosRun(store, fleet, sink, client, private_pg.restart, size=SIZE, seed=SEED, api_key=key,
                       verbose=bool(os.environ.get("LEDGERMAIL_CHAOS_VERBOSE")))
        started = time.monotonic()
        fleet.start_all()
        try:
            _wait_for_api(run)
            run.run(timeout=RUN_SECONDS)
        finally:
            fleet.stop_all()
        elapsed = time.monotonic() - started
    facts = read_store(store)
    copies = run.sink_copies()
    print(_summary(run, facts, copies, elapsed, private_pg))
    unfired = [f.name for f in run.faults if not f.done]
    assert not unfired, f"faults that never fired: {unfired}"
    assert run.accepted == {f"c{i}" for i in range(SIZE)}
    problems = violations(facts, run.accepted, copies, LIMIT_PER_MINUTE)
    assert not problems, "\n".join(problems[:30])
