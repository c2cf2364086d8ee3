"""Delivery reports (proxy.md §8, scenarios 39-44): the ``reports`` view and the reporter,
posting to a real HTTP client app on loopback; the service clock moved by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.bootstrap import Container
from adapters.operations import delete_tenant
from adapters.rebuild import rebuild_view, verify_view
from adapters.report_client import HttpxReportClient
from application.sending.reporter import Reporter, nudge
from projections.sending.reports import ReportsView, SyncRow
from tests.integration.test_messages_view import NO_JITTER, Desk, M
from tests.support.client_app import Answer, ClientApp, client_app
from tests.support.messages import SMTP_451, SMTP_550, T0

pytestmark = pytest.mark.integration


class Rig(Desk):
    def __init__(self, container: Container, app: ClientApp) -> None:
        super().__init__(container)
        self.app = app
        self.reporter = Reporter(
            container.sending, self.view_, container.report_targets, HttpxReportClient(),
            container.report_leases, self.clock, "r1", secret_box=container.secret_box,
            config=lambda: container.tenancy.instance_config().reporting,
            wait=lambda position: container.wait_for({"sending": position}, ["reports"]))

    def client_tenant(self, tenant_id: str = "acme", **fields: Any) -> None:
        settings = {"client_base_url": self.app.url, "client_auth": {"method": "bearer", "token": "cb"}}
        self.c.tenancy.create_tenant(tenant_id, settings | fields, None)
        self.c.tenancy.register_account(tenant_id, "smtp1", {"host": "127.0.0.1", "port": 25})

    @property
    def view_(self) -> ReportsView:
        return self.c.projections["reports"].view  # type: ignore[no-any-return]

    def catch_up(self) -> None:
        self.c.catch_up(["tenants", "messages", "reports"])

    def cycle(self) -> int:
        """One reporter cycle (its own loop and HTTP client); how many POSTs it made."""
        self.catch_up()

        async def run() -> int:
            self.reporter.client = HttpxReportClient()
            try:
                return await self.reporter.run_cycle()
            finally:
                await self.reporter.client.close()

        return asyncio.run(run())

    def sync(self, tenant_id: str = "acme") -> SyncRow:
        self.catch_up()
        return self.view_.sync(tenant_id)


@pytest.fixture
def rig(container: Container) -> Iterator[Rig]:
    with client_app() as app:
        rig = Rig(container, app)
        container.start_projections(["tenants", "messages", "reports"])
        rig.client_tenant()
        yield rig


def test_a_sent_message_is_reported_with_the_bearer_token(rig: Rig) -> None:  # scenario 39
    accepted = rig.queue(M("m1", batch_code="NL"), report=True).accepted[0]
    rig.tick()
    rig.send("m1")
    assert rig.cycle() == 1
    [request] = rig.app.requests
    assert request.path == "/mail-proxy/sync"
    assert request.headers["authorization"] == "Bearer cb"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "ledgermail/0.1.0"
    [item] = request.reports
    assert item == {"tenant_id": "acme", "id": "m1", "pk": str(accepted.pk), "event": "sent",
                    "event_id": item["event_id"], "recipient_email": "u@dest.test", "batch_code": "NL",
                    "sent_ts": T0 + 1, "message_id": accepted.message_id}
    assert item["event_id"].startswith(f"{accepted.pk}:")
    assert rig.view_.pending_count("acme") == 0
    assert rig.sync().last_status == 200 and rig.sync().last_sync_ts == T0 + 1
    assert rig.cycle() == 0  # acknowledged: never again


def test_only_events_appended_with_a_url_are_reported(rig: Rig) -> None:
    rig.queue(M("m1"), M("m2"), report=False)
    rig.send("m1")
    rig.queue(M("m3"), {"id": "bad"}, report=True)
    rig.send("m3")
    rig.on("m2", lambda m: m.record_failure(m.start_attempt("w1", T0 + 300), SMTP_550, policy=NO_JITTER,
                                            rand=0.5, report=True))
    rig.cycle()
    items = rig.app.requests[0].reports
    assert [(i["id"], i["event"]) for i in items] == [("bad", "error"), ("m3", "sent"), ("m2", "error")]
    assert items[0]["rejected"] is True and items[2]["rejected"] is False
    assert items[2]["error"] == "SMTP 550 5.1.1 user unknown" and "error_ts" in items[2]


def test_a_500_backs_off_then_the_same_item_goes_again(rig: Rig) -> None:  # scenario 40
    rig.queue(M("m1"), report=True)
    rig.send("m1")
    rig.app.answer(Answer(500, {"ok": False}), Answer(200, "ok"))
    assert rig.cycle() == 1
    sync = rig.sync()
    assert (sync.consecutive_failures, sync.last_status) == (1, 500)
    assert sync.next_attempt_ts is not None and 4.5 <= sync.next_attempt_ts - T0 <= 5.5
    assert rig.view_.pending_count("acme") == 1
    assert rig.cycle() == 0  # in backoff
    rig.tick(6)
    assert rig.cycle() == 1  # 200 text/plain: acknowledged, no options
    first, second = rig.app.requests
    assert first.reports[0]["event_id"] == second.reports[0]["event_id"]
    sync = rig.sync()
    assert (sync.consecutive_failures, sync.last_status, sync.last_error) == (0, 200, None)
    assert rig.view_.pending_count("acme") == 0
    assert rig.cycle() == 0


def test_backoff_doubles_up_to_the_cap(rig: Rig) -> None:
    rig.queue(M("m1"), report=True)
    rig.send("m1")
    rig.app.answer(*[Answer(503)] * 3)
    waits = []
    for _ in range(3):
        assert rig.cycle() == 1
        sync = rig.sync()
        assert sync.next_attempt_ts is not None
        waits.append(sync.next_attempt_ts - rig.clock.t)
        rig.clock.t = sync.next_attempt_ts
    for wait, base in zip(waits, (5, 10, 20), strict=True):
        assert 0.9 * base <= wait <= 1.1 * base


def test_heartbeats_go_only_to_tenants_with_a_url(rig: Rig) -> None:  # scenario 42
    rig.c.tenancy.create_tenant("beta", {}, None)
    assert rig.cycle() == 0
    rig.tick(299)
    assert rig.cycle() == 0
    rig.tick(1)
    assert rig.cycle() == 1
    [request] = rig.app.requests
    assert request.json == {"reports": []}
    assert rig.cycle() == 0  # the next one is due 300 s after this one
    rig.c.tenancy.update_tenant("acme", {"active": False})
    rig.tick(300)
    assert rig.cycle() == 0  # inactive: no heartbeats


def test_next_sync_after_is_a_do_not_disturb(rig: Rig) -> None:  # scenario 43
    now = rig.tick(300)
    rig.app.answer(Answer(200, {"ok": True, "next_sync_after": now + 3600}))
    assert rig.cycle() == 1
    assert rig.sync().dnd_until == now + 3600
    rig.tick(1000)
    rig.queue(M("m1"), report=True)
    rig.send("m1")
    assert rig.cycle() == 1  # items go at once, DND or not
    assert rig.app.requests[-1].reports[0]["id"] == "m1"
    assert rig.sync().dnd_until == now + 3600  # a 2xx without next_sync_after leaves it
    rig.tick(2599)
    assert rig.cycle() == 0
    rig.tick(1)
    assert rig.cycle() == 1 and rig.app.requests[-1].json == {"reports": []}
    rig.app.answer(Answer(200, {"ok": True, "next_sync_after": rig.clock.t + 3600}))
    rig.tick(300)
    assert rig.cycle() == 1 and rig.sync().dnd_until is not None
    nudge(rig.c.sending, "acme")
    assert rig.cycle() == 1  # run-now: a heartbeat at once, DND over
    assert rig.sync().dnd_until is None


def test_queued_asks_for_the_next_post_at_once(rig: Rig) -> None:  # scenario 44
    rig.tick(300)
    rig.app.answer(Answer(200, {"ok": True, "queued": 2}), Answer(200, {"ok": True, "queued": 2}))
    assert rig.cycle() == 3
    assert rig.app.requests[2].at - rig.app.requests[0].at < 2.0
    assert rig.cycle() == 0


def test_batches_go_in_event_order(rig: Rig) -> None:  # scenario 41, scaled down
    rig.c.tenancy.configure_instance({"reporting": {"batch_size": 2}})
    rig.queue(*[M(f"m{i}") for i in range(5)], report=True)
    for i in range(5):
        rig.send(f"m{i}")
    rig.app.answer(Answer(503))
    assert rig.cycle() == 1
    rig.tick(10)
    rig.cycle()
    assert [len(r.reports) for r in rig.app.requests] == [2, 2, 2, 1]
    ids = [i["id"] for r in rig.app.requests[1:] for i in r.reports]
    assert ids == [f"m{i}" for i in range(5)]


def test_a_deleted_tenant_loses_its_items(rig: Rig) -> None:
    rig.queue(M("m1"), report=True)
    rig.send("m1")
    rig.catch_up()
    assert rig.view_.pending_count("acme") == 1
    delete_tenant(rig.c, "acme")
    rig.catch_up()
    assert rig.view_.pending_count("acme") == 0 and rig.view_.all_sync() == {}
    assert rig.cycle() == 0


def test_one_reporter_per_tenant(rig: Rig) -> None:
    leases = rig.c.report_leases
    assert leases.claim("acme", "r1", 60) and leases.claim("acme", "r1", 60)
    assert not leases.claim("acme", "r2", 60)
    leases.release("acme", "r1")
    assert leases.claim("acme", "r2", 60)
    assert rig.cycle() == 0 and rig.app.count() == 0  # r1 waits its turn
    leases.release("acme", "r2")


def test_rebuild_gives_the_live_rows(rig: Rig) -> None:
    rig.c.tenancy.create_tenant("gone", {"client_base_url": rig.app.url}, None)
    rig.queue(M("m1"), M("m2"), report=True)
    rig.queue(M("g1"), tenant_id="gone", report=True)
    rig.send("m1")
    rig.on("m2", lambda m: m.record_failure(m.start_attempt("w1", T0 + 300), SMTP_451, policy=NO_JITTER,
                                            rand=0.5))
    rig.app.answer(Answer(500), Answer(500))
    rig.cycle()
    rig.tick(6)
    rig.cycle()
    nudge(rig.c.sending, "acme")
    delete_tenant(rig.c, "gone")
    rig.catch_up()
    view = rig.view_
    with rig.c.db.transaction(write=False) as tx:
        before = view.rows(tx)
    assert before["report_items"] and before["report_sync"]
    assert verify_view(rig.c, "reports").verified is True
    rebuild_view(rig.c, "reports")
    with rig.c.db.transaction(write=False) as tx:
        assert view.rows(tx) == before


def test_basic_auth_is_decrypted_just_before_use(rig: Rig) -> None:
    auth = {"method": "basic", "user": "u", "password": "p"}
    rig.c.tenancy.create_tenant("basic", {"client_base_url": rig.app.url, "client_sync_path": "/sync",
                                          "client_auth": auth}, None)
    rig.queue(M("b1"), tenant_id="basic", report=True)
    rig.c.tenancy.register_account("basic", "smtp1", {"host": "127.0.0.1", "port": 25})
    rig.send("b1", tenant_id="basic")
    assert rig.cycle() == 1
    [request] = rig.app.requests
    assert request.path == "/sync" and request.headers["authorization"] == "Basic dTpw"


def test_a_stalled_client_counts_as_a_failure(rig: Rig) -> None:
    rig.c.tenancy.configure_instance({"reporting": {"timeout_seconds": 0.3}})
    rig.queue(M("m1"), report=True)
    rig.send("m1")
    rig.app.answer(Answer(stall=1.0))
    assert rig.cycle() == 1
    sync = rig.sync()
    assert (sync.consecutive_failures, sync.last_status) == (1, None)
    assert sync.last_error is not None and "timeout" in sync.last_error
    assert rig.view_.pending_count("acme") == 1
