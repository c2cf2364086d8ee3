"""Prometheus text from the read models, so every process serves the same numbers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from adapters.bootstrap import Container
from projections.event_stats import EventStatsView
from projections.sending import MessagesView, SendMetricsView
from projections.sending.metrics_view import LATENCY, LE, Sample

# series name in send_metrics -> (family name without "_total": the client appends it, help, labels)
COUNTERS: dict[str, tuple[str, str, list[str]]] = {
    "sent_total": ("ledgermail_sent", "Messages the SMTP server accepted", ["tenant_id", "account_id"]),
    "errors_total": ("ledgermail_errors", "Messages failed permanently",
                     ["tenant_id", "account_id", "error_code"]),
    "deferred_total": ("ledgermail_deferred", "Deferrals (rate_limit, temporary_failure)",
                       ["tenant_id", "account_id", "reason"]),
    "rate_limited_total": ("ledgermail_rate_limited", "Rate-limit hits at claim time",
                           ["tenant_id", "account_id", "scope", "behavior"]),
    "rejected_total": ("ledgermail_rejected", "Submissions rejected at acceptance", ["tenant_id", "reason"]),
    "bounces_total": ("ledgermail_bounces", "Bounces matched to a message", ["tenant_id", "bounce_type"]),
    "complaints_total": ("ledgermail_complaints", "Complaints matched to a message", ["tenant_id"]),
    "reports_failed_total": ("ledgermail_reports_failed", "Delivery-report POSTs not acknowledged "
                             "(non-2xx, timeout, connection error)", ["tenant_id"]),
    "inbound_reports_total": ("ledgermail_inbound_reports",
                              "Bounce and complaint mails ingested (kind bounce|complaint|ignored, "
                              "matched to a message or not)", ["kind", "matched"]),
}
ACCOUNT_LABELS = ["tenant_id", "account_id"]


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
        yield self._events()
        failures = CounterMetricFamily("ledgermail_auth_failures", "401 answers (this process)")
        failures.add_metric([], self.auth.failures)
        yield failures
        metrics: SendMetricsView = self.container.projections["send_metrics"].view
        samples = metrics.samples()
        yield from _counters(samples)
        yield _latency(samples)
        yield self._pending(samples)
        yield from self._bounce_polls()

    def _bounce_polls(self) -> Iterator[CounterMetricFamily]:
        """The IMAP poller's polls and failed polls per mailbox (proxy.md §10.1), shared by
        every process through the mailbox progress table."""
        polls = CounterMetricFamily("ledgermail_bounce_polls", "Bounce mailbox polls", labels=["mailbox"])
        errors = CounterMetricFamily("ledgermail_bounce_poll_errors", "Bounce mailbox polls that failed",
                                     labels=["mailbox"])
        for state in self.container.mailbox_progress.states():
            polls.add_metric([state.mailbox], state.polls)
            errors.add_metric([state.mailbox], state.errors)
        yield polls
        yield errors

    def _events(self) -> CounterMetricFamily:
        events = CounterMetricFamily("ledgermail_events", "Events stored, by application and type",
                                     labels=["application", "type"])
        view: EventStatsView = self.container.projections["event_stats"].view
        totals: dict[tuple[str, str], int] = {}
        for row in view.all():
            key = (row.application, row.topic)
            totals[key] = totals.get(key, 0) + row.count
        for (app, topic), count in sorted(totals.items()):
            events.add_metric([app, topic], count)
        return events

    def _pending(self, samples: list[Sample]) -> GaugeMetricFamily:
        """Waiting or in-flight messages; 0 for every registered account with none."""
        gauge = GaugeMetricFamily("ledgermail_pending_messages", "Messages pending, deferred or sending",
                                  labels=ACCOUNT_LABELS)
        messages: MessagesView = self.container.projections["messages"].view
        counts = dict.fromkeys(_accounts(samples), 0) | messages.pending_by_account()
        for (tenant_id, account_id), count in sorted(counts.items()):
            gauge.add_metric([tenant_id, account_id], count)
        return gauge


def _accounts(samples: list[Sample]) -> list[tuple[str, str]]:
    return [(labels["tenant_id"], labels["account_id"]) for name, labels, _ in samples
            if name == "sent_total"]


def _counters(samples: list[Sample]) -> Iterator[CounterMetricFamily]:
    families = {series: CounterMetricFamily(name, doc, labels=labels)
                for series, (name, doc, labels) in COUNTERS.items()}
    for name, labels, value in samples:
        family = families.get(name)
        if family is not None:
            family.add_metric([labels[k] for k in COUNTERS[name][2]], value)
    yield from families.values()


def _latency(samples: list[Sample]) -> HistogramMetricFamily:
    """Per (tenant, account): cumulative buckets, count and sum, folded from their series."""
    family = HistogramMetricFamily(f"ledgermail_{LATENCY}",
                                   "From ready time (max of accepted_ts, deferred_until) to the outcome",
                                   labels=ACCOUNT_LABELS)
    series: dict[tuple[str, str], dict[str, float]] = {}
    for name, labels, value in samples:
        if name.startswith(LATENCY):
            parts = series.setdefault((labels["tenant_id"], labels["account_id"]), {})
            parts[labels.get("le", name.removeprefix(f"{LATENCY}_"))] = value
    for key, parts in sorted(series.items()):
        buckets = [(le, parts.get(le, 0.0)) for le in LE]
        family.add_metric(list(key), buckets, sum_value=parts.get("sum", 0.0))
    return family


def render_metrics(container: Container, auth: Any) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ViewCollector(container, auth))
    return generate_latest(registry)
