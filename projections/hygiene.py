"""The ``hygiene`` view: per console send to a contact, what list hygiene needs (console.md §15).

One row per non-test console send (origin oneoff, flow or broadcast) that names a contact:
when it was mailed (SMTP accepted, or refused with a bounce), whether it bounced (hard) or
drew a complaint, and its latest human engagement (open or click without a bot flag) and
latest Apple-proxy open (counted only with ``hygiene.countAppleMppOpens``). Per-contact
figures are GROUP BYs over these rows, so the view stays a pure fold of Message events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from domain.reputation.hygiene import SunsetRun
from projections.base import Projection, Recorded, View
from projections.sending import bulk
from projections.sql import SqlTx

KINDS = {"pk": "text", "tenant_id": "text", "contact_id": "text", "queued_ts": "real", "mailed_ts": "real",
         "bounced": "int", "hard": "int", "complained": "int", "last_human_ts": "real", "last_mpp_ts": "real"}
COLUMNS = tuple(KINDS)
ORIGINS = frozenset({"oneoff", "flow", "broadcast"})
RUN_STARTED, RUN_REVERTED = SunsetRun.Started.TOPIC, SunsetRun.Reverted.TOPIC
TOPICS = frozenset({"Message.Queued", "Message.Sent", "Message.Bounced", "Message.Complained",
                    "Message.Opened", "Message.Clicked", RUN_STARTED, RUN_REVERTED})
RUNS = {"run_id": "text", "run_uuid": "text", "tenant_id": "text", "at": "real", "by_actor": "text",
        "scope": "text", "suppressed": "int", "skipped": "int", "reverted_ts": "real", "lifted": "int"}


class ContactFigures(msgspec.Struct, frozen=True):
    contact_id: str
    first_mailed: float
    last_human: float | None
    last_mpp: float | None
    sends: int
    bounced: int
    hard: int
    complained: int


class HygieneView(View):
    NAME = "hygiene"
    TABLES = ("hygiene_sends", "hygiene_runs")

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        types = {"text": "TEXT", "int": "BIGINT", "real": real}

        def cols(kinds: dict[str, str]) -> str:
            return ", ".join(f"{c} {types[k]}" for c, k in kinds.items())

        return [f"CREATE TABLE IF NOT EXISTS {self.t('hygiene_sends')} ({cols(KINDS)}, PRIMARY KEY (pk))",
                f"CREATE TABLE IF NOT EXISTS {self.t('hygiene_runs')} ({cols(RUNS)}, PRIMARY KEY (run_id))"]

    def runs(self, tenant_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The tenant's sunset runs, newest first."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT {', '.join(RUNS)} FROM {self.t('hygiene_runs')} WHERE tenant_id = ? "
                              "ORDER BY at DESC, run_id DESC LIMIT ?", (tenant_id, limit))
        return [dict(zip(RUNS, r, strict=True)) for r in rows]

    def put_runs(self, tx: SqlTx, events: Sequence[Any]) -> None:
        for e in events:
            if isinstance(e, SunsetRun.Started):
                bulk.upsert(tx, self.db.dialect, self.t("hygiene_runs"), RUNS, "run_id", [[
                    e.run_id, str(e.originator_id), e.tenant_id, e.timestamp, e.started_by, e.scope,
                    e.suppressed, e.skipped, None, None]])
            else:
                tx.execute(f"UPDATE {self.t('hygiene_runs')} SET reverted_ts = ?, lifted = ? "
                           "WHERE run_uuid = ?",
                           (e.timestamp, e.lifted, str(e.originator_id)))

    def index_ddl(self) -> list[str]:
        return [f"CREATE INDEX IF NOT EXISTS {self.t('hygiene_sends_contact')} ON {self.t('hygiene_sends')} "
                "(tenant_id, contact_id)"]

    def per_contact(self, tenant_id: str, *, since: float | None = None) -> list[ContactFigures]:
        """Figures of every contact with mailed sends (``since``: mailed at or after it)."""
        window, params = ("", [tenant_id]) if since is None else ("AND mailed_ts >= ?", [tenant_id, since])
        sql = (f"SELECT contact_id, MIN(mailed_ts), MAX(last_human_ts), MAX(last_mpp_ts), COUNT(*), "
               f"SUM(bounced), SUM(hard), SUM(complained) FROM {self.t('hygiene_sends')} "
               f"WHERE tenant_id = ? AND mailed_ts IS NOT NULL {window} GROUP BY contact_id")
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(sql, params)
        return [ContactFigures(str(r[0]), float(r[1]), _float(r[2]), _float(r[3]), int(r[4]), int(r[5] or 0),
                               int(r[6] or 0), int(r[7] or 0)) for r in rows]

    def load(self, tx: SqlTx, pks: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(pks), 500):
            chunk = pks[start:start + 500]
            raw = tx.execute(f"SELECT {', '.join(COLUMNS)} FROM {self.t('hygiene_sends')} "
                             f"WHERE pk IN ({', '.join('?' * len(chunk))})", chunk)
            out.update({r[0]: dict(zip(COLUMNS, r, strict=True)) for r in raw})
        return out

    def put(self, tx: SqlTx, rows: Sequence[dict[str, Any]]) -> None:
        bulk.upsert(tx, self.db.dialect, self.t("hygiene_sends"), KINDS, "pk",
                    [[r[c] for c in COLUMNS] for r in rows])


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _latest(current: float | None, at: float) -> float:
    return at if current is None else max(current, at)


def fold(row: dict[str, Any], topic: str, e: Any) -> None:
    if topic == "Message.Sent":
        row["mailed_ts"] = row["mailed_ts"] or e.timestamp
    elif topic == "Message.Bounced":
        row.update(bounced=1, hard=max(row["hard"], int(e.bounce_type == "hard")),
                   mailed_ts=row["mailed_ts"] or e.timestamp)
    elif topic == "Message.Complained":
        row["complained"] = 1
    elif not e.bot:  # an open or a click; a human click counts as an open
        row["last_human_ts"] = _latest(row["last_human_ts"], e.at)
    elif topic == "Message.Opened" and e.bot_reason == "apple_mpp":
        row["last_mpp_ts"] = _latest(row["last_mpp_ts"], e.at)


class HygieneProjection(Projection[HygieneView]):
    VIEW = HygieneView
    FOLLOWS = ("sending",)
    TOPICS = TOPICS

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        runs = [r.event for r in page if isinstance(r.event, (SunsetRun.Started, SunsetRun.Reverted))]
        pks = list(dict.fromkeys(r.pk for r in page))
        rows = self.view.load(tx, pks)
        touched: dict[str, dict[str, Any]] = {}
        for rec in page:
            event, topic = rec.event, type(rec.event).TOPIC.partition("#")[0]
            pk = rec.pk
            if topic in (RUN_STARTED, RUN_REVERTED):
                continue
            if topic == "Message.Queued":
                origin, contact = getattr(event, "origin", None), getattr(event, "contact_id", None)
                if pk not in rows and origin in ORIGINS and contact is not None:
                    rows[pk] = touched[pk] = dict.fromkeys(COLUMNS) | {
                        "pk": pk, "tenant_id": event.tenant_id, "contact_id": str(contact),
                        "queued_ts": event.timestamp, "bounced": 0, "hard": 0, "complained": 0}
                continue
            row = rows.get(pk)
            if row is not None:
                fold(row, topic, event)
                touched[pk] = row
        self.view.put(tx, list(touched.values()))
        self.view.put_runs(tx, runs)
