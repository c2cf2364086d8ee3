"""The reporter thread against a client app that is down for a while (proxy.md §8.3-8.4):
scenario 41 at full scale and a long outage, on the fake clock, SQLite and PostgreSQL.

The real reporter runs as ``serve`` runs it (``Container.start_reporter``); the tests move
the service clock and wait on what the client app received, never on fixed sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest

from adapters.bootstrap import Container, bootstrap
from adapters.settings import Settings
from projections.sending.reports import SyncRow
from tests.support.client_app import Answer, ClientApp, Request, client_app
from tests.support.dispatch import wait_until
from tests.support.reports import send_all

pytestmark = pytest.mark.integration


class Outage:
    def __init__(self, container: Container, app: ClientApp) -> None:
        self.c, self.app = container, app

    def sync(self) -> SyncRow:
        return self.c.projections["reports"].view.sync("acme")  # type: ignore[no-any-return]

    def failed(self, count: int) -> SyncRow:
        """The sync state once the reports view has seen ``count`` failures in a row."""
        return wait_until(lambda: (s := self.sync()).consecutive_failures == count and s,  # type: ignore[no-any-return]
                          what=f"failure {count}")

    def move_to(self, when: float) -> None:
        assert self.c.fake_clock is not None
        self.c.fake_clock.set(when)
        self.c.hub.wake()  # as POST /_test/clock does

    def delivered(self) -> list[Request]:
        return [r for r in self.app.requests if 200 <= r.status < 300 and r.reports]


@pytest.fixture
def outage(settings: Settings) -> Iterator[Outage]:
    container = bootstrap(msgspec.structs.replace(settings, fake_clock=True, worker_id="reporter-test"),
                          create_tables=True)
    try:
        with client_app() as app:
            container.tenancy.initialise_instance()
            container.tenancy.create_tenant("acme", {"client_base_url": app.url}, None)
            container.tenancy.register_account("acme", "smtp1", {"host": "127.0.0.1", "port": 25})
            app.default = Answer(503, {"ok": False})
            container.start_projections()
            yield Outage(container, app)
    finally:
        container.close()


def test_scenario_41_posts_500_500_200_in_event_order(outage: Outage) -> None:
    outage.c.start_reporter()
    events = send_all(outage.c, [f"m{i}" for i in range(400)])
    outage.app.wait_for(1)  # the first try, answered 503
    sync = outage.failed(1)
    events += send_all(outage.c, [f"m{i}" for i in range(400, 1200)])  # piling up meanwhile
    outage.c.catch_up(["reports"])
    assert outage.c.projections["reports"].view.pending_count("acme") == 1200
    assert outage.app.count() == 1  # nothing goes before the backoff ends
    outage.app.default = Answer()  # the client recovers
    outage.move_to(sync.next_attempt_ts or 0.0)
    wait_until(lambda: sum(len(r.reports) for r in outage.delivered()) >= 1200, what="1200 items")
    delivered = outage.delivered()
    assert [len(r.reports) for r in delivered] == [500, 500, 200]
    assert [item["event_id"] for r in delivered for item in r.reports] == events
    assert [item["id"] for r in delivered for item in r.reports] == [f"m{i}" for i in range(1200)]
    assert outage.app.count() == 4  # one failed try, then exactly three POSTs


def test_a_long_outage_backs_off_loses_nothing_and_recovers(outage: Outage) -> None:
    """Bar of issue 5: down for over an hour of service time while outcomes keep coming;
    every outcome arrives at least once; tries follow the capped backoff, never a loop."""
    outage.c.tenancy.configure_instance({"reporting": {"batch_size": 100}})
    reporter = outage.c.start_reporter()
    events = send_all(outage.c, [f"a{i}" for i in range(50)])
    began = outage.c.clock.now()
    waits, sizes = [], [len(events)]  # sizes: how many items each try should carry
    tries = 18
    for failure in range(1, tries + 1):
        sync = outage.failed(failure)
        assert outage.app.count() == failure  # exactly one try per backoff: no busy loop
        assert sync.next_attempt_ts is not None and sync.last_attempt_ts is not None
        waits.append(sync.next_attempt_ts - sync.last_attempt_ts)
        if failure == 3:  # the clock moves, the reporter wakes, but it is not time yet
            cycles = reporter.cycles
            outage.move_to(sync.next_attempt_ts - 1)
            assert outage.app.quiet(1.0) == []
            assert reporter.cycles - cycles <= 3  # it idles between polls (1 s) and wake-ups
        if failure % 4 == 0:
            events += send_all(outage.c, [f"w{failure}-{i}" for i in range(40)])
            outage.c.catch_up(["reports"])  # so the next try carries them
        if failure == tries:
            outage.app.default = Answer()  # back up before the next try
        sizes.append(min(100, len(events)))
        outage.move_to(sync.next_attempt_ts)
    for n, wait in enumerate(waits, start=1):
        base = min(300.0, 5.0 * 2 ** (n - 1))
        assert 0.9 * base <= wait <= 1.1 * base, (n, wait)
    assert outage.c.clock.now() - began > 3600  # a long stretch of service time
    wait_until(lambda: outage.c.projections["reports"].view.pending_count("acme") == 0, what="all acked")
    delivered = [item["event_id"] for r in outage.delivered() for item in r.reports]
    assert set(events) <= set(delivered)  # none lost
    assert len(events) == 50 + 40 * (tries // 4) and len(delivered) == len(events)  # no duplicates here
    assert [len(r.reports) for r in outage.app.requests[:tries]] == sizes[:tries]  # the oldest, <= 100
    assert [r.reports[0]["event_id"] for r in outage.app.requests[:tries]] == [events[0]] * tries
    outage.c.catch_up(["messages", "send_metrics"])
    metrics = outage.c.projections["send_metrics"].view
    assert metrics.value("reports_failed_total", tenant_id="acme") == tries  # one per failed POST
    rows, _ = outage.c.projections["messages"].view.list(
        "acme", statuses=None, batch_code=None, account_id=None, since_ts=None, until_ts=None,
        limit=1000, after=None)
    assert len(rows) == len(events) and all(r.unreported_reports == 0 for r in rows)
