"""The ``messages`` read model: every Message event's effect on its row, ``held_by`` in any
order of the two logs, listing, purges, and rebuild = live (proxy.md §4.2, §5.4)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from adapters.bootstrap import Container
from adapters.rebuild import rebuild_view, verify_view
from adapters.runner import ProjectionRunner
from application.sending.app import QueueOptions, QueueResult
from domain.instance_config import RetryConfig
from domain.sending.message import Message
from domain.sending.validate import ValidationContext
from projections.sending import MessageRow, MessagesProjection, MessagesView
from tests.support.messages import SMTP_451, SMTP_550, T0

pytestmark = pytest.mark.integration
NO_JITTER = RetryConfig(jitter=0.0)
LEASE = 300.0


class StepClock:
    """The service clock of both applications; tests move it by hand."""

    def __init__(self) -> None:
        self.t = T0

    def now(self) -> float:
        return self.t


def M(client_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": client_id, "account_id": "smtp1", "from": "a@acme.test", "to": ["u@dest.test"],
            "subject": "s", "body": "b", **extra}


class Desk:
    """Drives both applications the way the API and the dispatcher will."""

    def __init__(self, container: Container) -> None:
        self.c = container
        self.clock = StepClock()
        container.sending.clock = container.tenancy.clock = self.clock

    def tick(self, seconds: float = 1.0) -> float:
        self.clock.t += seconds
        return self.clock.t

    def tenant(self, tenant_id: str = "acme", accounts: tuple[str, ...] = ("smtp1",)) -> None:
        self.c.tenancy.create_tenant(tenant_id, {}, None)
        for account_id in accounts:
            self.c.tenancy.register_account(tenant_id, account_id, {"host": "127.0.0.1", "port": 25})

    def queue(self, *entries: dict[str, Any], tenant_id: str = "acme", report: bool = False) -> QueueResult:
        ctx = ValidationContext(tenant_id=tenant_id, account_ids=frozenset({"smtp1", "smtp2"}),
                                now=self.clock.now())
        return self.c.sending.queue_messages(ctx, list(entries), QueueOptions(report=report))

    def on(self, client_id: str, action: Callable[[Message], Any], tenant_id: str = "acme") -> Any:
        message = self.c.sending.get_message(tenant_id, client_id)
        assert message is not None
        with self.c.sending.command(actor="dispatcher", tenant_id=tenant_id):
            result = action(message)
            self.c.sending.record(message)
        return result

    def attempt(self, client_id: str, tenant_id: str = "acme") -> int:
        return int(self.on(client_id, lambda m: m.start_attempt("w1", self.clock.now() + LEASE), tenant_id))

    def send(self, client_id: str, tenant_id: str = "acme") -> None:
        attempt = self.attempt(client_id, tenant_id)
        self.on(client_id, lambda m: m.record_sent(attempt, "250 ok"), tenant_id)

    def project(self, *names: str) -> None:
        for name in names or ("messages",):
            self.c.runner(name, leader=False).catch_up()

    @property
    def view(self) -> MessagesView:
        return self.c.projections["messages"].view

    def row(self, client_id: str, tenant_id: str = "acme") -> MessageRow:
        self.project()
        row = self.view.get(tenant_id, client_id)
        assert row is not None, client_id
        return row

    def listed(self, tenant_id: str = "acme", **kw: Any) -> list[str]:
        self.project()
        args: dict[str, Any] = dict(statuses=None, batch_code=None, account_id=None, since_ts=None,
                                    until_ts=None, limit=1000, after=None) | kw
        rows, _ = self.view.list(tenant_id, **args)
        return [r.client_id for r in rows]


@pytest.fixture
def desk(container: Container) -> Iterator[Desk]:
    desk = Desk(container)
    desk.tenant()
    yield desk


def table_rows(container: Container, view: MessagesView) -> dict[str, list[tuple[Any, ...]]]:
    with container.db.transaction(write=False) as tx:
        return view.rows(tx)


# --- each event's effect -------------------------------------------------------------------


def test_queued_fills_every_column(desk: Desk) -> None:
    result = desk.queue(M("m1", priority=1, batch_code="NL", subject="Hi", to=["x@d.test", "y@d.test"]),
                        report=True)
    row = desk.row("m1")
    assert row.pk == result.accepted[0].pk and row.message_id == result.accepted[0].message_id
    assert (row.tenant_id, row.account_id, row.priority, row.batch_code) == ("acme", "smtp1", 1, "NL")
    assert (row.status, row.held_by, row.from_addr, row.subject) == ("pending", None, "a@acme.test", "Hi")
    assert row.to_addrs == ["x@d.test", "y@d.test"] and row.report is True
    assert row.accepted_ts == row.updated_ts == row.ready_ts == row.last_event_ts == T0
    assert (row.retry_count, row.attempts, row.deferred_until, row.bounce) == (0, 0, None, None)


def test_scheduled_message_is_deferred_until_its_time(desk: Desk) -> None:
    desk.queue(M("later", deferred_ts=T0 + 600), M("past", deferred_ts=T0 - 5))
    later, past = desk.row("later"), desk.row("past")
    assert (later.status, later.deferred_reason, later.deferred_until) == ("deferred", "scheduled", T0 + 600)
    assert later.ready_ts == T0 + 600
    assert (past.status, past.deferred_until, past.ready_ts) == ("pending", None, T0)


def test_update_keeps_the_queue_position(desk: Desk) -> None:
    desk.queue(M("m1", subject="A"), M("m2"))
    now = desk.tick(5)
    desk.queue(M("m1", subject="B", batch_code="X", account_id="smtp2", priority=3))
    row = desk.row("m1")
    assert (row.subject, row.batch_code, row.account_id, row.priority) == ("B", "X", "smtp2", 3)
    assert row.accepted_ts == T0 and row.updated_ts == row.last_event_ts == now


def test_rejections_new_live_and_requeued(desk: Desk) -> None:
    desk.queue({"id": "bad", "account_id": "smtp1"}, M("live"))
    bad = desk.row("bad")
    assert (bad.status, bad.error_code) == ("rejected", "missing_field")
    assert bad.priority is None and bad.accepted_ts is None  # never queued
    assert bad.error_ts == T0 and bad.ready_ts is None and bad.to_addrs == []
    now = desk.tick()
    desk.queue({**M("live"), "to": []})  # a refused resubmission of a queued id: history only
    live = desk.row("live")
    assert (live.status, live.error_code, live.updated_ts, live.last_event_ts) == ("pending", None, T0, now)
    desk.queue(M("bad"))  # a rejected id queued afresh
    again = desk.row("bad")
    assert (again.status, again.error_code, again.accepted_ts, again.priority) == ("pending", None, now, 2)


def test_attempt_deferral_and_success(desk: Desk) -> None:
    desk.queue(M("m1"))
    attempt = desk.attempt("m1")
    row = desk.row("m1")
    assert (row.status, row.attempts, row.worker_id, row.lease_until) == ("sending", 1, "w1", T0 + LEASE)
    assert row.ready_ts == T0 and row.held_by is None
    now = desk.tick()
    desk.on("m1", lambda m: m.record_failure(attempt, SMTP_451, policy=NO_JITTER, rand=0.5))
    row = desk.row("m1")
    assert (row.status, row.deferred_reason, row.retry_count, row.error) == (
        "deferred", "temporary_failure", 1, SMTP_451.text)
    assert row.deferred_until == row.ready_ts == now + 60 and row.lease_until is row.worker_id is None
    desk.tick(60)
    desk.send("m1")
    row = desk.row("m1")
    assert (row.status, row.attempts, row.sent_ts, row.ready_ts, row.deferred_until) == (
        "sent", 2, desk.clock.t, None, None)


def test_bounce_complaint_and_offload(desk: Desk) -> None:
    desk.queue(M("m1", attachments=[{"filename": "a.txt", "storage_path": "base64:aGVsbG8="}]))
    attempt = desk.attempt("m1")
    now = desk.tick()
    desk.on("m1", lambda m: m.offload_attachment(attempt, 0, "f1", now + 86400))
    assert desk.row("m1").last_event_ts == now
    desk.on("m1", lambda m: m.record_sent(attempt, "250 ok"))
    bounced_at = desk.tick()
    desk.on("m1", lambda m: m.record_bounce("u@dest.test", "hard", bounce_code="5.1.1", category="recipient",
                                            reason="user unknown", source="dsn"))
    desk.tick()
    desk.on("m1", lambda m: m.record_complaint("u@dest.test", "abuse"))
    row = desk.row("m1")
    assert row.status == "sent"
    assert row.bounce == {"ts": bounced_at, "type": "hard", "code": "5.1.1", "reason": "user unknown",
                          "recipient": "u@dest.test"}
    assert row.complaint == {"ts": desk.clock.t, "type": "abuse", "recipient": "u@dest.test"}


def test_abandoned_then_permanent_failure(desk: Desk) -> None:
    desk.queue(M("m1"))
    desk.attempt("m1")
    desk.tick(LEASE + 1)
    desk.on("m1", lambda m: m.abandon_attempt(max_retries=5))
    row = desk.row("m1")
    assert (row.status, row.retry_count, row.lease_until, row.worker_id) == ("pending", 1, None, None)
    attempt = desk.attempt("m1")
    now = desk.tick()
    desk.on("m1", lambda m: m.record_failure(attempt, SMTP_550, policy=NO_JITTER, rand=0.5))
    row = desk.row("m1")
    assert (row.status, row.error_code, row.error) == ("error", "smtp_permanent", SMTP_550.text)
    assert row.error_ts == now
    assert row.ready_ts is None and row.lease_until is None


def test_rate_limit_deferral_and_cancel(desk: Desk) -> None:
    desk.queue(M("m1"), M("m2"))
    desk.on("m1", lambda m: m.defer_for_rate_limit(T0 + 60))
    row = desk.row("m1")
    assert (row.status, row.deferred_reason, row.error, row.retry_count, row.ready_ts) == (
        "deferred", "rate_limit", None, 0, T0 + 60)
    desk.on("m2", lambda m: m.fail("rate_limit_exceeded", "limit reached"))
    assert desk.row("m2").status == "error"
    desk.on("m1", lambda m: m.cancel())
    row = desk.row("m1")
    assert (row.status, row.deferred_until, row.ready_ts) == ("cancelled", None, None)
    assert desk.listed() == ["m2"] and desk.listed(statuses=["cancelled"]) == []


# --- held_by -------------------------------------------------------------------------------


def test_suspensions_and_activity_hold_waiting_messages(desk: Desk) -> None:
    desk.queue(M("plain"), M("nl", batch_code="NL"), M("de", batch_code="DE"), M("busy"), M("done"))
    desk.attempt("busy")
    desk.send("done")

    def held() -> dict[str, str | None]:
        desk.project()
        return {c: desk.view.get("acme", c).held_by for c in ("plain", "nl", "de", "busy", "done")}  # type: ignore[union-attr]

    desk.c.tenancy.suspend("acme", "NL")
    assert held() == {"plain": None, "nl": "batch_suspended", "de": None, "busy": None, "done": None}
    desk.queue(M("nl2", batch_code="NL"))
    assert desk.row("nl2").held_by == "batch_suspended"
    desk.c.tenancy.suspend("acme", None)
    assert held() == {"plain": "tenant_suspended", "nl": "tenant_suspended", "de": "tenant_suspended",
                      "busy": None, "done": None}
    desk.c.tenancy.update_tenant("acme", {"active": False})
    assert held()["plain"] == "tenant_inactive"
    desk.c.tenancy.update_tenant("acme", {"active": True})
    desk.c.tenancy.activate("acme", None)
    assert set(held().values()) == {None}


def _mixed_history(desk: Desk) -> None:
    """Both logs, interleaved in time: suspensions, deactivation, outcomes, a deleted tenant."""
    desk.tenant("beta")
    desk.queue(M("a1"), M("a2", batch_code="NL"), M("a3", batch_code="DE"))
    desk.queue(M("b1"), M("b2"), tenant_id="beta")
    desk.c.tenancy.suspend("acme", "NL")
    desk.queue(M("a4", batch_code="NL"), M("a5"))
    desk.send("a5")
    desk.c.tenancy.suspend("acme", "DE")
    desk.c.tenancy.activate("acme", "NL")
    desk.c.tenancy.update_tenant("acme", {"active": False})
    desk.queue(M("a6"))
    desk.c.tenancy.update_tenant("acme", {"active": True})
    desk.attempt("a1")
    desk.c.tenancy.delete_tenant("beta", ["smtp1"])
    desk.on("b1", lambda m: m.cancel("tenant_deleted"), tenant_id="beta")


def _replay(container: Container, prefix: str, steps: list[tuple[str, int]]) -> dict[str, Any]:
    """A scratch copy fed one page per step (log, page size), then whatever is left."""
    view = MessagesView(container.db, prefix=prefix)
    view.drop()
    view.create()
    sources = container.sources()
    for app, page_size in steps:
        ProjectionRunner(MessagesProjection(view), {app: sources[app]}, page_size=page_size).run_page()
    ProjectionRunner(MessagesProjection(view), sources).catch_up()
    rows = table_rows(container, view)
    view.drop()
    return rows


def test_held_by_converges_in_either_order_of_the_logs(desk: Desk) -> None:
    _mixed_history(desk)
    tenancy_first = _replay(desk.c, "t_", [("tenancy", 10_000), ("sending", 10_000)])
    sending_first = _replay(desk.c, "s_", [("sending", 10_000), ("tenancy", 10_000)])
    # one event at a time, alternating, until both logs are done
    steps = [("sending", 1), ("tenancy", 1)] * (desk.c.sending.max_position() + desk.c.tenancy.max_position())
    alternating = _replay(desk.c, "i_", steps)
    assert tenancy_first == sending_first == alternating
    desk.project()
    assert table_rows(desk.c, desk.view) == tenancy_first
    held = {r.client_id: r.held_by for r in desk.view.list(
        "acme", statuses=None, batch_code=None, account_id=None, since_ts=None, until_ts=None,
        limit=100, after=None)[0]}
    assert held == {"a1": None, "a2": None, "a3": "batch_suspended", "a4": None, "a5": None, "a6": None}
    assert desk.listed("beta") == []


def test_messages_of_a_tenant_not_projected_yet_are_held(container: Container) -> None:
    desk = Desk(container)
    desk.tenant()
    desk.queue(M("m1"))
    runner = ProjectionRunner(MessagesProjection(desk.view), {"sending": container.sources()["sending"]})
    runner.catch_up()
    assert desk.view.get("acme", "m1").held_by == "tenant_inactive"  # type: ignore[union-attr]
    assert desk.row("m1").held_by is None  # Tenant.Created arrives and releases it


# --- tenant deletion and retention -----------------------------------------------------------


def test_tenant_deletion_purges_its_rows(desk: Desk) -> None:
    desk.tenant("beta")
    desk.queue(M("m1"), M("m2"), tenant_id="beta")
    desk.send("m2", tenant_id="beta")
    desk.queue(M("keep"))
    desk.project()
    assert sorted(desk.listed("beta")) == ["m1", "m2"]
    desk.c.tenancy.delete_tenant("beta", ["smtp1"])
    desk.on("m1", lambda m: m.cancel("tenant_deleted"), tenant_id="beta")
    desk.on("m2", lambda m: m.record_complaint("u@dest.test", "abuse"), tenant_id="beta")
    assert desk.listed("beta") == [] and desk.view.get("beta", "m1") is None
    assert desk.listed() == ["keep"] and desk.view.pending_count(None) == 1


def test_cleanup_removes_rows_and_later_events_leave_them_gone(desk: Desk) -> None:
    desk.queue(M("old"), M("fresh"), M("waiting"), {"id": "bad", "account_id": "smtp1"})
    desk.send("old")
    desk.tick(100)
    desk.send("fresh")
    desk.project()
    assert sorted(desk.view.purgeable("acme", T0 + 50, 10)) == sorted(
        [desk.row("old").pk, desk.row("bad").pk])
    assert desk.view.purgeable("acme", T0 + 50, 1) == [desk.row("bad").pk]  # oldest first
    pks = desk.view.purgeable("acme", T0 + 50, 10)
    desk.c.sending.cleanup_messages("acme", T0 + 50, pks, automatic=False)
    desk.on("old", lambda m: m.record_bounce("u@dest.test", "soft", bounce_code=None, category="unknown",
                                             reason="?", source="other"))
    assert desk.listed() == ["fresh", "waiting"] and desk.view.purgeable("acme", T0 + 50, 10) == []


# --- queries ---------------------------------------------------------------------------------


def test_listing_order_filters_and_cursor(desk: Desk) -> None:
    for i in range(8):  # one second apart: queue order within a priority is acceptance order
        desk.queue(M(f"p{i}", priority=i % 4, batch_code="B" if i % 2 else None))
        desk.tick()
    desk.tick(10)
    desk.queue(M("late", priority=0, account_id="smtp2"), {"id": "bad", "account_id": "smtp1"}, M("gone"))
    desk.on("gone", lambda m: m.cancel())
    desk.send("p3")
    everything = desk.listed()
    assert everything == ["bad", "p0", "p4", "late", "p1", "p5", "p2", "p6", "p3", "p7"]
    assert desk.listed(batch_code="B") == ["p1", "p5", "p3", "p7"]
    assert desk.listed(account_id="smtp2") == ["late"]
    assert desk.listed(since_ts=T0 + 10) == ["late"] and desk.listed(until_ts=T0) == ["p0"]
    assert desk.listed(statuses=["sent", "rejected"]) == ["bad", "p3"]
    assert desk.listed(statuses=[]) == []
    seen: list[str] = []
    cursor = None
    while True:
        rows, cursor = desk.view.list("acme", statuses=None, batch_code=None, account_id=None, since_ts=None,
                                      until_ts=None, limit=3, after=cursor)
        seen += [r.client_id for r in rows]
        if cursor is None:
            break
        assert cursor.replace("-", "").replace("_", "").isalnum()  # safe in a query string
    assert seen == everything
    with pytest.raises(ValueError):
        desk.view.list("acme", statuses=None, batch_code=None, account_id=None, since_ts=None,
                       until_ts=None, limit=3, after="not-a-cursor")


def test_counts_by_tenant_and_account(desk: Desk) -> None:
    desk.tenant("beta")
    desk.queue(M("m1"), M("m2", account_id="smtp2"), M("m3", deferred_ts=T0 + 60), M("m4"))
    desk.queue(M("b1"), tenant_id="beta")
    desk.attempt("m1")
    desk.send("m4")
    desk.project()
    assert desk.view.pending_count("acme") == 3 and desk.view.pending_count(None) == 4
    assert desk.view.pending_by_account() == {("acme", "smtp1"): 2, ("acme", "smtp2"): 1,
                                              ("beta", "smtp1"): 1}


# --- rebuild -----------------------------------------------------------------------------------


def test_rebuild_and_page_size_give_the_live_rows(desk: Desk) -> None:
    _mixed_history(desk)
    desk.queue(*[M(f"x{i}", batch_code="DE" if i % 3 else None) for i in range(40)])
    for i in range(0, 40, 4):
        desk.send(f"x{i}")
    desk.project()
    before = table_rows(desk.c, desk.view)
    assert verify_view(desk.c, "messages").verified is True
    rebuild_view(desk.c, "messages")
    assert table_rows(desk.c, desk.view) == before
    one_by_one = _replay(desk.c, "p_", [("tenancy", 7), ("sending", 7)] * 40)
    assert one_by_one == before
