"""The ``health_buckets`` view: each HealthBucket's state, and its trips and resumes as
audit-shaped entries (console.md §11 ``GET /health``, ``/health/trips``). A projection of
the ``health`` log; the counters come from the ``health`` view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from projections.base import Projection, Recorded, View
from projections.sql import SqlTx

TOPICS = frozenset(
    f"HealthBucket.{n}"
    for n in ("Opened", "StatusChanged", "Tripped", "Resumed", "SignalRaised", "SignalCleared")
)
TRANSITIONS = {"HealthBucket.Tripped": "health.trip", "HealthBucket.Resumed": "health.resume"}


def blank_bucket(tenant_id: str, bucket_id: str, domain: str, kind: str) -> dict[str, Any]:
    """A bucket as the view keeps it before anything happened (also what ``health_state`` shows
    for a bucket with no events yet)."""
    return {
        "tenantId": tenant_id,
        "id": bucket_id,
        "senderDomain": domain,
        "kind": kind,
        "status": "healthy",
        "reasons": [],
        "signals": {},
        "windowStartedAt": None,
        "countFrom": None,
        "countAfter": None,
        "holdsTransactional": False,
        "trippedAt": None,
        "trippedReason": None,
        "trippedBy": None,
        "tripSource": None,
        "resumedAt": None,
        "resumedBy": None,
    }


def _opened(e: Any) -> dict[str, Any]:
    return blank_bucket(e.tenant_id, e.bucket_id, e.sender_domain, e.kind)


def fold(state: dict[str, Any], topic: str, e: Any) -> None:
    """The same changes the aggregate's ``apply`` makes, on the row's JSON state."""
    name = topic.partition(".")[2]
    if name == "StatusChanged":
        state.update(status=e.status, reasons=list(e.reasons))
    elif name == "Tripped":
        state.update(
            status="tripped",
            reasons=list(e.reasons),
            trippedAt=e.timestamp,
            trippedReason=e.reason,
            trippedBy=e.meta.actor,
            tripSource=e.source,
            holdsTransactional=e.holds_transactional,
            windowStartedAt=e.window_started_at,
        )
    elif name == "Resumed":
        signals = state["signals"]
        state.update(
            status=e.status,
            reasons=[f"signal {s}: {v['detail']}" for s, v in sorted(signals.items())],
            windowStartedAt=e.count_from,
            countFrom=e.count_from,
            countAfter=e.count_after,
            holdsTransactional=False,
            resumedAt=e.timestamp,
            resumedBy=e.meta.actor,
        )
    elif name == "SignalRaised":
        since = state["signals"].get(e.source, {}).get("since", e.timestamp)
        state["signals"] = {**state["signals"], e.source: {"detail": e.detail, "since": since}}
    elif name == "SignalCleared":
        state["signals"] = {k: v for k, v in state["signals"].items() if k != e.source}
    state["updatedAt"] = e.timestamp


def transition(rec: Recorded, state: dict[str, Any]) -> list[Any] | None:
    topic = type(rec.event).TOPIC.partition("#")[0]
    action = TRANSITIONS.get(topic)
    if action is None:
        return None
    e = rec.event
    detail = (
        {"reason": e.reason, "source": e.source, "holdsTransactional": e.holds_transactional}
        if action == "health.trip"
        else {"countFrom": e.count_from, "resumeBroadcasts": e.resume_broadcasts}
    )
    return [
        f"{rec.application}:{rec.position}",
        state["tenantId"],
        rec.position,
        e.timestamp,
        action,
        state["id"],
        e.meta.actor,
        e.meta.command_id,
        msgspec.json.encode(detail).decode(),
    ]


class HealthBucketsView(View):
    NAME = "health_buckets"
    TABLES = ("health_buckets", "health_transitions")

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('health_buckets')} (uuid TEXT PRIMARY KEY, "
            "tenant_id TEXT NOT NULL, bucket_id TEXT NOT NULL, status TEXT NOT NULL, state TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.t('health_transitions')} (id TEXT PRIMARY KEY, "
            f"tenant_id TEXT NOT NULL, seq BIGINT NOT NULL, occurred_at {real} NOT NULL, "
            "action TEXT NOT NULL, "
            "bucket_id TEXT NOT NULL, actor TEXT NOT NULL, request_id TEXT, detail TEXT NOT NULL)",
        ]

    def index_ddl(self) -> list[str]:
        return [
            f"CREATE INDEX IF NOT EXISTS {self.t('health_transitions_newest')} ON "
            f"{self.t('health_transitions')} (tenant_id, seq)"
        ]

    def buckets(self, tenant_id: str) -> dict[str, dict[str, Any]]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT bucket_id, state FROM {self.t('health_buckets')} WHERE tenant_id = ?", (tenant_id,)
            )
        return {b: msgspec.json.decode(s) for b, s in rows}

    def tripped(self, tenant_id: str) -> list[str]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT bucket_id FROM {self.t('health_buckets')} WHERE tenant_id = ? "
                "AND status = 'tripped' ORDER BY bucket_id",
                (tenant_id,),
            )
        return [r[0] for r in rows]

    def unhealthy(self) -> list[tuple[str, str]]:
        """Buckets an evaluation must look at even without new facts (a window to roll)."""
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT tenant_id, bucket_id FROM {self.t('health_buckets')} WHERE status <> 'healthy'"
            )
        return [(t, b) for t, b in rows]

    def transitions(self, tenant_id: str, limit: int = 50) -> list[dict[str, Any]]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(
                f"SELECT id, occurred_at, action, bucket_id, actor, request_id, detail FROM "
                f"{self.t('health_transitions')} WHERE tenant_id = ? ORDER BY seq DESC LIMIT ?",
                (tenant_id, limit),
            )
        return [
            {
                "id": i,
                "occurredAt": at,
                "action": a,
                "bucketId": b,
                "actor": actor,
                "requestId": r,
                "detail": msgspec.json.decode(d),
            }
            for i, at, a, b, actor, r, d in rows
        ]

    def by_uuid(self, tx: SqlTx, wanted: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = tx.execute(
                f"SELECT uuid, state FROM {self.t('health_buckets')} "
                f"WHERE uuid IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            out.update({u: msgspec.json.decode(raw) for u, raw in rows})
        return out

    def put(self, tx: SqlTx, states: dict[str, dict[str, Any]], transitions: Sequence[Sequence[Any]]) -> None:
        tx.executemany(
            f"INSERT INTO {self.t('health_buckets')} (uuid, tenant_id, bucket_id, status, state) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (uuid) DO UPDATE SET status = excluded.status, "
            "state = excluded.state",
            [
                (u, s["tenantId"], s["id"], s["status"], msgspec.json.encode(s).decode())
                for u, s in states.items()
            ],
        )
        tx.executemany(
            f"INSERT INTO {self.t('health_transitions')} (id, tenant_id, seq, occurred_at, action, "
            "bucket_id, actor, request_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            transitions,
        )


class HealthBucketsProjection(Projection[HealthBucketsView]):
    VIEW = HealthBucketsView
    FOLLOWS = ("health",)
    TOPICS = TOPICS

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        states = self.view.by_uuid(tx, list(dict.fromkeys(str(r.event.originator_id) for r in page)))
        touched: dict[str, dict[str, Any]] = {}
        transitions = []
        for rec in page:
            e, topic = rec.event, type(rec.event).TOPIC.partition("#")[0]
            ident = str(e.originator_id)
            if topic == "HealthBucket.Opened":
                states[ident] = _opened(e)
            state = states.get(ident)
            if state is None:
                continue
            fold(state, topic, e)
            touched[ident] = state
            row = transition(rec, state)
            if row is not None:
                transitions.append(row)
        self.view.put(tx, touched, transitions)
