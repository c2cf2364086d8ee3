"""When each broadcast send may go (console.md §9.2 "Send time"): the recipient's local
time and the per-minute throttle, as pure functions of the schedule."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from domain.console.personal import timezone_ok


@lru_cache(maxsize=512)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@lru_cache(maxsize=4096)
def local_target(scheduled_at: float, schedule_tz: str, contact_tz: str | None) -> float:
    """The first instant >= ``scheduled_at`` whose wall clock in the contact's zone (else the
    schedule's) equals that of ``scheduled_at`` in ``schedule_tz``; zones ahead get the next day."""
    zone_name = contact_tz if contact_tz and timezone_ok(contact_tz) else schedule_tz
    wall = datetime.fromtimestamp(scheduled_at, tz=UTC).astimezone(_zone(schedule_tz))
    zone = _zone(zone_name)
    for days in range(3):
        day = (wall + timedelta(days=days)).date()
        candidate = datetime(day.year, day.month, day.day, wall.hour, wall.minute, wall.second,
                             wall.microsecond, tzinfo=zone).timestamp()
        if candidate >= scheduled_at - 1e-6:
            return candidate
    return scheduled_at


def send_time(target: float, start: float, k: int, rate_per_minute: int | None) -> float:
    """``max(T, start + floor(k / ratePerMinute) min)`` for the k-th send since the start."""
    if not rate_per_minute:
        return target
    return max(target, start + (k // rate_per_minute) * 60.0)
