"""Every read model of the product, by name: what ``serve`` runs and ``rebuild`` knows."""

from __future__ import annotations

from projections.base import Projection
from projections.event_stats import EventStatsProjection

PROJECTIONS: dict[str, type[Projection]] = {  # type: ignore[type-arg]
    cls.VIEW.NAME: cls for cls in (EventStatsProjection,)
}
