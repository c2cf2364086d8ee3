"""Engagement facts for a page of contacts, read only when a segment needs them:
contact events, opens and clicks, the hygiene bucket (§15) and broadcasts received."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from domain.campaigns.segment_facts import ACTIVITY, BROADCASTS, DAY, ENGAGEMENT, EVENTS, Activity
from projections.broadcasts_facts import BroadcastFacts

if TYPE_CHECKING:
    from adapters.bootstrap import Container

SUNSET_DAYS = 180
BUCKETS = ((30, "engaged_30"), (60, "engaged_60"), (90, "engaged_90"), (180, "engaged_180"))


def facts_queries(container: Container) -> BroadcastFacts:
    sends: Any = container.projections["sends"].view
    events: Any = container.projections["contact_events"].view
    return BroadcastFacts(container.db, sends.t("sends"), sends.t("send_activity"),
                          events.t("contact_events"))


def bucket(last_engaged: float | None, first_send: float | None, now: float) -> str | None:
    """Hygiene bucket of a subscriber: engaged_N by days since the last human open/click,
    ``inactive`` past 180 days, ``never`` with sends and no engagement, None without sends."""
    if last_engaged is not None:
        days = (now - last_engaged) / DAY
        return next((name for limit, name in BUCKETS if days <= limit), "inactive")
    return "never" if first_send is not None else None


class FactsLoader:
    def __init__(self, container: Container) -> None:
        self.queries = facts_queries(container)

    def fill(self, tenant_id: str, members: list[Any], extra: set[str], now: float) -> list[Any]:
        ids = [m.contact_id for m in members]
        if EVENTS in extra:
            events: dict[str, list[tuple[str, float]]] = defaultdict(list)
            for contact, name, at in self.queries.contact_events(tenant_id, ids):
                events[contact].append((name, at))
            for m in members:
                m.events = tuple(events.get(m.contact_id, ()))
        if ACTIVITY in extra or ENGAGEMENT in extra:
            self._activity(tenant_id, members, ids, now, ENGAGEMENT in extra)
        if BROADCASTS in extra:
            got: dict[str, set[str]] = defaultdict(set)
            for contact, slug in self.queries.broadcasts_of(tenant_id, ids):
                got[contact].add(slug)
            for m in members:
                m.broadcasts = frozenset(got.get(m.contact_id, ()))
        return members

    def _activity(self, tenant_id: str, members: list[Any], ids: list[str], now: float,
                  engagement: bool) -> None:
        hits: dict[str, list[Activity]] = defaultdict(list)
        for contact, kind, at, template, bot in self.queries.activity_of(tenant_id, ids):
            hits[contact].append(Activity(kind, at, template, bot))
        first = self.queries.first_sends(tenant_id, ids) if engagement else {}
        for m in members:
            m.activity = tuple(hits.get(m.contact_id, ()))
            if engagement:
                human = [a.at for a in m.activity if not a.bot]
                m.engagement = bucket(max(human) if human else None, first.get(m.contact_id), now)
