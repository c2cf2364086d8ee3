"""The ``sends`` view: every message of a tenant as the console shows it (console.md §6, §3).

Four tables: ``sends`` (one row per message, proxy and console origins; counts and first
times of opens and clicks), ``send_activity`` (each open and click with its bot flag),
``send_outcomes`` (the outcome-feed items matched to a send, or not) and ``send_hours`` (the
dashboard's hourly roll-up of ``sends``, kept by difference: ``console_sends_hours``).
Personal data: console rows hold a ``contact_id``, never an address; API
rows keep the first recipient, as the proxy's own ``messages`` view does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.sending.outcome import OutcomeEvent
from projections.base import Projection, Recorded, View
from projections.console_sends_fold import COLUMNS, KINDS, MESSAGE_TOPICS, changed, queued
from projections.console_sends_hours import HOURS, Share, changes, shares
from projections.console_sends_hours import apply as apply_hours
from projections.console_sends_hours import backfill as backfill_hours
from projections.console_sends_queries import SendQueries
from projections.sending import bulk
from projections.sql import SqlTx

ACTIVITY = {
    "pk": "text",
    "version": "int",
    "kind": "text",
    "at": "real",
    "bot": "int",
    "bot_reason": "text",
    "link_id": "text",
    "url": "text",
}
OUTCOMES = {
    "outcome_id": "text",
    "tenant_id": "text",
    "source": "text",
    "item_id": "text",
    "type": "text",
    "occurred_at": "real",
    "send_pk": "text",
    "received_ts": "real",
    "bounce_type": "text",
    "bounce_code": "text",
}
OUTCOME_TOPIC = OutcomeEvent.Received.TOPIC


def _sql_type(kind: str, dialect: str) -> str:
    if kind == "real":
        return "DOUBLE PRECISION" if dialect == "postgresql" else "REAL"
    return {"int": "BIGINT", "text": "TEXT"}[kind]


class SendsView(SendQueries, View):
    NAME = "sends"
    TABLES = ("sends", "send_activity", "send_outcomes", "send_hours")  # send_hours: ADR 0014

    def ddl(self) -> list[str]:
        def cols(kinds: dict[str, str]) -> str:
            return ", ".join(f"{c} {_sql_type(k, self.db.dialect)}" for c, k in kinds.items())

        return [
            f"CREATE TABLE IF NOT EXISTS "
            f"{self.t('sends')} ({cols(KINDS)}, PRIMARY KEY (pk))",
            f"CREATE TABLE IF NOT EXISTS "
            f"{self.t('send_activity')} ({cols(ACTIVITY)}, PRIMARY KEY (pk, version))",
            f"CREATE TABLE IF NOT EXISTS "
            f"{self.t('send_outcomes')} ({cols(OUTCOMES)}, PRIMARY KEY (outcome_id))",
            f"CREATE TABLE IF NOT EXISTS "
            f"{self.t('send_hours')} ({cols(HOURS)}, PRIMARY KEY (tenant_id, origin, hour))",
        ]

    def create(self, tx: SqlTx | None = None) -> None:
        if tx is None:
            with self.db.transaction() as wtx:
                return self.create(wtx)
        super().create(tx)
        # a view built before the roll-up existed: fill it from the rows (no rebuild needed)
        if not tx.execute(f"SELECT 1 FROM {self.t('send_hours')} LIMIT 1") and tx.execute(
            f"SELECT 1 FROM {self.t('sends')} LIMIT 1"
        ):
            backfill_hours(tx, self.db.dialect, self.t("sends"), self.t("send_hours"))
        return None

    def index_ddl(self) -> list[str]:
        sends = self.t("sends")
        return [
            f"CREATE INDEX IF NOT EXISTS "
            f"{self.t('sends_newest')} ON {sends} (tenant_id, queued_ts, pk)",
            f"CREATE INDEX IF NOT EXISTS "
            f"{self.t('sends_status')} ON {sends} (tenant_id, status, queued_ts, pk)",
            f"CREATE INDEX IF NOT EXISTS "
            f"{self.t('sends_contact')} ON {sends} (tenant_id, contact_id, sent_ts)",
            f"CREATE INDEX IF NOT EXISTS "
            f"{self.t('sends_engaged')} ON {sends} (tenant_id, engaged_ts)",
            # the dashboard's provider state: newest accept, newest failure
            f"CREATE INDEX IF NOT EXISTS "
            f"{self.t('sends_sent')} ON {sends} (tenant_id, sent_ts)",
            f"CREATE INDEX IF NOT EXISTS "
            f"{self.t('sends_failure')} ON {sends} (tenant_id, last_failure_ts)",
            f"CREATE INDEX IF NOT EXISTS "
            f"{self.t('send_outcomes_send')} ON {self.t('send_outcomes')} (send_pk)",
        ]

    # --- page writes ----------------------------------------------------------------------
    def load(self, tx: SqlTx, pks: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(pks), 500):
            chunk = pks[start : start + 500]
            raw = tx.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {self.t('sends')} "
                f"WHERE pk IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            out.update({r[0]: dict(zip(COLUMNS, r, strict=True)) for r in raw})
        return out

    def put(
        self,
        tx: SqlTx,
        rows: Sequence[dict[str, Any]],
        activity: Sequence[Sequence[Any]],
        outcomes: Sequence[Sequence[Any]],
        before: dict[str, Share] | None = None,
    ) -> None:
        """Upsert rows; ``before``: the rows' roll-up shares as loaded (none: new rows)."""
        dialect = self.db.dialect
        bulk.upsert(tx, dialect, self.t("sends"), KINDS, "pk", [[r[c] for c in COLUMNS] for r in rows])
        bulk.upsert(tx, dialect, self.t("send_activity"), ACTIVITY, "pk, version", activity)
        bulk.upsert(tx, dialect, self.t("send_outcomes"), OUTCOMES, "outcome_id", outcomes)
        apply_hours(tx, dialect, self.t("send_hours"), changes(rows, before or {}))


class SendsProjection(Projection[SendsView]):
    VIEW = SendsView
    FOLLOWS = ("sending",)
    TOPICS = frozenset({*MESSAGE_TOPICS, OUTCOME_TOPIC})

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        # fold the page in memory: one upsert per send however many events it had
        pks = list(
            dict.fromkeys(r.pk for r in page if type(r.event).TOPIC != OUTCOME_TOPIC)
        )
        rows = self.view.load(tx, pks)
        before = shares(rows)  # the roll-up shares, before the fold changes rows in place
        touched: dict[str, dict[str, Any]] = {}
        activity: dict[tuple[str, int], list[Any]] = {}
        outcomes = []
        for rec in page:
            event, topic = rec.event, type(rec.event).TOPIC.partition("#")[0]
            if topic == OUTCOME_TOPIC:
                outcomes.append(
                    [
                        str(event.originator_id),
                        event.tenant_id,
                        event.source,
                        event.item_id,
                        event.type,
                        event.occurred_at,
                        event.send_pk,
                        event.timestamp,
                        event.bounce_type,
                        event.bounce_code,
                    ]
                )
                continue
            pk = rec.pk
            if topic == "Message.Queued":
                rows[pk] = touched[pk] = queued(rows.get(pk), event)
                continue
            row = rows.get(pk)
            if row is None:  # a rejection of an id never queued: not a send
                continue
            touched[pk] = changed(row, topic, event)
            if topic in ("Message.Opened", "Message.Clicked"):
                kind = "open" if topic == "Message.Opened" else "click"
                activity[(pk, event.originator_version)] = [
                    pk,
                    event.originator_version,
                    kind,
                    event.at,
                    int(event.bot),
                    event.bot_reason,
                    getattr(event, "link_id", None),
                    getattr(event, "url", None),
                ]
        self.view.put(tx, list(touched.values()), list(activity.values()), outcomes, before)
