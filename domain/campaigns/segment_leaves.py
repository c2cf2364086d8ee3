"""Each leaf of the §9.1 segment language: a builder ``(value, path) -> test``.

Builders check their value and raise ValueError/TypeError (the walker turns that into
``invalid_segment`` with the path); tests read only ContactFacts and the ``now`` they get.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.campaigns.segment_facts import MISSING, ContactFacts, field_value, since

Test = Callable[[ContactFacts, float], bool]
STATUSES = ("subscribed", "pending_doi", "unsubscribed", "bounced", "complained", "none")
ENGAGEMENTS = ("engaged_30", "engaged_60", "engaged_90", "engaged_180", "inactive", "never")
OPS = ("eq", "ne", "in", "nin", "gt", "gte", "lt", "lte", "exists", "contains")


def _text(value: Any, what: str = "value", limit: int = 256) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise ValueError(f"{what} must be a string of 1-{limit} characters")
    return value


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ValueError("must be a non-empty list of strings")
    return [_text(v) for v in value]


def _obj(value: Any, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    if not isinstance(value, dict):
        raise ValueError("must be an object")
    extra = set(value) - allowed
    if extra:
        raise ValueError(f"unknown key {sorted(extra)[0]!r}")
    missing = required - set(value)
    if missing:
        raise ValueError(f"{sorted(missing)[0]!r} is required")
    return value


def _days(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError("withinDays must be a positive number")
    return float(value)


def timestamp(value: Any) -> float | None:
    """An ISO-8601 datetime string as epoch seconds; None when it is not one."""
    if not isinstance(value, str) or len(value) < 10 or value[4:5] != "-":
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


def tag(value: Any, _path: str) -> Test:
    name = _text(value, "tag", 64)
    return lambda f, now: name in f.tags


def tag_any(value: Any, _path: str) -> Test:
    names = frozenset(_texts(value))
    return lambda f, now: not names.isdisjoint(f.tags)


def _ordered(a: Any, b: Any) -> tuple[Any, Any] | None:
    """Comparable pair: two numbers, or two ISO datetimes; else None (never true)."""
    if _number(a) and _number(b):
        return a, b
    ta, tb = timestamp(a), timestamp(b)
    return (ta, tb) if ta is not None and tb is not None else None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1 and "1" != 1."""
    if _number(a) and _number(b):
        return bool(a == b)
    return type(a) is type(b) and a == b


def _compare(op: str, have: Any, want: Any) -> bool:
    if have is MISSING:
        return op in ("ne", "nin")
    if op == "exists":
        return True
    if op in ("eq", "ne"):
        same = json_equal(have, want)
        return same if op == "eq" else not same
    if op in ("in", "nin"):
        inside = any(_compare("eq", have, w) for w in want)
        return inside if op == "in" else not inside
    if op == "contains":
        if isinstance(have, str):
            return isinstance(want, str) and want in have
        return isinstance(have, list) and any(_compare("eq", h, want) for h in have)
    pair = _ordered(have, want)
    if pair is None:
        return False
    a, b = pair
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


def field(value: Any, _path: str) -> Test:
    spec = _obj(value, {"path", "op", "value"}, {"path", "op"})
    path, op = _text(spec["path"], "path", 128), spec["op"]
    if op not in OPS:
        raise ValueError(f"op must be one of {', '.join(OPS)}")
    if op != "exists" and "value" not in spec:
        raise ValueError(f"op {op} needs a value")
    want = spec.get("value")
    if op in ("in", "nin") and not isinstance(want, list):
        raise ValueError(f"op {op} needs a list value")
    return lambda f, now: _compare(op, field_value(f.fields, path), want)


def subscription(value: Any, _path: str) -> Test:
    wanted = frozenset([value] if isinstance(value, str) else _texts(value))
    if not wanted <= set(STATUSES):
        raise ValueError(f"statuses are {', '.join(STATUSES)}")
    return lambda f, now: (f.status or "none") in wanted


def _between(value: Any) -> tuple[float | None, float | None]:
    spec = _obj(value, {"after", "before"})
    bounds = []
    for key in ("after", "before"):
        raw = spec.get(key)
        ts = None if raw is None else timestamp(raw)
        if raw is not None and ts is None:
            raise ValueError(f"{key} must be an ISO-8601 datetime with a zone")
        bounds.append(ts)
    return bounds[0], bounds[1]


def _within(at: float | None, after: float | None, before: float | None) -> bool:
    return at is not None and (after is None or at >= after) and (before is None or at < before)


def subscribed_between(value: Any, _path: str) -> Test:
    after, before = _between(value)
    return lambda f, now: _within(f.subscribed_at, after, before)


def created_between(value: Any, _path: str) -> Test:
    after, before = _between(value)
    return lambda f, now: _within(f.created_at, after, before)


def locale(value: Any, _path: str) -> Test:
    want = _text(value, "locale", 64).lower()
    return lambda f, now: f.locale is not None and (
        f.locale.lower() == want or f.locale.lower().startswith(want + "-"))


def event(value: Any, _path: str) -> Test:
    spec = _obj(value, {"name", "withinDays", "minCount"}, {"name"})
    name, days = _text(spec["name"], "name", 128), _days(spec.get("withinDays"))
    least = spec.get("minCount", 1)
    if isinstance(least, bool) or not isinstance(least, int) or least < 1:
        raise ValueError("minCount must be an integer >= 1")

    def test(f: ContactFacts, now: float) -> bool:
        start = since(now, days)
        return sum(1 for n, at in f.events if n == name and (start is None or at >= start)) >= least

    return test


def _activity(kind: str) -> Callable[[Any, str], Test]:
    def build(value: Any, _path: str) -> Test:
        spec = _obj(value, {"withinDays", "template", "includeBots"})
        days, template = _days(spec.get("withinDays")), spec.get("template")
        if template is not None:
            _text(template, "template", 60)
        bots = spec.get("includeBots", False)
        if not isinstance(bots, bool):
            raise ValueError("includeBots must be a boolean")

        def test(f: ContactFacts, now: float) -> bool:
            start = since(now, days)
            return any(a.kind == kind and (bots or not a.bot) and (start is None or a.at >= start)
                       and (template is None or a.template == template) for a in f.activity)

        return test

    return build


def engagement(value: Any, _path: str) -> Test:
    if value not in ENGAGEMENTS:
        raise ValueError(f"engagement is one of {', '.join(ENGAGEMENTS)}")
    return lambda f, now: f.engagement == value


def received_broadcast(value: Any, _path: str) -> Test:
    slug = _text(value, "slug", 60)
    return lambda f, now: slug in f.broadcasts


LEAVES: dict[str, Callable[[Any, str], Test]] = {
    "tag": tag, "tagAny": tag_any, "field": field, "subscription": subscription,
    "subscribedBetween": subscribed_between, "createdBetween": created_between, "locale": locale,
    "event": event, "opened": _activity("open"), "clicked": _activity("click"),
    "engagement": engagement, "receivedBroadcast": received_broadcast,
}
