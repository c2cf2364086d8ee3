"""Prometheus text from the read models, so every process serves the same numbers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from adapters.bootstrap import Container
from projections.event_stats import EventStatsView


class ViewCollector(Collector):
    def __init__(self, container: Container, auth: Any) -> None:
        self.container = container
        self.auth = auth

    def collect(self) -> Iterator[Any]:
        lag = GaugeMetricFamily("ledgermail_projection_lag_events",
                                "Newest stored position minus the projection's position",
                                labels=["projection"])
        for name, value in self.container.projection_lag().items():
            lag.add_metric([name], value)
        yield lag
        events = CounterMetricFamily("ledgermail_events", "Events stored, by application and type",
                                     labels=["application", "type"])
        view: EventStatsView = self.container.projections["event_stats"].view
        totals: dict[tuple[str, str], int] = {}
        for row in view.all():
            key = (row.application, row.topic)
            totals[key] = totals.get(key, 0) + row.count
        for (app, topic), count in sorted(totals.items()):
            events.add_metric([app, topic], count)
        yield events
        failures = CounterMetricFamily("ledgermail_auth_failures", "401 answers (this process)")
        failures.add_metric([], self.auth.failures)
        yield failures


def render_metrics(container: Container, auth: Any) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ViewCollector(container, auth))
    return generate_latest(registry)
