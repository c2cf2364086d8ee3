"""Dispatcher processes side by side on one PostgreSQL (spec proxy.md §5, §6.2, §7; scenarios
35-38): every message delivered exactly once, rate limits exact across processes, and a
dispatcher killed with -9 mid-batch loses nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters.settings import Settings
from tests.support import pg
from tests.support.dispatch import DispatchRig, M, open_rig, wait_until
from tests.support.dispatch_workers import POOLS, Workers
from tests.support.smtp_sink import SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
DAY = 86400
CONFIG = {"dispatch": {"poll_interval_seconds": 0.1, "max_concurrent_sends": 20},
          "smtp": {"pool_size_per_key": 10}}


@pytest.fixture
def pg_settings(pg_database: str, tmp_path: Path) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path / "data", database_url=pg_database,
                             database_schema=pg.create_schema(pg_database), projection_poll_seconds=0.05)


@pytest.fixture
def rig(pg_settings: Settings, smtp_sink: Callable[..., SmtpSink],
        monkeypatch: pytest.MonkeyPatch) -> Iterator[DispatchRig]:
    for name, value in POOLS.items():  # as in the worker processes: see tests.support.dispatch_workers
        monkeypatch.setenv(name, value)
    with open_rig(pg_settings, smtp_sink(), config=CONFIG) as rig:
        rig.account(max_concurrency=500, batch_size=200)
        # only the view the dispatchers claim from (a whole `--role project` process would
        # hold a connection per projection: the server's connections are shared by all tests)
        rig.c.start_projections(["messages"])
        yield rig


@pytest.fixture
def workers(rig: DispatchRig, tmp_path: Path) -> Iterator[Workers]:
    group = Workers(rig.c.settings, tmp_path)
    yield group
    group.stop_all()


def queue_many(rig: DispatchRig, n: int) -> None:
    for start in range(0, n, 1000):
        rig.queue(*[M(f"m{i}") for i in range(start, min(n, start + 1000))])


def wait_for_view(rig: DispatchRig, workers: Workers, what: str, **wanted: int) -> None:
    def reached() -> bool:
        counts = view_counts(rig)
        return all(counts[status] == n for status, n in wanted.items())
    wait_until(reached, timeout=60, every=0.2, what=f"{what}; worker logs:\n{workers.logs()[-3000:]}")


def view_counts(rig: DispatchRig) -> Counter[str]:
    with rig.c.db.transaction(write=False) as tx:
        rows = tx.execute("SELECT status, COUNT(*) FROM messages GROUP BY status")
    return Counter({status: int(n) for status, n in rows})


def sent_in_windows(rig: DispatchRig) -> dict[float, int]:
    with rig.c.db.transaction(write=False) as tx:
        rows = tx.execute("SELECT start, sent FROM dispatch_windows WHERE \"window\" = 'minute' "
                          "AND scope = 'account:acme/smtp1'")
    return {float(start): int(sent) for start, sent in rows}


@pytest.mark.parametrize("processes", [2, 4])
def test_processes_deliver_each_message_once_within_the_limit(
        rig: DispatchRig, workers: Workers, processes: int) -> None:
    """5,000 messages, limit 2,500 a minute: exactly 2,500 in the first minute, the rest in the
    next, each message once, whatever the number of dispatchers."""
    t0 = rig.set_clock(rig.now() // DAY * DAY + 10 * 3600 + 5)
    rig.account(max_concurrency=500, batch_size=200, limit_per_minute=2500)
    queue_many(rig, 5000)
    for n in range(processes):
        workers.start(f"dispatch-{n}")
    wait_for_view(rig, workers, "2,500 sent and one deferral", sent=2500, deferred=1)
    assert len(rig.sink.messages) == 2500
    assert sent_in_windows(rig) == {t0 // 60 * 60: 2500}
    rig.set_clock(t0 // 60 * 60 + 60)
    wait_for_view(rig, workers, "5,000 sent", sent=5000)
    counts = Counter(rig.ids_at_sink())
    assert len(counts) == 5000 and set(counts.values()) == {1}
    assert sent_in_windows(rig) == {t0 // 60 * 60: 2500, t0 // 60 * 60 + 60: 2500}


def test_a_killed_dispatcher_loses_nothing(rig: DispatchRig, workers: Workers) -> None:
    """kill -9 while a DATA is held: after the leases expire a fresh process delivers every
    message; a message sent twice carries the same Message-ID and Date both times."""
    queue_many(rig, 300)
    workers.start("doomed")
    wait_until(lambda: len(rig.sink.messages) >= 50, timeout=30, what="50 mails")
    rig.sink.stall("DATA", times=None)
    rig.sink.wait_for_stalled(1, timeout=10)
    workers.kill("doomed")
    rig.sink.clear_script()
    rig.advance(301)  # past every lease of the dead process
    workers.start("heir")
    wait_for_view(rig, workers, "300 sent", sent=300)
    copies: dict[str, set[tuple[str, str]]] = {}
    for mail in rig.sink.messages:
        headers = mail.message
        copies.setdefault(str(headers["X-Ledgermail-Id"]), set()).add(
            (str(headers["Message-ID"]), str(headers["Date"])))
    assert len(copies) == 300
    assert all(len(variants) == 1 for variants in copies.values())
