"""Flow definitions, paths, delivery windows and cron (console.md §8): pure rules."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.campaigns.flow_cron import latest_firing, parse_cron
from domain.campaigns.flow_definition import check_steps, check_trigger
from domain.campaigns.flow_paths import after, enter_arm, step_at
from domain.campaigns.flow_rules import InvalidFlow
from domain.campaigns.flow_window import delivery_time

pytestmark = pytest.mark.unit
UTC = dt.UTC


def ts(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=UTC).timestamp()


def test_trigger_defaults_and_refusals() -> None:
    assert check_trigger({"type": "event", "eventName": "Signup"}) == {
        "type": "event",
        "eventName": "Signup",
        "once": True,
        "where": {},
    }
    seg = check_trigger({"type": "segment_enter", "segment": {"tag": "trial"}})
    assert seg["scanMinutes"] == 15 and seg["includeExisting"] is False
    cron = check_trigger({"type": "cron", "cron": "0 9 * * 1-5"})
    assert cron["timezone"] == "UTC" and cron["segment"] == {"all": []}
    for bad, path in (
        ({"type": "event"}, "$.trigger.eventName"),
        ({"type": "rocket"}, "$.trigger.type"),
        ({"type": "cron", "cron": "61 * * * *"}, "$.trigger.cron"),
        ({"type": "cron", "cron": "0 9 * * *", "timezone": "Mars/Base"}, "$.trigger.timezone"),
        ({"type": "segment_enter", "segment": {"teleport": 1}}, "$.trigger.segment.teleport"),
        ({"type": "event", "eventName": "x", "where": {"a": [1]}}, "$.trigger.where"),
    ):
        with pytest.raises(InvalidFlow) as err:
            check_trigger(bad)
        assert err.value.path == path


def test_steps_are_checked_with_paths() -> None:
    ok = [
        {"type": "wait", "value": 1, "unit": "days"},
        {"type": "branch", "test": {"hasTag": "vip"}, "ifTrue": [{"type": "tag", "add": ["x"]}]},
        {"type": "webhook", "url": "https://h.example/x", "failureMode": "fail_run"},
    ]
    assert check_steps(ok) == ok
    cases = [
        ([{"type": "teleport"}], "$.steps[0].type"),
        ([{"type": "wait", "value": 0, "unit": "days"}], "$.steps[0].value"),
        ([{"type": "send", "templateSlug": "news", "color": 1}], "$.steps[0].color"),
        ([{"type": "condition", "test": {"isMartian": True}}], "$.steps[0].test.isMartian"),
        (
            [{"type": "send", "templateSlug": "n", "delivery": {"timeOfDay": "25:00"}}],
            "$.steps[0].delivery.timeOfDay",
        ),
        ([{"type": "wait", "value": 1, "unit": "days"}] * 101, "$.steps"),
    ]
    nested: list = [{"type": "exit"}]
    for _ in range(5):
        nested = [{"type": "branch", "test": {"hasTag": "a"}, "ifTrue": nested}]
    cases.append((nested, "$.steps[0].ifTrue[0].ifTrue[0].ifTrue[0].ifTrue[0].ifTrue"))
    for steps, path in cases:
        with pytest.raises(InvalidFlow) as err:
            check_steps(steps)
        assert err.value.path == path


def test_paths_walk_branches_and_rejoin() -> None:
    branch = {
        "type": "branch",
        "test": {},
        "ifTrue": [{"type": "tag"}],
        "ifFalse": [{"type": "exit"}, {"type": "tag"}],
    }
    steps = [{"type": "wait"}, branch, {"type": "send"}]
    assert step_at(steps, "1.f.1") == {"type": "tag"} and step_at(steps, "9") is None
    assert after(steps, "0") == "1" and enter_arm(steps, "1", False) == "1.f.0"
    assert after(steps, "1.f.0") == "1.f.1" and after(steps, "1.f.1") is None  # arm end: completes
    steps[1] = {**branch, "rejoin": True}
    assert after(steps, "1.f.1") == "2" and after(steps, "2") is None
    steps[1] = {**branch, "ifTrue": [], "rejoin": True}
    assert enter_arm(steps, "1", True) == "2"


def test_delivery_window_rules() -> None:
    slot = {"timeOfDay": "09:00", "timezone": "Europe/Rome"}  # 07:00Z in June
    assert delivery_time(slot, None, ts(2026, 6, 2, 5)) == ts(2026, 6, 2, 7)  # before: the slot
    assert delivery_time(slot, None, ts(2026, 6, 2, 7, 30)) == ts(2026, 6, 2, 7, 30)  # within 1 h: now
    assert delivery_time(slot, None, ts(2026, 6, 2, 8, 30)) == ts(2026, 6, 3, 7)  # later: tomorrow
    sat = ts(2026, 6, 6, 15)
    ny = {"timeOfDay": "09:00", "useContactTimezone": True, "weekdaysOnly": True}
    assert delivery_time(ny, "America/New_York", sat) == ts(2026, 6, 8, 13)  # scenario 30
    assert delivery_time(ny, "Not/AZone", sat) == ts(2026, 6, 8, 9)  # invalid zone: UTC
    assert delivery_time({"weekdaysOnly": True}, None, sat) == ts(2026, 6, 8, 15)
    assert delivery_time(None, None, sat) == sat


def test_cron_latest_firing_within_the_hour() -> None:
    assert parse_cron("*/15 9-17 * * 1-5").matches(dt.datetime(2026, 6, 1, 9, 45))
    assert not parse_cron("0 9 * * 0").matches(dt.datetime(2026, 6, 1, 9, 0))  # a Monday
    assert parse_cron("0 9 1 * 7").matches(dt.datetime(2026, 6, 7, 9, 0))  # day or weekday (Sunday)
    assert latest_firing("0 9 * * *", "UTC", 0, ts(2026, 6, 1, 9, 30)) == ts(2026, 6, 1, 9)
    assert latest_firing("0 9 * * *", "UTC", 0, ts(2026, 6, 1, 10, 30)) is None  # over an hour late
    assert latest_firing("0 9 * * *", "UTC", ts(2026, 6, 1, 9), ts(2026, 6, 1, 9, 30)) is None  # done
    assert latest_firing("0 9 * * *", "America/New_York", 0, ts(2026, 6, 1, 13, 5)) == ts(2026, 6, 1, 13)
    with pytest.raises(ValueError):
        parse_cron("* * *")
