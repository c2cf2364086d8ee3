"""The segment language (console.md §9.1) and flow predicates (§8) over ContactFacts."""

from __future__ import annotations

from typing import Any

import pytest

from domain.campaigns.predicates import Activity, ContactFacts, InvalidPredicate, compile_predicate
from domain.campaigns.segment import InvalidSegment, compile_segment, needs
from domain.campaigns.segment_facts import ACTIVITY, BROADCASTS, DAY, ENGAGEMENT, EVENTS
from domain.campaigns.segment_leaves import timestamp

pytestmark = pytest.mark.unit
NOW = timestamp("2026-06-01T00:00:00.000Z") or 0.0


def facts(**kw: Any) -> ContactFacts:
    base: dict[str, Any] = {"contact_id": "c1", "tags": frozenset({"vip", "eu"}), "status": "subscribed",
                            "fields": {"plan": "pro", "age": 3, "seen": "2026-05-01T00:00:00Z",
                                       "list": ["a", "b"], "nested": {"x": 1}},
                            "created_at": NOW - 10 * DAY, "subscribed_at": NOW - 5 * DAY, "locale": "de-AT"}
    return ContactFacts(**{**base, **kw})


def hit(segment: Any, f: ContactFacts | None = None) -> bool:
    return compile_segment(segment)(f or facts(), NOW)


@pytest.mark.parametrize(("segment", "expected"), [
    ({"all": []}, True), ({"any": []}, False), ({"not": {"all": []}}, False),
    ({"tag": "vip"}, True), ({"tag": "us"}, False), ({"tagAny": ["us", "eu"]}, True),
    ({"field": {"path": "plan", "op": "eq", "value": "pro"}}, True),
    ({"field": {"path": "age", "op": "eq", "value": 3.0}}, True),
    ({"field": {"path": "age", "op": "eq", "value": True}}, False),
    ({"field": {"path": "nested.x", "op": "gte", "value": 1}}, True),
    ({"field": {"path": "seen", "op": "lt", "value": "2026-05-02T00:00:00.000Z"}}, True),
    ({"field": {"path": "plan", "op": "gt", "value": 1}}, False),
    ({"field": {"path": "plan", "op": "contains", "value": "r"}}, True),
    ({"field": {"path": "list", "op": "contains", "value": "b"}}, True),
    ({"field": {"path": "plan", "op": "in", "value": ["free", "pro"]}}, True),
    ({"field": {"path": "missing", "op": "ne", "value": 1}}, True),
    ({"field": {"path": "missing", "op": "nin", "value": [1]}}, True),
    ({"field": {"path": "missing", "op": "eq", "value": None}}, False),
    ({"field": {"path": "missing", "op": "exists"}}, False),
    ({"subscription": "subscribed"}, True), ({"subscription": ["none", "bounced"]}, False),
    ({"createdBetween": {"after": "2026-05-01T00:00:00Z", "before": "2026-06-01T00:00:00Z"}}, True),
    ({"subscribedBetween": {"before": "2026-05-20T00:00:00Z"}}, False),
    ({"locale": "de"}, True), ({"locale": "de-AT"}, True), ({"locale": "d"}, False),
])
def test_leaves(segment: Any, expected: bool) -> None:
    assert hit(segment) is expected


def test_engagement_leaves() -> None:
    f = facts(events=(("Signup", NOW - 2 * DAY), ("Signup", NOW - 40 * DAY)),
              activity=(Activity("open", NOW - DAY, "news", False),
                        Activity("click", NOW - DAY, "news", True)),
              engagement="engaged_30", broadcasts=frozenset({"spring"}))
    assert hit({"event": {"name": "Signup", "minCount": 2}}, f)
    assert not hit({"event": {"name": "Signup", "withinDays": 30, "minCount": 2}}, f)
    assert hit({"opened": {"template": "news"}}, f) and not hit({"clicked": {}}, f)
    assert hit({"clicked": {"includeBots": True}}, f)
    assert hit({"engagement": "engaged_30"}, f) and hit({"receivedBroadcast": "spring"}, f)
    assert facts().status == "subscribed" and hit({"subscription": "none"}, facts(status=None))


@pytest.mark.parametrize(("segment", "path"), [
    ({"teleport": 1}, "$.segment.teleport"),
    ({"all": [{"tag": "a"}, {"tag": 5}]}, "$.segment.all[1].tag"),
    ({"field": {"path": "a", "op": "like", "value": 1}}, "$.segment.field"),
    ({"tag": "a", "tagAny": ["b"]}, "$.segment"),
    ({"not": {"not": {"not": {"not": {"not": {"not": {"tag": "a"}}}}}}}, "$.segment.not.not.not.not.not.not"),
    ({"any": [{"tag": "a"}] * 101}, "$.segment.any[100].tag"),
])
def test_invalid_segments_name_their_path(segment: Any, path: str) -> None:
    with pytest.raises(InvalidSegment) as bad:
        compile_segment(segment)
    assert bad.value.code == "invalid_segment" and bad.value.status == 400 and bad.value.path == path


def test_needs_names_the_facts_beyond_the_row() -> None:
    assert needs({"all": [{"tag": "a"}]}) == set()
    assert needs({"any": [{"event": {"name": "x"}}, {"not": {"opened": {}}}, {"engagement": "never"},
                          {"receivedBroadcast": "b"}]}) == {EVENTS, ACTIVITY, ENGAGEMENT, BROADCASTS}


def test_flow_predicates() -> None:
    f = facts(trigger={"plan": "pro", "flag": 0}, flow_start=NOW - DAY,
              events=(("Paid", NOW - 2 * DAY),), activity=(Activity("open", NOW - 3600, "news", False),))
    assert compile_predicate({"all": [{"hasTag": "vip"}, {"notHasTag": "us"}]})(f, NOW)
    assert compile_predicate({"fieldEquals": {"field": "plan", "value": "pro"}})(f, NOW)
    assert compile_predicate({"triggerPropertyEquals": {"key": "plan", "value": "pro"}})(f, NOW)
    assert not compile_predicate({"triggerPropertyTruthy": "flag"})(f, NOW)
    assert compile_predicate({"hasFiredEvent": {"name": "Paid"}})(f, NOW)
    assert not compile_predicate({"hasFiredEvent": {"name": "Paid", "sinceFlowStart": True}})(f, NOW)
    assert compile_predicate({"hasOpenedExcludingBots": {"sinceFlowStart": True}})(f, NOW)
    assert compile_predicate({"matches": {"tag": "eu"}})(f, NOW)
    with pytest.raises(InvalidPredicate):
        compile_predicate({"teleport": 1})
    with pytest.raises(InvalidPredicate):
        compile_predicate({"not": {"not": {"not": {"not": {"not": {"hasTag": "a"}}}}}})
