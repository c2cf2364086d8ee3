"""Event counts per application, event type and tenant: the store's own vital signs."""

from projections.event_stats.projection import EventStatsProjection
from projections.event_stats.view import EventStatsRow, EventStatsView

__all__ = ["EventStatsProjection", "EventStatsRow", "EventStatsView"]
