"""The ``health`` view: the circuit breaker's counters, a tracked read model of the sending
log (console.md §2.1, §11). Three tables: ``health_messages`` (each counted message's
bucket and send time), ``health_facts`` (one row per counted thing, ``health_fold``) and
``health_seen`` (each bucket's first and last fact: the window anchor and the listing).
Window counters are sums over facts at read time, so rolling a window and resuming a
bucket need no write here: the view stays a pure function of the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.reputation.health_rules import ROLLUP, Counters
from projections.base import Projection, Recorded, View
from projections.health_fold import MESSAGE_TOPICS, OUTCOME_TOPIC, message_facts, outcome_facts, queued_row
from projections.sending import bulk
from projections.sql import SqlTx

MESSAGES = {"pk": "text", "tenant_id": "text", "bucket": "text", "sent_pos": "int"}
FACTS = {
    "tenant_id": "text",
    "bucket": "text",
    "pk": "text",
    "fact": "text",
    "seq": "int",
    "sub": "text",
    "ts": "real",
    "pos": "int",
    "origin_pos": "int",
}
SEEN = {"tenant_id": "text", "bucket": "text", "first_ts": "real", "last_ts": "real"}
_COUNTER = {
    ("sent", None): "sent",
    ("delivered", None): "delivered",
    ("complaint", None): "complained",
    ("failure", None): "failed_to_send",
    ("bounce", "hard"): "hard_bounced",
    ("bounce", "soft"): "soft_bounced",
    ("bounce", "policy"): "policy_bounced",
}


def _cols(kinds: dict[str, str], dialect: str) -> str:
    real = "DOUBLE PRECISION" if dialect == "postgresql" else "REAL"
    return ", ".join(f"{c} {dict(real=real, int='BIGINT', text='TEXT')[k]}" for c, k in kinds.items())


class HealthView(View):
    NAME = "health"
    TABLES = ("health_messages", "health_facts", "health_seen")

    def ddl(self) -> list[str]:
        d = self.db.dialect
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('health_messages')} ({_cols(MESSAGES, d)}, "
            "PRIMARY KEY (pk))",
            f"CREATE TABLE IF NOT EXISTS {self.t('health_facts')} ({_cols(FACTS, d)}, "
            "PRIMARY KEY (pk, fact, seq))",
            f"CREATE TABLE IF NOT EXISTS {self.t('health_seen')} ({_cols(SEEN, d)}, "
            "PRIMARY KEY (tenant_id, bucket))",
        ]

    def index_ddl(self) -> list[str]:
        facts = self.t("health_facts")
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('health_facts_bucket')} ON {facts} (tenant_id, bucket, ts)",
            f"CREATE INDEX IF NOT EXISTS {self.t('health_facts_tenant')} ON {facts} (tenant_id, ts)",
        ]

    # --- queries --------------------------------------------------------------------------
    def counters(
        self, tenant_id: str, bucket: str | None, since: float, after: int | None = None
    ) -> Counters:
        """The counters of ``bucket`` (None or ``agg``: every fact of the tenant) from time
        ``since``; with ``after`` (a sending-log position: a resume) only facts after it of
        messages sent after it."""
        sql = f"SELECT fact, sub, COUNT(*) FROM {self.t('health_facts')} WHERE tenant_id = ? AND ts >= ?"
        params: list[Any] = [tenant_id, since]
        if bucket not in (None, ROLLUP):
            sql += " AND bucket = ?"
            params.append(bucket)
        if after is not None:
            sql += " AND pos > ? AND origin_pos > ?"
            params += [after, after]
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(sql + " GROUP BY fact, sub", params)
        counts = dict.fromkeys(_COUNTER.values(), 0)
        for name, sub, n in rows:
            counts[_COUNTER[(name, None if name != "bounce" else sub)]] += int(n)
        bounced = counts["hard_bounced"] + counts["soft_bounced"] + counts["policy_bounced"]
        counts["soft_bounced"] += counts["policy_bounced"]  # a policy bounce is a soft one too
        return Counters(bounced=bounced, **counts)

    def seen(self, tenant_id: str) -> dict[str, tuple[float, float]]:
        """Every bucket the tenant has facts in (the roll-up ``agg`` too): (first, last)."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT bucket, first_ts, last_ts FROM {self.t('health_seen')} WHERE tenant_id = ?",
                (tenant_id,),
            )
        return {b: (float(f), float(last)) for b, f, last in rows}

    def active(self, since: float) -> list[tuple[str, str]]:
        """(tenant, bucket) pairs with a fact since ``since``: what an evaluation looks at."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT tenant_id, bucket FROM {self.t('health_seen')} WHERE last_ts >= ?", (since,)
            )
        return [(t, b) for t, b in rows]

    # --- page writes ----------------------------------------------------------------------
    def load(self, tx: SqlTx, pks: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(pks), 500):
            chunk = pks[start : start + 500]
            raw = tx.execute(
                f"SELECT {', '.join(MESSAGES)} FROM {self.t('health_messages')} "
                f"WHERE pk IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            out.update({r[0]: dict(zip(MESSAGES, r, strict=True)) for r in raw})
        return out

    def put(self, tx: SqlTx, rows: Sequence[dict[str, Any]], facts: Sequence[Sequence[Any]]) -> None:
        d = self.db.dialect
        bulk.upsert(
            tx, d, self.t("health_messages"), MESSAGES, "pk", [[r[c] for c in MESSAGES] for r in rows]
        )
        if not facts:
            return
        bulk.insert_new(tx, d, self.t("health_facts"), FACTS, "pk, fact, seq", facts)
        spans: dict[tuple[str, str], list[float]] = {}
        for f in facts:
            span = spans.setdefault((f[0], f[1]), [f[6], f[6]])
            span[0], span[1] = min(span[0], f[6]), max(span[1], f[6])
        seen = self.t("health_seen")
        bulk.upsert(
            tx,
            d,
            seen,
            SEEN,
            "tenant_id, bucket",
            [[t, b, lo, hi] for (t, b), (lo, hi) in spans.items()],
            updates=f"first_ts = CASE WHEN excluded.first_ts < {seen}.first_ts THEN excluded.first_ts "
            f"ELSE {seen}.first_ts END, last_ts = CASE WHEN excluded.last_ts > {seen}.last_ts "
            f"THEN excluded.last_ts ELSE {seen}.last_ts END",
        )


class HealthProjection(Projection[HealthView]):
    VIEW = HealthView
    FOLLOWS = ("sending",)
    TOPICS = frozenset({*MESSAGE_TOPICS, OUTCOME_TOPIC})

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        pks = list(dict.fromkeys(
            r.pk for r in page if type(r.event).TOPIC.partition("#")[0] in MESSAGE_TOPICS
        ))
        rows = self.view.load(tx, pks)
        touched: dict[str, dict[str, Any]] = {}
        facts: list[list[Any]] = []
        for rec in page:
            event, topic = rec.event, type(rec.event).TOPIC.partition("#")[0]
            if topic == OUTCOME_TOPIC:
                facts += outcome_facts(event, rec.position)
                continue
            if topic == "Message.Queued":
                row = queued_row(event, rec.pk)
                if row is not None:
                    rows[row["pk"]] = touched[row["pk"]] = row
                continue
            row = rows.get(rec.pk)
            if row is None:  # a test send, or a rejection never queued: counts nowhere
                continue
            facts += message_facts(row, topic, event, rec.position)
            touched[row["pk"]] = row
        self.view.put(tx, list(touched.values()), _distinct(facts))


def _distinct(facts: list[list[Any]]) -> list[list[Any]]:
    """The first of each (pk, fact, seq): a second bounce of one message counts once."""
    out: dict[tuple[Any, ...], list[Any]] = {}
    for f in facts:
        out.setdefault((f[2], f[3], f[4]), f)
    return list(out.values())
