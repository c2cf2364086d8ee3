from __future__ import annotations

from collections.abc import Sequence

from projections.base import Projection, Recorded
from projections.event_stats.view import EventStatsRow, EventStatsView
from projections.sql import SqlTx


class EventStatsProjection(Projection[EventStatsView]):
    VIEW = EventStatsView
    FOLLOWS = ("tenancy", "sending", "reputation", "content", "campaigns", "monitoring")

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        # Fold the page in memory first: one upsert per (app, type, tenant), not per event.
        totals: dict[tuple[str, str, str], list[float]] = {}
        for rec in page:
            key = (rec.application, type(rec.event).TOPIC, rec.event.meta.tenant_id or "")
            acc = totals.setdefault(key, [0, 0, 0.0])
            acc[0] += 1
            acc[1] = rec.position
            acc[2] = rec.event.timestamp
        self.view.add_counts(
            tx,
            (EventStatsRow(a, t, tn, int(c), int(p), ts) for (a, t, tn), (c, p, ts) in totals.items()),
        )
