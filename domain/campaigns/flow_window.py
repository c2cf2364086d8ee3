"""Delivery windows of send steps (console.md §8): when a flow's message may go out.

Zone: the contact's (valid) timezone with ``useContactTimezone``, else ``timezone``, else UTC.
With ``timeOfDay``: before today's slot -> the slot; over an hour past it -> tomorrow's slot;
within the hour -> now. ``weekdaysOnly`` moves Saturday and Sunday to Monday, same local time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

GRACE = dt.timedelta(hours=1)
PARK_AFTER = 30.0  # a target further ahead parks the run (send_deferred)


def _zone(name: Any) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_of(delivery: dict[str, Any], contact_timezone: str | None) -> ZoneInfo:
    if delivery.get("useContactTimezone"):
        found = _zone(contact_timezone)
        if found is not None:
            return found
    return _zone(delivery.get("timezone")) or ZoneInfo("UTC")


def _at(local_day: dt.date, hhmm: str, tz: ZoneInfo) -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime(local_day.year, local_day.month, local_day.day, hour, minute, tzinfo=tz)


def delivery_time(delivery: dict[str, Any] | None, contact_timezone: str | None, now: float) -> float:
    """The earliest moment the window allows, as unix seconds (``now`` when unrestricted)."""
    if not delivery:
        return now
    tz = zone_of(delivery, contact_timezone)
    local_now = dt.datetime.fromtimestamp(now, tz)
    target = local_now
    if delivery.get("timeOfDay"):
        slot = _at(local_now.date(), delivery["timeOfDay"], tz)
        if local_now < slot:
            target = slot
        elif local_now - slot > GRACE:
            target = _at(local_now.date() + dt.timedelta(days=1), delivery["timeOfDay"], tz)
    if delivery.get("weekdaysOnly") and target.weekday() >= 5:
        monday = target.date() + dt.timedelta(days=7 - target.weekday())
        target = dt.datetime.combine(monday, target.timetz().replace(tzinfo=None), tzinfo=tz)
    return max(now, target.timestamp())
