"""Broadcasts below HTTP on both backends with a manual clock (console.md §9, §17 #33-#37)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from adapters import console_ops
from adapters.bootstrap import bootstrap
from adapters.campaigns import broadcast_ops as ops
from adapters.settings import Settings
from domain.campaigns.broadcast_rules import BroadcastRefused
from domain.campaigns.segment import InvalidSegment
from domain.console.ids import contact_uuid
from tests.support.broadcasts import Harness, ManualClock

pytestmark = pytest.mark.integration


@pytest.fixture
def h(settings: Settings) -> Iterator[Harness]:
    clock = ManualClock()
    c = bootstrap(settings, create_tables=True, clock=clock)
    c.tenancy.initialise_instance()
    yield Harness(c, clock)
    c.close()


def users(n: int, first: int = 1) -> list[str]:
    return [f"u{i}" for i in range(first, first + n)]


def test_create_rules(h: Harness) -> None:  # scenario 33
    h.create()
    b = h.broadcast()
    assert b.status == "draft" and b.settings["segment"] == {"all": []}
    with pytest.raises(BroadcastRefused) as taken:
        h.create()
    assert taken.value.code == "slug_taken"
    with pytest.raises(BroadcastRefused) as cap:
        h.create("c", recipient_cap=0)
    assert cap.value.code == "invalid_recipient_cap"
    with pytest.raises(BroadcastRefused) as kind:
        ops.check_template(h.c, "acme", "receipt")
    assert kind.value.code == "template_not_marketing"
    with pytest.raises(InvalidSegment):
        h.create("d", segment={"teleport": 1})


def test_count_confirm_schedule_and_send(h: Harness) -> None:  # scenario 34
    h.contacts(users(6))
    h.c.console.edit_tags("acme", "u1", ["vip"], [])
    h.c.sending.add_suppression("acme", "u4@ex.test", "marketing", "manual")
    console_ops.forget(h.c, "acme", "u5")
    console_ops.unsubscribe(h.c, "acme", "u6", "marketing", "user_request", None)
    h.create()
    got = h.count()
    assert (got["matched"], got["eligible"], got["recipientCount"]) == (5, 3, 3)
    assert h.count(segment={"tag": "vip"})["recipientCount"] == 1
    with pytest.raises(BroadcastRefused) as early:
        ops.schedule(h.c, "acme", "b", h.clock.now(), None, None)
    assert early.value.code == "not_confirmed"
    with pytest.raises(BroadcastRefused) as wrong:
        ops.confirm(h.c, "acme", "b", 4)
    assert wrong.value.code == "count_mismatch" and wrong.value.extra == {"recipientCount": 3}
    ops.confirm(h.c, "acme", "b", 3)
    h.c.broadcasts.change("acme", "b", lambda b: b.update({"name": "renamed"}))
    assert h.broadcast().confirmation is None
    h.start(at=h.clock.now() - 60)  # a past time: the next tick
    h.drain()
    b = h.broadcast()
    assert b.status == "sent" and b.sent_total == 3
    assert sorted(s["dedupe_key"] for s in h.sends()) == sorted(
        f"broadcast:{b.id}:{contact_uuid('acme', u)}" for u in ("u1", "u2", "u3"))
    with pytest.raises(BroadcastRefused) as late:
        h.c.broadcasts.change("acme", "b", lambda b: b.update({"name": "x"}))
    assert late.value.code == "not_draft"


def test_cap_pauses_and_a_larger_cap_resumes(h: Harness) -> None:  # scenario 35
    h.contacts(users(3))
    h.create(recipient_cap=2)
    assert h.count()["recipientCount"] == 2
    h.start()
    h.drain()
    b = h.broadcast()
    assert (b.status, b.pause_reason["code"], len(h.sends())) == ("paused", "cap_reached", 2)
    with pytest.raises(BroadcastRefused) as same:
        ops.resume(h.c, "acme", "b", None, None)
    assert same.value.code == "cap_reached"
    ops.resume(h.c, "acme", "b", 3, None)
    h.drain()
    b = h.broadcast()
    assert (b.status, b.sent_total, len(h.sends())) == ("sent", 3, 3)


def test_throttle_and_recipient_time_zones(h: Harness) -> None:  # scenario 36
    h.contacts(users(5))
    h.create(rate_per_minute=2)
    start = h.clock.now()
    h.start()
    h.drain()
    offsets = sorted(round(s["not_before"] - start) if s["not_before"] else 0 for s in h.sends())
    assert offsets == [0, 0, 60, 60, 120]
    h.contacts(["ny"], timezone="America/New_York")
    h.contacts(["tokyo"], timezone="Asia/Tokyo")
    nine = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC).timestamp()
    h.clock.t = nine - 3600
    h.create("tz", segment={"any": [{"field": {"path": "x", "op": "exists"}}, {"tagAny": ["none"]}]})
    h.c.broadcasts.change("acme", "tz", lambda b: b.update({"segment": {"all": []}}))
    live = h.count("tz")["recipientCount"]
    ops.confirm(h.c, "acme", "tz", live)
    ops.schedule(h.c, "acme", "tz", nine, "UTC", True)
    h.clock.t = nine
    h.drain()
    by_contact = {s["contact_id"]: s["not_before"] for s in h.sends("tz")}
    ny, tokyo = by_contact[str(contact_uuid("acme", "ny"))], by_contact[str(contact_uuid("acme", "tokyo"))]
    assert dt.datetime.fromtimestamp(ny, dt.UTC).isoformat() == "2026-06-01T13:00:00+00:00"
    assert dt.datetime.fromtimestamp(tokyo, dt.UTC).isoformat() == "2026-06-02T00:00:00+00:00"


def test_pause_holds_resume_releases_cancel_cancels(h: Harness) -> None:  # scenario 37 (no SMTP)
    h.contacts(users(10))
    h.create(rate_per_minute=1)
    h.start()
    h.drain()
    assert h.broadcast().status == "sent"  # every send is queued, the throttle is in notBefore
    ops.pause(h.c, "acme", "b", None)
    sends = h.sends()
    assert {s["status"] for s in sends} == {"held"} and len(sends) == 10
    assert h.broadcast().pause_reason["code"] == "manual"
    ops.resume(h.c, "acme", "b", None, None)
    h.drain()
    assert {s["status"] for s in h.sends()} == {"queued"} and h.broadcast().status == "sent"
    h.create("other", rate_per_minute=1)
    h.start("other")
    h.drain()
    cancelled, _ = ops.cancel(h.c, "acme", "other")
    assert cancelled == 10 and {s["status"] for s in h.sends("other")} == {"cancelled"}
    with pytest.raises(BroadcastRefused) as again:
        ops.cancel(h.c, "acme", "other")
    assert again.value.code == "already_finished"


def test_count_drift_pauses_before_any_send(h: Harness) -> None:
    h.contacts(users(10))
    h.create()
    h.start()
    h.contacts(users(5, first=11))  # 15 > 10 + 10 %
    h.drain()
    b = h.broadcast()
    assert (b.status, b.pause_reason["code"], h.sends()) == ("paused", "count_drift", [])
    with pytest.raises(BroadcastRefused) as stale:
        ops.resume(h.c, "acme", "b", None, 10)
    assert stale.value.code == "count_mismatch" and stale.value.extra == {"recipientCount": 15}
    ops.resume(h.c, "acme", "b", None, 15)
    h.drain()
    assert (h.broadcast().status, len(h.sends())) == ("sent", 15)


def test_pages_and_order(h: Harness) -> None:
    h.contacts(users(25))
    for i, user in enumerate(users(25)):
        h.c.console.upsert_contact("acme", user, {"fields": {"rank": 25 - i}})
    h.c.content.change_settings("acme", {"broadcasts": {"fanoutPageSize": 10}})
    h.create(order={"field": "fields.rank", "direction": "asc"})
    h.start()
    h.drain()
    b = h.broadcast()
    assert b.status == "sent" and b.sent_total == 25 and b.version > 5  # 3 pages, then Completed
    cursors = [e.cursor for e in h.c.broadcasts.repository.event_store.get(b.id)
               if type(e).__name__ == "PageDispatched"]
    # a field is personal data: the cursor names the contact, never the value
    assert cursors == [[0, None, str(contact_uuid("acme", u))] for u in ("u16", "u6", "u1")]


def test_a_tripped_sender_bucket_holds_the_fanout(h: Harness) -> None:  # §9.2, §11 effects
    from adapters.reputation import health_ops
    from application.base import CommandMeta

    admin = CommandMeta(actor="admin")
    h.contacts(users(4))
    h.create()
    h.start()
    health_ops.manual_trip(h.c, "acme", "news.acme.test", "marketing", "test", holds_transactional=False,
                           meta=admin)
    h.drain()
    b = h.broadcast()
    assert (b.status, b.pause_reason["code"], h.sends()) == ("paused", "circuit_breaker", [])
    with pytest.raises(BroadcastRefused) as tripped:
        ops.resume(h.c, "acme", "b", None, None)
    assert tripped.value.code == "health_tripped"
    health_ops.resume(h.c, "acme", "news.acme.test", "marketing", resume_broadcasts=True, meta=admin)
    h.drain()
    assert (h.broadcast().status, len(h.sends())) == ("sent", 4)


def test_resuming_a_sent_broadcast_mails_nobody_new(h: Harness) -> None:
    h.contacts(users(3))
    h.create(rate_per_minute=1)
    h.start()
    h.drain()
    ops.pause(h.c, "acme", "b", None)  # sent, with queued sends: pausable
    h.contacts(users(2, first=4))  # joined later: not part of this broadcast
    ops.resume(h.c, "acme", "b", None, None)
    h.drain()
    assert (h.broadcast().status, len(h.sends())) == ("sent", 3)


def test_the_broadcasts_view_rebuilds_to_the_same_rows(h: Harness) -> None:
    from adapters.rebuild import verify_view

    h.contacts(users(5))
    h.create(recipient_cap=3)
    h.start()
    h.drain()
    ops.resume(h.c, "acme", "b", 5, None)
    h.drain()
    h.c.catch_up(["broadcasts"])
    report = verify_view(h.c, "broadcasts")
    assert report.verified and report.rows == 1, report.differences


def test_a_trip_mid_fanout_pauses_and_holds_until_the_broadcast_resumes(h: Harness) -> None:
    from adapters.campaigns.broadcast_gate import EnvFaults
    from adapters.campaigns.broadcast_worker import build_fanout, run_once
    from adapters.reputation import health_ops
    from application.base import CommandMeta
    from application.campaigns.broadcast_fanout import FanoutOptions

    admin = CommandMeta(actor="admin")
    h.c.content.change_settings("acme", {"broadcasts": {"fanoutPageSize": 2}})
    h.contacts(users(6))
    h.create()
    h.start()
    one_page = build_fanout(h.c, options=FanoutOptions(pages_per_tick=1), faults=EnvFaults(""))
    run_once(h.c, one_page)
    assert (h.broadcast().status, len(h.sends())) == ("sending", 2)
    health_ops.manual_trip(h.c, "acme", "news.acme.test", "marketing", "test", holds_transactional=False,
                           meta=admin)
    b = h.broadcast()
    assert (b.status, b.pause_reason["code"]) == ("paused", "circuit_breaker")
    health_ops.resume(h.c, "acme", "news.acme.test", "marketing", resume_broadcasts=False, meta=admin)
    assert {s["status"] for s in h.sends()} == {"held"}  # still held by the paused broadcast
    ops.resume(h.c, "acme", "b", None, None)
    h.drain()
    assert (h.broadcast().status, {s["status"] for s in h.sends()}, len(h.sends())) == ("sent", {"queued"}, 6)


def test_the_background_worker_fans_out_a_due_broadcast(h: Harness) -> None:  # what serve runs
    from tests.support.live import eventually

    h.contacts(users(3))
    h.create()
    h.c.start_broadcasts()
    h.start()
    h.c.hub.wake()
    eventually(lambda: h.broadcast().status == "sent", timeout=30)
    assert len(h.sends()) == 3 and h.c.broadcast_workers[0].passes >= 1


def test_an_email_order_keeps_no_address_in_its_cursor_and_resumes_by_contact(h: Harness) -> None:
    from adapters.campaigns.broadcast_gate import EnvFaults
    from adapters.campaigns.broadcast_worker import build_fanout, run_once
    from application.campaigns.broadcast_fanout import FanoutOptions

    h.c.content.change_settings("acme", {"broadcasts": {"fanoutPageSize": 2}})
    h.contacts(["zed", "amy", "kim", "bob", "lou"])
    h.create(order={"field": "email", "direction": "asc"})
    h.start()
    run_once(h.c, build_fanout(h.c, options=FanoutOptions(pages_per_tick=1), faults=EnvFaults("")))
    first = {s["contact_id"] for s in h.sends()}
    assert first == {str(contact_uuid("acme", n)) for n in ("amy", "bob")}
    h.drain()  # another fan-out (a restarted worker): no walk in memory, resumes by the cursor
    b = h.broadcast()
    assert (b.status, b.sent_total, len(h.sends())) == ("sent", 5, 5)
    cursors = [e.cursor for e in h.c.broadcasts.repository.event_store.get(b.id)
               if type(e).__name__ == "PageDispatched"]
    assert len(cursors) == 3 and not any("@" in str(c) for c in cursors)


def test_a_template_gone_at_start_fails_the_broadcast(h: Harness) -> None:
    h.contacts(users(2))
    h.create()
    h.start()
    h.c.content.delete_template("acme", "news")
    h.drain()
    b = h.broadcast()
    assert (b.status, h.sends()) == ("failed", [])
