"""How Flow and FlowRun events change the ``flows`` view (``projections/flows.py``).

A pure function of the ``flows`` log: ``rebuild`` replays it to the same rows. A run's
history keeps its last 100 entries, enough for the run listing and the contact detail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.campaigns.flow import Flow
from domain.campaigns.flow_run import FlowRun
from projections.base import Projection, Recorded
from projections.flows import FlowsView
from projections.sql import SqlTx

HISTORY = 100


class FlowsProjection(Projection[FlowsView]):
    VIEW = FlowsView
    FOLLOWS = ("flows",)
    TOPICS = frozenset(
        c.TOPIC
        for c in (
            Flow.Created,
            Flow.DraftSaved,
            Flow.Published,
            Flow.Paused,
            Flow.Resumed,
            Flow.Deleted,
            FlowRun.Started,
            FlowRun.Stepped,
            FlowRun.Parked,
            FlowRun.WebhookAttempted,
            FlowRun.Held,
            FlowRun.Released,
            FlowRun.Ended,
        )
    )

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        for rec in page:
            e: Any = rec.event
            if e.TOPIC.startswith("Flow."):
                self._flow(tx, e)
            else:
                self._run(tx, e)

    # --- flows ----------------------------------------------------------------------------
    def _flow(self, tx: SqlTx, e: Any) -> None:
        t, ident = self.view.t, str(e.originator_id)
        if isinstance(e, Flow.Created):
            doc = {
                **e.fields,
                "trigger": e.trigger,
                "enabled": False,
                "holdRuns": False,
                "version": 0,
                "steps": [],
                "draft": {"steps": [], "trigger": e.trigger, "notes": "", "revision": 1},
                "lastRevision": 1,
                "publishedAt": None,
                "deleted": False,
            }
            self._put_flow(tx, ident, e.tenant_id, e.slug, doc, e.timestamp, e.timestamp)
            return
        rows = tx.execute(
            f"SELECT tenant_id, slug, doc, created_ts FROM {t('flows')} WHERE flow_id = ?", (ident,)
        )
        if not rows:
            return
        tenant_id, slug, raw, created = rows[0]
        doc = msgspec.json.decode(raw)
        self._change(tx, doc, e, tenant_id, slug)
        self._put_flow(tx, ident, tenant_id, slug, doc, created, e.timestamp)

    def _change(self, tx: SqlTx, doc: dict[str, Any], e: Any, tenant_id: str, slug: str) -> None:
        t = self.view.t
        if isinstance(e, Flow.DraftSaved):
            if doc["draft"] is None:
                doc["draft"] = {
                    "steps": doc["steps"],
                    "trigger": doc["trigger"],
                    "notes": "",
                    "revision": doc["lastRevision"],
                }
            doc["draft"].update(e.draft)
            doc["draft"]["revision"] = doc["lastRevision"] = e.revision
            doc.update(e.fields)
        elif isinstance(e, Flow.Published):
            doc.update(
                version=e.version,
                steps=e.steps,
                trigger=e.trigger,
                draft=None,
                enabled=e.enabled,
                holdRuns=False,
                publishedAt=e.timestamp,
            )
            tx.execute(
                f"INSERT INTO {t('flow_versions')} (tenant_id, slug, version, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (tenant_id, slug, version) DO NOTHING",
                (
                    tenant_id,
                    slug,
                    e.version,
                    msgspec.json.encode(
                        {
                            "version": e.version,
                            "steps": e.steps,
                            "trigger": e.trigger,
                            "publishedAt": e.timestamp,
                            "publishedBy": e.meta.actor,
                        }
                    ).decode(),
                ),
            )
        elif isinstance(e, Flow.Paused):
            doc.update(enabled=False, holdRuns=e.hold_runs)
        elif isinstance(e, Flow.Resumed):
            doc.update(enabled=True, holdRuns=False)
        elif isinstance(e, Flow.Deleted):
            doc.update(enabled=False, deleted=True)

    def _put_flow(
        self,
        tx: SqlTx,
        ident: str,
        tenant_id: str,
        slug: str,
        doc: dict[str, Any],
        created: float,
        updated: float,
    ) -> None:
        tx.execute(
            f"INSERT INTO {self.view.t('flows')} (tenant_id, slug, flow_id, doc, created_ts, updated_ts, "
            "deleted, trigger_type, enabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (tenant_id, slug) DO UPDATE SET "
            "doc = excluded.doc, updated_ts = excluded.updated_ts, deleted = excluded.deleted, "
            "trigger_type = excluded.trigger_type, enabled = excluded.enabled",
            (
                tenant_id,
                slug,
                ident,
                msgspec.json.encode(doc).decode(),
                created,
                updated,
                int(doc["deleted"]),
                doc["trigger"].get("type", ""),
                int(doc["enabled"]),
            ),
        )

    # --- runs -----------------------------------------------------------------------------
    def _run(self, tx: SqlTx, e: Any) -> None:
        ident = str(e.originator_id)
        if isinstance(e, FlowRun.Started):
            row = {
                "run_id": ident,
                "tenant_id": e.tenant_id,
                "flow_slug": e.flow_slug,
                "contact_id": e.contact_id,
                "external_id": e.external_id,
                "status": "active",
                "version": e.version,
                "current_path": e.path,
                "waiting_until": None,
                "due_ts": e.timestamp,
                "entered_at": e.entered_at,
                "exited_at": None,
                "exit_reason": None,
                "history": [],
                "updated_ts": e.timestamp,
            }
            entry = {"type": "started", "at": e.timestamp, "entryKey": e.entry_key, "version": e.version}
        else:
            found = self.view.load_run(tx, ident)
            if found is None:
                return
            row, entry = found, self._apply(tx, found, e)
        row["history"] = [*row["history"], entry][-HISTORY:]
        row["updated_ts"] = e.timestamp
        self.view.put_run(tx, row)

    def _apply(self, tx: SqlTx, row: dict[str, Any], e: Any) -> dict[str, Any]:
        if isinstance(e, FlowRun.Stepped):
            row.update(current_path=e.next_path, waiting_until=None, due_ts=e.timestamp)
            if e.step_type == "send" and e.outcome in ("queued", "held"):
                tx.execute(
                    f"INSERT INTO {self.view.t('flow_sends')} (tenant_id, slug, run_id, path, at) VALUES "
                    "(?, ?, ?, ?, ?) ON CONFLICT (run_id, path) DO NOTHING",
                    (row["tenant_id"], row["flow_slug"], row["run_id"], e.path, e.timestamp),
                )
            return {
                "type": e.step_type,
                "at": e.timestamp,
                "path": e.path,
                "outcome": e.outcome,
                **{k: v for k, v in e.data.items() if v is not None},
            }
        if isinstance(e, FlowRun.Parked):
            row.update(waiting_until=e.until, due_ts=e.until if row["status"] == "active" else None)
            return {"type": "parked", "at": e.timestamp, "path": e.path, "until": e.until, "reason": e.reason}
        if isinstance(e, FlowRun.WebhookAttempted):
            return {
                "type": "webhook_attempt",
                "at": e.timestamp,
                "path": e.path,
                "attempt": e.attempt,
                "status": e.status,
                "error": e.error,
            }
        if isinstance(e, FlowRun.Held):
            row.update(status="held", due_ts=None)
            return {"type": "held", "at": e.timestamp}
        if isinstance(e, FlowRun.Released):
            row.update(status="active", due_ts=row["waiting_until"] or e.timestamp)
            return {"type": "released", "at": e.timestamp}
        row.update(
            status=e.status, exit_reason=e.reason, exited_at=e.timestamp, waiting_until=None, due_ts=None
        )
        return {"type": e.status, "at": e.timestamp, "path": e.path, "reason": e.reason}
