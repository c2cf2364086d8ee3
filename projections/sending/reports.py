"""The ``reports`` read model: pending report items and each tenant's sync state (proxy.md §8).

``report_items`` holds one row per reportable Message event appended with ``report`` true,
until a ``ReportBatch.Acknowledged`` names it (or its tenant is deleted). ``report_sync`` is
folded from ``ReportBatch`` events; the failure backoff's jitter is derived from the failed
batch's id, so a rebuild gives the same ``next_attempt_ts`` as live. ``report_messages`` and
``report_tenants`` keep what outcome events do not carry (client id, recipient, tenant id).
A retention purge leaves ``report_messages`` alone: a bounce or complaint of a purged message
is still reported (proxy.md §10.3), and needs the message's client id for its item.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec

from domain.sending.report_batch import ReportBatch
from domain.tenancy.tenant import Tenant
from projections.base import Projection, Recorded
from projections.sending import bulk
from projections.sending.report_items import INFO_TOPICS, REPORTED, Info, fold_info, item
from projections.sending.reports_view import INFO_COLUMNS, SYNC_COLUMNS, ReportsView, SyncRow
from projections.sql import SqlTx

ACKED, FAILED, NUDGED = (ReportBatch.Acknowledged.TOPIC, ReportBatch.Failed.TOPIC,
                         ReportBatch.NudgeRequested.TOPIC)
CREATED, DELETED = Tenant.Created.TOPIC, Tenant.Deleted.TOPIC
_json = msgspec.json.Encoder()


def backoff(failures: int, cap: float, batch_id: str) -> float:
    """min(cap, 5 x 2^(failures-1)) s, +- 10 % by a fraction drawn from the batch id."""
    base = min(cap, 5.0 * 2 ** (failures - 1))
    draw = int.from_bytes(hashlib.sha256(batch_id.encode()).digest()[:8], "big") / 2**64
    return base * (1 + 0.2 * draw - 0.1)


def fold_sync(row: SyncRow, topic: str, event: Any) -> SyncRow:
    ts = event.timestamp
    if topic == ACKED:
        dnd = row.dnd_until
        if event.next_sync_after is not None:
            dnd = event.next_sync_after if event.next_sync_after > ts else None
        return msgspec.structs.replace(row, last_sync_ts=ts, last_attempt_ts=ts, last_status=event.status,
                                       last_error=None, consecutive_failures=0, next_attempt_ts=None,
                                       dnd_until=dnd, queued_more=int((event.queued or 0) > 0))
    if topic == FAILED:
        failures = row.consecutive_failures + 1
        wait = backoff(failures, event.retry_cap_seconds, str(event.originator_id))
        return msgspec.structs.replace(row, last_attempt_ts=ts, last_status=event.status,
                                       last_error=event.error, consecutive_failures=failures,
                                       next_attempt_ts=ts + wait)
    return msgspec.structs.replace(row, dnd_until=None, queued_more=1)  # run-now


class _Page:
    def __init__(self, view: ReportsView, tx: SqlTx) -> None:
        self.view, self.tx = view, tx
        self.infos: dict[str, Info | None] = {}
        self.items: dict[str, tuple[Any, ...] | None] = {}  # None: acknowledged, delete
        self.syncs: dict[str, SyncRow] = {}
        self.tenants: dict[str, tuple[str, int]] = {}  # aggregate id -> (tenant id, deleted)
        self.changed: set[str] = set()  # aggregate ids created or deleted in this page

    def load(self, page: Sequence[Recorded]) -> None:
        pks = {r.pk for r in page if type(r.event).TOPIC in REPORTED
               or type(r.event).TOPIC in INFO_TOPICS}
        self.infos.update(self.view.load_infos(self.tx, sorted(pks)))
        self.tenants.update(self.view.load_tenants(self.tx))

    def deleted(self, tenant_id: str) -> bool:
        return any(t == tenant_id and gone for t, gone in self.tenants.values())

    def message(self, rec: Recorded, topic: str) -> None:
        event, pk = rec.event, rec.pk
        info = self.infos.get(pk)
        if topic in INFO_TOPICS:
            info = self.infos[pk] = fold_info(info, topic, event)
        if topic not in REPORTED or not getattr(event, "report", False) or info is None:
            return
        if self.deleted(info["tenant_id"]):
            return
        body = item(topic, event, info)
        self.items[body["event_id"]] = (body["event_id"], rec.position, info["tenant_id"],
                                        _json.encode(body).decode(), 0)

    def batch(self, topic: str, event: Any) -> None:
        if topic == ACKED:
            for event_id in event.event_ids:
                self.items[event_id] = None
        tenant_id = event.tenant_id
        if self.deleted(tenant_id):
            return
        row = self.syncs.get(tenant_id) or self.view.sync_in(self.tx, tenant_id) or SyncRow(tenant_id)
        self.syncs[tenant_id] = fold_sync(row, topic, event)

    def tenant(self, topic: str, event: Any) -> None:
        aggregate_id = str(event.originator_id)
        self.changed.add(aggregate_id)
        if topic == CREATED:
            self.tenants[aggregate_id] = (event.tenant_id, 0)
            return
        tenant_id = self.tenants.get(aggregate_id, ("", 0))[0]
        self.tenants[aggregate_id] = (tenant_id, 1)
        for key, row in self.items.items():
            if row is not None and row[2] == tenant_id:
                self.items[key] = None
        self.syncs.pop(tenant_id, None)

    def flush(self) -> None:
        v, tx, dialect = self.view, self.tx, self.view.db.dialect
        bulk.upsert(tx, dialect, v.t("report_tenants"), {"aggregate_id": "text", "tenant_id": "text",
                    "deleted": "int"}, "aggregate_id", [(a, *self.tenants[a]) for a in sorted(self.changed)])
        infos = [tuple(i[c] for c in INFO_COLUMNS) for i in self.infos.values()
                 if i is not None and not self.deleted(i["tenant_id"])]
        bulk.upsert(tx, dialect, v.t("report_messages"), dict.fromkeys(INFO_COLUMNS, "text"), "pk", infos)
        bulk.upsert(tx, dialect, v.t("report_items"), {"event_id": "text", "position": "int",
                    "tenant_id": "text", "body": "text", "acked": "int"}, "event_id",
                    [row for row in self.items.values() if row is not None])
        bulk.delete(tx, v.t("report_items"), "event_id", [k for k, row in self.items.items() if row is None])
        syncs = [tuple(getattr(s, c) for c in SYNC_COLUMNS) for _, s in sorted(self.syncs.items())]
        bulk.upsert(tx, dialect, v.t("report_sync"), SYNC_KINDS, "tenant_id", syncs)
        for aggregate_id in sorted(self.changed):
            tenant_id, gone = self.tenants[aggregate_id]
            if gone:
                v.purge_tenant(tx, tenant_id)


SYNC_KINDS = {"tenant_id": "text", "last_sync_ts": "real", "last_attempt_ts": "real", "last_status": "int",
              "last_error": "text", "consecutive_failures": "int", "next_attempt_ts": "real",
              "dnd_until": "real", "queued_more": "int"}


class ReportsProjection(Projection[ReportsView]):
    VIEW = ReportsView
    FOLLOWS = ("sending", "tenancy")
    TOPICS = frozenset({*REPORTED, *INFO_TOPICS, ACKED, FAILED, NUDGED, CREATED, DELETED})

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        work = _Page(self.view, tx)
        work.load(page)
        for rec in page:
            topic = type(rec.event).TOPIC
            if topic in (ACKED, FAILED, NUDGED):
                work.batch(topic, rec.event)
            elif topic in (CREATED, DELETED):
                work.tenant(topic, rec.event)
            else:
                work.message(rec, topic)
        work.flush()


__all__ = ["ReportsProjection", "ReportsView", "SyncRow", "backoff"]
