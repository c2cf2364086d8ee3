"""The Broadcast's pure parts: send times, walk order and cursors, stop rules, the aggregate."""

from __future__ import annotations

import datetime as dt

import pytest

from application.campaigns.broadcast_ports import Recipient
from application.campaigns.broadcast_walk import order_key, position_after, sort_recipients, stored_cursor
from domain.campaigns.broadcast import Broadcast
from domain.campaigns.broadcast_rules import BroadcastRefused, breached, new_settings, stop_rules
from domain.campaigns.broadcast_timing import local_target, send_time

pytestmark = pytest.mark.unit


def utc(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=dt.UTC).timestamp()


def test_send_time_by_zone_and_throttle() -> None:  # scenario 36
    nine = utc(2026, 6, 1, 9)
    assert local_target(nine, "UTC", "America/New_York") == utc(2026, 6, 1, 13)
    assert local_target(nine, "UTC", "Asia/Tokyo") == utc(2026, 6, 2, 0)
    assert local_target(nine, "UTC", "Mars/Base") == nine
    assert [send_time(nine, nine, k, 2) - nine for k in range(5)] == [0, 0, 60, 60, 120]
    assert send_time(nine, nine, 50, None) == nine


def test_walk_order_and_resume_after_a_cursor() -> None:
    people = [Recipient(f"c{i}", f"u{i}", order_key(v, f"c{i}")) for i, v in
              enumerate([3, "b", 1, None, 3, "a"])]
    asc = [r.contact_id for r in sort_recipients(list(people), False)]
    assert asc == ["c2", "c0", "c4", "c5", "c1", "c3"]
    ordered = sort_recipients(list(people), True)
    assert [r.contact_id for r in ordered] == ["c3", "c1", "c5", "c0", "c4", "c2"]
    assert position_after(ordered, None, True) == 0
    assert position_after(ordered, ordered[3].key, True) == 4
    assert position_after(ordered, ordered[-1].key, True) == len(ordered)
    by_email = [Recipient(f"c{i}", f"u{i}", order_key(f"{n}@ex.test", f"c{i}")) for i, n in enumerate("dbca")]
    walk = sort_recipients(by_email, False)
    stored = stored_cursor(walk[1].key, "email")
    assert stored == [1, None, "c1"] and "@" not in str(stored)  # no address in clear in an event
    assert position_after(walk, stored, False) == 2
    assert position_after(walk[:1] + walk[2:], stored, False) is None  # that contact left the list


def test_stop_rules_strictly_above_once_the_sample_is_big_enough() -> None:
    rules = stop_rules({"minSample": 10})
    assert breached(rules, 9, {"hardBounced": 9}) is None
    assert breached(rules, 100, {"hardBounced": 2}) is None  # 2 % is not above 2 %
    assert breached(rules, 10, {"hardBounced": 2})["rule"] == "hardBounceRatePct"  # type: ignore[index]
    assert breached(stop_rules({"enabled": False}), 1000, {"hardBounced": 900}) is None
    with pytest.raises(BroadcastRefused):
        stop_rules({"teleport": 1})


def test_lifecycle_refusals() -> None:
    b = Broadcast.create("acme", "b", "B", "news", new_settings({"recipient_cap": 2}), None)
    with pytest.raises(BroadcastRefused) as taken:
        Broadcast.create("acme", "b", "B", "news", {}, b)
    assert taken.value.code == "slug_taken"
    with pytest.raises(BroadcastRefused) as none:
        b.confirm(0, 0)
    assert none.value.code == "no_recipients"
    with pytest.raises(BroadcastRefused) as early:
        b.schedule(0.0, "UTC", False, now=0.0)
    assert early.value.code == "not_confirmed"
    b.confirm(2, 2)
    with pytest.raises(BroadcastRefused) as stale:
        b.schedule(0.0, "UTC", False, now=b.confirmation["confirmed_at"] + 3601)  # type: ignore[index]
    assert stale.value.code == "not_confirmed"
    b.schedule(0.0, "UTC", False, now=b.confirmation["confirmed_at"])  # type: ignore[index]
    b.start(1, 2)
    b.dispatched([0, 1.0, "c1"], 2, 2)
    assert (b.status, b.room(), b.sent_total) == ("sending", 0, 2)
    assert all(getattr(e, "slug", "b") == "b" for e in b.pending_events)
