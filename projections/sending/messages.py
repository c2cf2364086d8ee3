"""The ``messages`` projection: Message, Tenant, Cleanup and ReportBatch.Acknowledged events to
``messages`` rows (and ``message_reports``: which reportable events the client acknowledged).

A page is folded in memory: the rows it touches are loaded with one ``pk IN (...)`` query
(none for messages the page itself queues), changed as dicts, and written back with one
``executemany``. Tenant changes re-derive ``held_by`` for the tenant's other rows in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.sending.cleanup import Cleanup
from domain.sending.message import Message
from domain.sending.report_batch import ReportBatch
from projections.base import Projection, Recorded
from projections.sending import message_fold as fold
from projections.sending.holds import TENANT_TOPICS, TenantHold, apply_tenant_event, held_by
from projections.sending.message_rows import ACTIVE, COLUMNS, WAITING, MessageRow
from projections.sending.messages_view import MessagesView
from projections.sending.report_items import REPORTED
from projections.sql import SqlTx

CLEANED_UP = Cleanup.MessagesCleanedUp.TOPIC  # a retention purge: its rows leave the view
ACKNOWLEDGED = ReportBatch.Acknowledged.TOPIC  # the client took these report items
_UNSEEN = object()


class _Page:
    """One page's working set: rows by pk (None: to delete) and tenants by id."""

    def __init__(self, view: MessagesView, tx: SqlTx) -> None:
        self.view, self.tx = view, tx
        self.rows: dict[str, fold.Row | None] = {}
        self.tenants: dict[str, TenantHold] = {}
        self.by_aggregate: dict[str, str] = {}
        self.tenants_before: dict[str, tuple[Any, ...] | None] = {}  # None: new in this page
        self.reports: dict[tuple[str, int], float | None] = {}  # (pk, version) -> reported_ts

    def load(self, page: Sequence[Recorded]) -> None:
        need: dict[str, None] = {}
        seen: set[str] = set()
        tenant_ids: set[str] = set()
        aggregate_ids: set[str] = set()
        for rec in page:
            topic, event = type(rec.event).TOPIC, rec.event
            if topic in fold.CREATING or topic in fold.CHANGING:
                pk = rec.pk
                if pk not in seen and topic != Message.Queued.TOPIC:
                    need[pk] = None  # its first event here needs the stored row
                seen.add(pk)
                if hasattr(event, "tenant_id"):
                    tenant_ids.add(event.tenant_id)
            elif topic in TENANT_TOPICS:
                aggregate_ids.add(str(event.originator_id))
            elif topic == CLEANED_UP:
                seen.update(event.message_pks)  # deleted first: a later event sees no row
        stored = self.view.load_rows(self.tx, list(need))
        self.rows.update(stored)
        tenant_ids.update(row["tenant_id"] for row in stored.values())
        for hold in self.view.load_tenants(self.tx, sorted(tenant_ids), sorted(aggregate_ids)):
            self._keep(hold)

    def _keep(self, hold: TenantHold) -> None:
        self.tenants_before.setdefault(hold.tenant_id, _state(hold))
        self.tenants[hold.tenant_id] = hold
        self.by_aggregate[hold.aggregate_id] = hold.tenant_id

    def message(self, topic: str, rec: Recorded) -> None:
        event, position, pk = rec.event, rec.position, rec.pk
        row = self.rows.get(pk)
        if topic in REPORTED and event.report:  # the reports view queues an item for it too
            self.reports.setdefault((pk, event.originator_version), None)
        creating = fold.CREATING.get(topic)
        if creating is not None:
            before = row
            row = creating(row, event)
            if row is not before or row.get("seq") is None:
                row["seq"] = position  # a new row: it queues behind everything stored before it
        elif row is None:
            return  # purged (retention or tenant deletion): later events leave it gone
        else:
            fold.CHANGING[topic](row, event)
        tenant = self.tenants.get(row["tenant_id"])
        self.rows[pk] = None if tenant is not None and tenant.deleted else row

    def tenant(self, event: Any) -> None:
        tenant_id = getattr(event, "tenant_id", None) or self.by_aggregate.get(str(event.originator_id))
        hold = apply_tenant_event(self.tenants.get(tenant_id or ""), event)
        if hold is None:
            return
        self.tenants_before.setdefault(hold.tenant_id, None)  # created here: re-derive its rows
        self._keep(hold)
        if hold.deleted:  # the tenant's rows go: drop those in memory too
            for pk, row in self.rows.items():
                if row is not None and row["tenant_id"] == hold.tenant_id:
                    self.rows[pk] = None

    def cleaned_up(self, event: Any) -> None:
        for pk in event.message_pks:
            self.rows[pk] = None

    def acknowledged(self, event: Any) -> None:
        for event_id in event.event_ids:
            pk, _, version = event_id.rpartition(":")
            key = (pk, int(version))
            if self.reports.get(key, _UNSEEN) in (None, _UNSEEN):  # the first acknowledgement wins
                self.reports[key] = event.timestamp

    def flush(self) -> None:
        changed = [h for h in self.tenants.values() if self.tenants_before.get(h.tenant_id) != _state(h)]
        self.view.put_tenants(self.tx, changed)
        self.view.put_rows(self.tx, [self._finish(row) for row in self.rows.values() if row is not None])
        self.view.delete_rows(self.tx, [pk for pk, row in self.rows.items() if row is None])
        self.view.put_reports(self.tx, self.reports)
        # after the page's own rows, so the tenant's final state decides for every row
        for hold in changed:
            if hold.deleted:
                self.view.delete_tenant_rows(self.tx, hold.tenant_id)
            else:
                self.view.rehold(self.tx, hold)

    def _finish(self, row: fold.Row) -> tuple[Any, ...]:
        """Derived columns from the final row and tenant state, then the row as a tuple."""
        status = row["status"]
        waiting = status in WAITING
        if waiting:
            row["held_by"] = held_by(self.tenants.get(row["tenant_id"]), row["batch_code"])
        elif status != "held":  # a held console send keeps its own reason (message_fold.held)
            row["held_by"] = None
        due = row["deferred_until"] if row["deferred_until"] is not None else row["accepted_ts"]
        row["ready_ts"] = due if status in ACTIVE else None
        return tuple(row[c] for c in COLUMNS)


def _state(hold: TenantHold) -> tuple[Any, ...]:
    return hold.key(), hold.deleted


class MessagesProjection(Projection[MessagesView]):
    VIEW = MessagesView
    FOLLOWS = ("sending", "tenancy")
    TOPICS = frozenset({*fold.CREATING, *fold.CHANGING, *TENANT_TOPICS, CLEANED_UP, ACKNOWLEDGED})

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        work = _Page(self.view, tx)
        work.load(page)
        for rec in page:
            topic = type(rec.event).TOPIC
            if topic in TENANT_TOPICS:
                work.tenant(rec.event)
            elif topic == CLEANED_UP:
                work.cleaned_up(rec.event)
            elif topic == ACKNOWLEDGED:
                work.acknowledged(rec.event)
            else:
                work.message(topic, rec)
        work.flush()


__all__ = ["MessageRow", "MessagesProjection", "MessagesView"]
