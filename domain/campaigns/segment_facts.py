"""What a segment or a flow predicate looks at: one contact's facts, already opened.

Tags, fields, timezone and locale are sealed per contact (console.md §2.4); the adapter that
builds ``ContactFacts`` opens them in batches and fetches the engagement facts (events,
opens, clicks, hygiene bucket, broadcasts received) only when the segment uses them
(``segment.needs``), so a tag-only segment over 100,000 contacts never reads the sends view.
"""

from __future__ import annotations

from typing import Any

import msgspec

DAY = 86_400.0
# facts a segment may need beyond the contact row (segment.needs names them)
EVENTS, ACTIVITY, ENGAGEMENT, BROADCASTS = "events", "activity", "engagement", "broadcasts"


class Activity(msgspec.Struct, frozen=True):
    """One open or click of one of the contact's sends (``kind`` "open" | "click")."""

    kind: str
    at: float
    template: str | None = None
    bot: bool = False


class ContactFacts(msgspec.Struct, kw_only=True):
    """One contact as predicates see it. ``status`` None = no subscription (``none``).

    ``events``: (name, occurredAt) of its contact events; ``activity``: its opens and clicks;
    ``engagement``: its hygiene bucket (§15: engaged_30|engaged_60|engaged_90|engaged_180|
    inactive|never, None outside the population); ``broadcasts``: slugs it has a send of.
    Flows also pass ``trigger`` (the trigger event's properties) and ``flow_start``.
    """

    contact_id: str
    tags: frozenset[str] = frozenset()
    fields: dict[str, Any] = {}
    status: str | None = None
    created_at: float = 0.0
    subscribed_at: float | None = None
    locale: str | None = None
    timezone: str | None = None
    email: str | None = None
    events: tuple[tuple[str, float], ...] = ()
    activity: tuple[Activity, ...] = ()
    engagement: str | None = None
    broadcasts: frozenset[str] = frozenset()
    trigger: dict[str, Any] | None = None
    flow_start: float | None = None


MISSING: Any = object()


def field_value(fields: dict[str, Any], path: str) -> Any:
    """The value at a dotted path into ``fields``; ``MISSING`` when any step is absent."""
    value: Any = fields
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def since(now: float, within_days: float | None) -> float | None:
    return None if within_days is None else now - within_days * DAY
