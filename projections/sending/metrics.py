"""The ``send_metrics`` projection: Message outcomes and account registrations to series.

A page is folded in memory (series deltas, per-message ready rows) and written with a few
``executemany`` calls. Counters only ever add, so the interleaving of the sending and
tenancy logs cannot change a value; latency reads only the sending log's own order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.bounces.inbound_report import InboundReport
from domain.sending.cleanup import Cleanup
from domain.sending.content import QueueFields
from domain.sending.message import Message
from domain.sending.report_batch import ReportBatch
from domain.tenancy.account import Account
from projections.base import Projection, Recorded
from projections.sending.metrics_view import BUCKETS, LATENCY, LE, SUM_SCALE, SendMetricsView, label_key
from projections.sql import SqlTx

CLEANED_UP = Cleanup.MessagesCleanedUp.TOPIC
INBOUND = InboundReport.Ingested.TOPIC
REPORT_FAILED = ReportBatch.Failed.TOPIC
TENANT, ACCOUNT, ACCEPTED, READY, IN_FLIGHT = range(5)  # a ready row, as a list
OUTCOMES = frozenset(c.TOPIC for c in (Message.Sent, Message.Deferred, Message.Failed))
COUNTED = frozenset(c.TOPIC for c in (
    Message.AttemptStarted, Message.AttemptAbandoned, Message.Cancelled, Message.Bounced,
    Message.Complained)) | OUTCOMES


def _ready_at(fields: QueueFields, accepted_ts: float, ts: float) -> float:
    """max(accepted_ts, deferred_until): a deferred_ts already past at ``ts`` defers nothing."""
    if fields.deferred_ts is not None and fields.deferred_ts > ts:
        return max(accepted_ts, fields.deferred_ts)
    return accepted_ts


_BOUNDS = (*BUCKETS, float("inf"))


class _Page:
    def __init__(self) -> None:
        self.deltas: dict[tuple[str, str], float] = {}
        self.ready: dict[str, list[Any] | None] = {}  # None: delete
        # label keys are JSON texts: made once per label set and page, not once per count
        self._keys: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._latency: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def count(self, metric: str, value: float = 1.0, **labels: str) -> None:
        memo = (metric, *labels.items())
        key = self._keys.get(memo)
        if key is None:
            key = self._keys[memo] = (metric, label_key(labels))
        self.deltas[key] = self.deltas.get(key, 0.0) + value

    def _latency_keys(self, tenant_id: str, account_id: str) -> list[tuple[str, str]]:
        """The keys of a series' buckets (in ``LE`` order), then of its count and its sum."""
        keys = self._latency.get((tenant_id, account_id))
        if keys is None:
            labels = {"tenant_id": tenant_id, "account_id": account_id}
            keys = [(f"{LATENCY}_bucket", label_key({**labels, "le": le})) for le in LE]
            keys += [(f"{LATENCY}_count", label_key(labels)), (f"{LATENCY}_sum", label_key(labels))]
            self._latency[(tenant_id, account_id)] = keys
        return keys

    def zero_series(self, tenant_id: str, account_id: str) -> None:
        """Spec §13: an account's series exist, at 0, from its registration."""
        self.count("sent_total", 0.0, tenant_id=tenant_id, account_id=account_id)
        self.observe(tenant_id, account_id, None)

    def observe(self, tenant_id: str, account_id: str, seconds: float | None) -> None:
        """One latency observation (None: only make sure the series exist)."""
        add = 0.0 if seconds is None else 1.0
        keys, deltas = self._latency_keys(tenant_id, account_id), self.deltas
        for key, bound in zip(keys, _BOUNDS, strict=False):
            hit = add if seconds is None or seconds <= bound else 0.0
            deltas[key] = deltas.get(key, 0.0) + hit
        micros = 0.0 if seconds is None else float(round(seconds * SUM_SCALE))
        for key, value in ((keys[-2], add), (keys[-1], micros)):
            deltas[key] = deltas.get(key, 0.0) + value

    def outcome(self, row: list[Any], event: Any) -> None:
        tenant_id, account_id = row[TENANT], row[ACCOUNT] or ""
        labels = {"tenant_id": tenant_id, "account_id": account_id}
        if isinstance(event, Message.Sent):
            self.count("sent_total", **labels)
        elif isinstance(event, Message.Deferred):
            self.count("deferred_total", reason=event.reason, **labels)
            if event.reason == "rate_limit":
                self.count("rate_limited_total", scope=_scope(event), behavior="defer", **labels)
        else:
            self.count("errors_total", error_code=event.error_code, **labels)
            if event.error_code == "rate_limit_exceeded":
                self.count("rate_limited_total", scope=_scope(event), behavior="reject", **labels)
        if row[IN_FLIGHT]:  # an attempt's outcome, not a claim-time verdict
            self.observe(tenant_id, account_id, max(0.0, event.timestamp - row[READY]))
        row[IN_FLIGHT] = 0
        if isinstance(event, Message.Deferred):
            row[READY] = event.until


def _scope(event: Any) -> str:
    # The events carry no limiter scope yet; "account" until the dispatcher records one.
    return str(getattr(event, "scope", None) or "account")


def _needed(page: Sequence[Recorded]) -> list[str]:
    """Pks whose stored ready row the page reads: their first event here is not a Queued."""
    seen: set[str] = set()
    need: list[str] = []
    for rec in page:
        topic, event = type(rec.event).TOPIC, rec.event
        if topic == CLEANED_UP:
            seen.update(event.message_pks)
        elif topic in COUNTED or topic in (Message.Queued.TOPIC, Message.Updated.TOPIC):
            pk = rec.pk
            if pk not in seen and topic != Message.Queued.TOPIC:
                need.append(pk)
            seen.add(pk)
    return need


class SendMetricsProjection(Projection[SendMetricsView]):
    VIEW = SendMetricsView
    FOLLOWS = ("sending", "tenancy")
    TOPICS = frozenset({Message.Queued.TOPIC, Message.Updated.TOPIC, Message.Rejected.TOPIC, *COUNTED,
                        Account.Registered.TOPIC, CLEANED_UP, INBOUND, REPORT_FAILED})

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        work = _Page()
        work.ready.update(self.view.load_ready(tx, _needed(page)))
        for rec in page:
            self._apply(work, type(rec.event).TOPIC, rec.event, rec.pk)
        self.view.put_ready(tx, [(pk, *row) for pk, row in work.ready.items() if row is not None])
        self.view.delete_ready(tx, [pk for pk, row in work.ready.items() if row is None])
        self.view.add(tx, work.deltas)

    @staticmethod
    def _apply(work: _Page, topic: str, e: Any, pk: str) -> None:
        if topic == Account.Registered.TOPIC:
            work.zero_series(e.tenant_id, e.account_id)
        elif topic == Message.Rejected.TOPIC:
            work.count("rejected_total", tenant_id=e.tenant_id, reason=e.reason)
        elif topic == CLEANED_UP:
            work.ready.update(dict.fromkeys(e.message_pks))
        elif topic == REPORT_FAILED:  # a sync POST that was not acknowledged (proxy.md §13)
            work.count("reports_failed_total", tenant_id=e.tenant_id)
        elif topic == INBOUND:  # every report mail, matched or not (proxy.md §10.3)
            work.count("inbound_reports_total", kind=e.kind, matched="true" if e.matched else "false")
        elif topic == Message.Queued.TOPIC:
            work.ready[pk] = [e.tenant_id, e.fields.account_id, e.timestamp,
                                                _ready_at(e.fields, e.timestamp, e.timestamp), 0]
        else:
            _message_event(work, topic, e, pk)


def _message_event(work: _Page, topic: str, e: Any, pk: str) -> None:
    row = work.ready.get(pk)
    if row is None:  # purged: count under the envelope's tenant, keep no row
        if e.meta.tenant_id is None:
            return
        row = [e.meta.tenant_id, None, None, None, 0]
    if topic == Message.Updated.TOPIC:
        row[ACCOUNT] = e.fields.account_id
        row[READY] = _ready_at(e.fields, row[ACCEPTED], e.timestamp)
    elif topic == Message.AttemptStarted.TOPIC:
        row[IN_FLIGHT] = 1
    elif topic == Message.AttemptAbandoned.TOPIC:
        row[IN_FLIGHT] = 0
    elif topic in OUTCOMES:
        work.outcome(row, e)
    elif topic == Message.Cancelled.TOPIC:
        work.ready[pk] = None  # nothing more is counted per account; a new Queued starts afresh
    elif topic == Message.Bounced.TOPIC:
        work.count("bounces_total", tenant_id=row[TENANT], bounce_type=e.bounce_type)
    elif topic == Message.Complained.TOPIC:
        work.count("complaints_total", tenant_id=row[TENANT])
