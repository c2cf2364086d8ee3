"""A flow's definition: its trigger and its steps, checked the way PATCH must (console.md §8).

Steps are plain JSON (``{"type": "send", "templateSlug": "news"}``), stored as given once they
pass ``check_steps``; a step's *path* is its indexes joined by ``.`` with branch arms ``t``/``f``
(``2.t.0``): the run's position and the last part of its sends' dedupe keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.campaigns.flow_cron import parse_cron
from domain.campaigns.flow_rules import InvalidFlow
from domain.campaigns.predicates import InvalidPredicate, InvalidSegment, compile_predicate, compile_segment

MAX_STEPS, MAX_NESTING = 100, 5
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
EVENT_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
UNITS = {"minutes": 60, "hours": 3600, "days": 86_400, "weeks": 604_800}


def _obj(doc: Any, path: str, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    if not isinstance(doc, dict):
        raise InvalidFlow(path, "must be an object")
    for key in doc:
        if key not in allowed:
            raise InvalidFlow(f"{path}.{key}", "unknown field")
    for key in sorted(required - set(doc)):
        raise InvalidFlow(f"{path}.{key}", "required")
    return doc


def _text(value: Any, path: str, pattern: re.Pattern[str] | None = None, limit: int = 2048) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InvalidFlow(path, f"must be a non-empty string of at most {limit} characters")
    if pattern is not None and not pattern.match(value):
        raise InvalidFlow(path, f"must match {pattern.pattern}")
    return value


def _flag(doc: dict[str, Any], key: str, path: str) -> None:
    if key in doc and not isinstance(doc[key], bool):
        raise InvalidFlow(f"{path}.{key}", "must be true or false")


def _zone(value: Any, path: str) -> None:
    try:
        ZoneInfo(_text(value, path, limit=64))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidFlow(path, "unknown IANA time zone") from exc


def _segment(value: Any, path: str) -> None:
    try:
        compile_segment(value, path)
    except InvalidSegment as exc:
        raise InvalidFlow(exc.path, exc.message) from exc


def check_trigger(doc: Any, path: str = "$.trigger") -> dict[str, Any]:
    """The trigger with its defaults filled in; raises InvalidFlow naming the bad field."""
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "event":
        _obj(doc, path, {"type", "eventName", "once", "where"}, {"eventName"})
        _text(doc["eventName"], f"{path}.eventName", EVENT_NAME)
        _flag(doc, "once", path)
        where = doc.get("where") or {}
        if not isinstance(where, dict) or any(isinstance(v, dict | list) for v in where.values()):
            raise InvalidFlow(f"{path}.where", "must map keys to primitive values")
        return {"type": "event", "eventName": doc["eventName"], "once": doc.get("once", True), "where": where}
    if kind == "segment_enter":
        _obj(doc, path, {"type", "segment", "includeExisting", "scanMinutes"}, {"segment"})
        _segment(doc["segment"], f"{path}.segment")
        _flag(doc, "includeExisting", path)
        minutes = doc.get("scanMinutes", 15)
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 10_080:
            raise InvalidFlow(f"{path}.scanMinutes", "must be an integer from 1 to 10080")
        return {
            "type": kind,
            "segment": doc["segment"],
            "includeExisting": doc.get("includeExisting", False),
            "scanMinutes": minutes,
        }
    if kind == "cron":
        _obj(doc, path, {"type", "cron", "timezone", "segment"}, {"cron"})
        try:
            parse_cron(_text(doc["cron"], f"{path}.cron", limit=120))
        except ValueError as exc:
            raise InvalidFlow(f"{path}.cron", str(exc)) from exc
        _zone(doc.get("timezone", "UTC"), f"{path}.timezone")
        segment = doc.get("segment", {"all": []})
        _segment(segment, f"{path}.segment")
        return {"type": kind, "cron": doc["cron"], "timezone": doc.get("timezone", "UTC"), "segment": segment}
    raise InvalidFlow(f"{path}.type", "must be event, segment_enter or cron")


def _test(value: Any, path: str) -> None:
    try:
        compile_predicate(value, path)
    except (InvalidPredicate, InvalidSegment) as exc:
        raise InvalidFlow(exc.path, exc.message) from exc


def _wait(s: dict[str, Any], p: str) -> None:
    _obj(s, p, {"type", "value", "unit"}, {"value", "unit"})
    if isinstance(s["value"], bool) or not isinstance(s["value"], int) or s["value"] < 1:
        raise InvalidFlow(f"{p}.value", "must be an integer >= 1")
    if s["unit"] not in UNITS:
        raise InvalidFlow(f"{p}.unit", "must be minutes, hours, days or weeks")


def _condition(s: dict[str, Any], p: str) -> None:
    _obj(s, p, {"type", "test", "ifFalse"}, {"test"})
    _test(s["test"], f"{p}.test")
    if s.get("ifFalse", "continue") not in ("continue", "exit"):
        raise InvalidFlow(f"{p}.ifFalse", "must be continue or exit")


def _send(s: dict[str, Any], p: str) -> None:
    _obj(s, p, {"type", "templateSlug", "vars", "accountId", "delivery"}, {"templateSlug"})
    _text(s["templateSlug"], f"{p}.templateSlug", SLUG)
    if "vars" in s and not isinstance(s["vars"], dict):
        raise InvalidFlow(f"{p}.vars", "must be an object")
    if s.get("accountId") is not None:
        _text(s["accountId"], f"{p}.accountId", limit=200)
    if "delivery" in s:
        d = _obj(
            s["delivery"], f"{p}.delivery", {"weekdaysOnly", "timeOfDay", "useContactTimezone", "timezone"}
        )
        _flag(d, "weekdaysOnly", f"{p}.delivery")
        _flag(d, "useContactTimezone", f"{p}.delivery")
        if d.get("timeOfDay") is not None:
            _text(d["timeOfDay"], f"{p}.delivery.timeOfDay", TIME_OF_DAY)
        if d.get("timezone") is not None:
            _zone(d["timezone"], f"{p}.delivery.timezone")


def _tags(value: Any, path: str) -> None:
    if not isinstance(value, list) or not all(isinstance(t, str) and 1 <= len(t) <= 64 for t in value):
        raise InvalidFlow(path, "must be a list of tags of 1-64 characters")


def _tag(s: dict[str, Any], p: str) -> None:
    _obj(s, p, {"type", "add", "remove"})
    for key in ("add", "remove"):
        if key in s:
            _tags(s[key], f"{p}.{key}")


def _exit(s: dict[str, Any], p: str) -> None:
    _obj(s, p, {"type", "reason"})
    if s.get("reason") is not None:
        _text(s["reason"], f"{p}.reason", limit=200)


def _fire(s: dict[str, Any], p: str) -> None:
    _obj(s, p, {"type", "eventName", "properties"}, {"eventName"})
    _text(s["eventName"], f"{p}.eventName", EVENT_NAME)
    if "properties" in s and not isinstance(s["properties"], dict):
        raise InvalidFlow(f"{p}.properties", "must be an object")


def _webhook(s: dict[str, Any], p: str) -> None:
    _obj(s, p, {"type", "url", "method", "payload", "failureMode"}, {"url"})
    url = _text(s["url"], f"{p}.url")
    if not re.match(r"^https?://[^\s/]+", url):
        raise InvalidFlow(f"{p}.url", "must be an http(s) URL")
    if s.get("method", "POST") not in ("POST", "PUT"):
        raise InvalidFlow(f"{p}.method", "must be POST or PUT")
    if s.get("failureMode", "soft") not in ("soft", "fail_run"):
        raise InvalidFlow(f"{p}.failureMode", "must be soft or fail_run")


CHECKS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "wait": _wait,
    "condition": _condition,
    "send": _send,
    "tag": _tag,
    "exit": _exit,
    "fire_event": _fire,
    "webhook": _webhook,
}


def check_steps(steps: Any, path: str = "$.steps") -> list[dict[str, Any]]:
    """Refuses unknown steps or predicates, bad fields, > 100 steps, nesting > 5."""
    counted = [0]
    _check_list(steps, path, 1, counted)
    if counted[0] > MAX_STEPS:
        raise InvalidFlow(path, f"more than {MAX_STEPS} steps")
    return list(steps)


def _check_list(steps: Any, path: str, depth: int, counted: list[int]) -> None:
    if depth > MAX_NESTING:
        raise InvalidFlow(path, f"nested deeper than {MAX_NESTING}")
    if not isinstance(steps, list):
        raise InvalidFlow(path, "must be a list of steps")
    for i, step in enumerate(steps):
        p = f"{path}[{i}]"
        counted[0] += 1
        kind = step.get("type") if isinstance(step, dict) else None
        if kind == "branch":
            _obj(step, p, {"type", "test", "ifTrue", "ifFalse", "rejoin"}, {"test"})
            _test(step["test"], f"{p}.test")
            _flag(step, "rejoin", p)
            for arm in ("ifTrue", "ifFalse"):
                _check_list(step.get(arm, []), f"{p}.{arm}", depth + 1, counted)
        elif kind in CHECKS:
            CHECKS[kind](step, p)
        else:
            raise InvalidFlow(f"{p}.type", f"unknown step {str(kind)[:64]!r}")
