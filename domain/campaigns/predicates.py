"""Flow predicates (console.md §8) and segments (§9.1) over one contact: the shared evaluator.

Usage (flows and broadcasts alike)::

    from domain.campaigns.predicates import ContactFacts, compile_predicate, compile_segment
    test = compile_predicate(step["test"], "$.steps[2].test")   # raises InvalidPredicate (400)
    ok = test(ContactFacts(contact_id=..., tags=frozenset(...), fields=..., status=...,
                           events=(("Signup", ts), ...), activity=(Activity("open", ts, "news"),),
                           trigger={...}, flow_start=run_started_ts), now)

Predicate leaves take one key each: ``hasTag``/``notHasTag`` (str), ``fieldEquals {field,
value}``, ``fieldExists`` (dotted path), ``triggerPropertyEquals {key, value}``,
``triggerPropertyTruthy`` (key), ``hasFiredEvent {name, sinceFlowStart?, withinDays?}``,
``notHasFiredEvent {name, withinDays?}``, ``subscriptionStatus`` (status or [status]),
``hasOpened``/``hasClicked {templateSlug?, sinceFlowStart?, withinDays?}`` (bots count),
``hasOpenedExcludingBots``/``hasClickedExcludingBots`` (same, humans only),
``openedAtLeastN``/``clickedAtLeastN {count, withinDays}`` (humans), ``matches`` (a §9.1
segment), and ``all``/``any``/``not``; nesting > 5 is refused. ``predicate_needs`` says
which extra facts (events, activity, engagement, broadcasts) a predicate reads, so the
caller loads only those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.campaigns.segment import InvalidSegment, Test, _Walk, compile_segment, needs
from domain.campaigns.segment_facts import (
    ACTIVITY,
    EVENTS,
    MISSING,
    Activity,
    ContactFacts,
    field_value,
    since,
)
from domain.campaigns.segment_leaves import STATUSES, _days, _obj, _text, _texts
from domain.errors import InvalidValue

__all__ = ["Activity", "ContactFacts", "InvalidPredicate", "InvalidSegment", "compile_predicate",
           "compile_segment", "predicate_needs"]
MAX_PREDICATE_DEPTH = 5


class InvalidPredicate(InvalidValue):
    """400 ``validation_failed`` naming the JSON path of the bad predicate node."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}", field=path)
        self.path = path


def _tag(present: bool) -> Callable[[Any, str], Test]:
    def build(value: Any, _path: str) -> Test:
        name = _text(value, "tag", 64)
        return lambda f, now: (name in f.tags) is present
    return build


def _field_equals(value: Any, _path: str) -> Test:
    spec = _obj(value, {"field", "value"}, {"field", "value"})
    path, want = _text(spec["field"], "field", 128), spec["value"]
    return lambda f, now: field_value(f.fields, path) == want


def _field_exists(value: Any, _path: str) -> Test:
    path = _text(value, "field", 128)
    return lambda f, now: field_value(f.fields, path) is not MISSING


def _trigger_equals(value: Any, _path: str) -> Test:
    spec = _obj(value, {"key", "value"}, {"key", "value"})
    key, want = _text(spec["key"], "key", 128), spec["value"]
    return lambda f, now: field_value(f.trigger or {}, key) == want


def _trigger_truthy(value: Any, _path: str) -> Test:
    key = _text(value, "key", 128)

    def test(f: ContactFacts, now: float) -> bool:
        got = field_value(f.trigger or {}, key)
        return got is not MISSING and bool(got)
    return test


def _start(f: ContactFacts, now: float, days: float | None, flow_start: bool) -> float | None:
    marks = [m for m in (since(now, days), f.flow_start if flow_start else None) if m is not None]
    return max(marks) if marks else None


def _fired(present: bool) -> Callable[[Any, str], Test]:
    def build(value: Any, _path: str) -> Test:
        spec = _obj(value, {"name", "withinDays", "sinceFlowStart"} if present else {"name", "withinDays"},
                    {"name"})
        name, days, flow = _text(spec["name"], "name", 128), _days(spec.get("withinDays")), bool(
            spec.get("sinceFlowStart", False))

        def test(f: ContactFacts, now: float) -> bool:
            start = _start(f, now, days, flow)
            return any(n == name and (start is None or at >= start) for n, at in f.events) is present
        return test
    return build


def _status(value: Any, _path: str) -> Test:
    wanted = frozenset([value] if isinstance(value, str) else _texts(value))
    if not wanted <= set(STATUSES):
        raise ValueError(f"statuses are {', '.join(STATUSES)}")
    return lambda f, now: (f.status or "none") in wanted


def _hits(f: ContactFacts, now: float, kind: str, spec: dict[str, Any], bots: bool) -> int:
    start = _start(f, now, _days(spec.get("withinDays")), bool(spec.get("sinceFlowStart", False)))
    template = spec.get("templateSlug")
    return sum(1 for a in f.activity if a.kind == kind and (bots or not a.bot)
               and (start is None or a.at >= start) and (template is None or a.template == template))


def _engaged(kind: str, bots: bool) -> Callable[[Any, str], Test]:
    def build(value: Any, _path: str) -> Test:
        spec = _obj(value if value is not None else {}, {"templateSlug", "sinceFlowStart", "withinDays"})
        _days(spec.get("withinDays"))
        return lambda f, now: _hits(f, now, kind, spec, bots) >= 1
    return build


def _at_least(kind: str) -> Callable[[Any, str], Test]:
    def build(value: Any, _path: str) -> Test:
        spec = _obj(value, {"count", "withinDays"}, {"count", "withinDays"})
        count = spec["count"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError("count must be an integer >= 1")
        _days(spec["withinDays"])
        return lambda f, now: _hits(f, now, kind, spec, False) >= count
    return build


def _matches(value: Any, path: str) -> Test:
    return compile_segment(value, path)


PREDICATES: dict[str, Callable[[Any, str], Test]] = {
    "hasTag": _tag(True), "notHasTag": _tag(False), "fieldEquals": _field_equals,
    "fieldExists": _field_exists, "triggerPropertyEquals": _trigger_equals,
    "triggerPropertyTruthy": _trigger_truthy, "hasFiredEvent": _fired(True),
    "notHasFiredEvent": _fired(False), "subscriptionStatus": _status,
    "hasOpened": _engaged("open", True), "hasClicked": _engaged("click", True),
    "hasOpenedExcludingBots": _engaged("open", False), "hasClickedExcludingBots": _engaged("click", False),
    "openedAtLeastN": _at_least("open"), "clickedAtLeastN": _at_least("click"), "matches": _matches,
}
_FACTS = {"hasFiredEvent": EVENTS, "notHasFiredEvent": EVENTS, "hasOpened": ACTIVITY,
          "hasClicked": ACTIVITY, "hasOpenedExcludingBots": ACTIVITY, "hasClickedExcludingBots": ACTIVITY,
          "openedAtLeastN": ACTIVITY, "clickedAtLeastN": ACTIVITY}


def compile_predicate(doc: Any, path: str = "$.test") -> Test:
    """The test of a flow predicate; raises ``InvalidPredicate`` (or ``InvalidSegment``
    from inside a ``matches``)."""
    return _Walk(PREDICATES, MAX_PREDICATE_DEPTH, InvalidPredicate).node(doc, path, 1)


def predicate_needs(doc: Any) -> set[str]:
    out: set[str] = set()

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key in ("all", "any") and isinstance(value, list):
                for item in value:
                    walk(item)
            elif key == "not":
                walk(value)
            elif key == "matches":
                out.update(needs(value))
            elif key in _FACTS:
                out.add(_FACTS[key])

    walk(doc)
    return out
