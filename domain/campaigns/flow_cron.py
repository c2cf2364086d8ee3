"""Five-field cron (minute hour day-of-month month day-of-week) for ``cron`` triggers.

Supports ``*``, numbers, ranges ``a-b``, lists and steps (``*/15``, ``1-10/2``); day-of-week 0-7
(0 and 7 are Sunday); when both day fields are restricted either may match (classic cron).
Firings are looked for minute by minute in the trigger's zone: only the latest missed firing
within the last hour counts (console.md §8), so a search never walks more than 61 minutes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import msgspec

BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
CATCH_UP = 3600.0


class Cron(msgspec.Struct, frozen=True):
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    def matches(self, t: dt.datetime) -> bool:
        if t.minute not in self.minutes or t.hour not in self.hours or t.month not in self.months:
            return False
        day_ok, weekday_ok = t.day in self.days, (t.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok


def _field(text: str, low: int, high: int) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"bad step in {part!r}")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = int(base)
            end = high if step_text else start
        if not low <= start <= end <= high:
            raise ValueError(f"{part!r} is outside {low}-{high}")
        out.update(range(start, end + 1, step))
    return out


def parse_cron(expr: str) -> Cron:
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError("cron needs 5 fields: minute hour day-of-month month day-of-week")
    try:
        sets = [_field(f, lo, hi) for f, (lo, hi) in zip(fields, BOUNDS, strict=True)]
    except ValueError as exc:
        raise ValueError(f"bad cron {expr!r}: {exc}") from exc
    weekdays = {d % 7 for d in sets[4]}
    return Cron(
        frozenset(sets[0]),
        frozenset(sets[1]),
        frozenset(sets[2]),
        frozenset(sets[3]),
        frozenset(weekdays),
        fields[2] == "*",
        fields[4] == "*",
    )


def latest_firing(expr: str, zone: str, after: float, now: float) -> float | None:
    """The newest firing in (after, now] no older than an hour, as unix seconds; else None."""
    cron, tz = parse_cron(expr), ZoneInfo(zone)
    minute = float(int(now // 60) * 60)
    floor = max(after, now - CATCH_UP)
    while minute > floor:
        if cron.matches(dt.datetime.fromtimestamp(minute, tz)):
            return minute
        minute -= 60
    return None
