"""The ``send_metrics`` read model: the counters and histograms of spec §13, as rows.

``send_metrics`` holds one row per series (metric name, labels as sorted JSON, value), so
every process serves the same cluster-wide numbers and a rebuild reproduces them.
``send_metrics_ready`` keeps, per message, what an outcome event does not carry: the
tenant and account it counts for and when it became ready (for the latency histogram).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from projections.base import View
from projections.sending import bulk
from projections.sql import SqlTx

LATENCY = "dispatch_latency_seconds"
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
LE = (*(repr(float(b)) for b in BUCKETS), "+Inf")  # the label values Prometheus clients write
# The latency sum is kept in whole microseconds: integer-valued doubles add exactly, so the
# total does not depend on how events were split into pages (live and rebuild agree).
SUM_SCALE = 1_000_000
CHUNK = 500
READY_KINDS = {"pk": "text", "tenant_id": "text", "account_id": "text", "accepted_ts": "real",
               "ready_ts": "real", "in_flight": "int"}
READY_COLUMNS = tuple(READY_KINDS)

Labels = dict[str, str]
Sample = tuple[str, Labels, float]


def label_key(labels: Labels) -> str:
    return msgspec.json.encode(labels, order="sorted").decode()


class SendMetricsView(View):
    NAME = "send_metrics"
    TABLES = ("send_metrics", "send_metrics_ready")

    def ddl(self) -> list[str]:
        real = "DOUBLE PRECISION" if self.db.dialect == "postgresql" else "REAL"
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('send_metrics')} (metric TEXT NOT NULL, "
            f"labels TEXT NOT NULL, value {real} NOT NULL, PRIMARY KEY (metric, labels))",
            f"CREATE TABLE IF NOT EXISTS {self.t('send_metrics_ready')} (pk TEXT PRIMARY KEY, "
            f"tenant_id TEXT NOT NULL, account_id TEXT, accepted_ts {real}, ready_ts {real}, "
            "in_flight INTEGER NOT NULL)",
        ]

    # --- queries ---------------------------------------------------------------------------
    def samples(self) -> list[Sample]:
        """Every series: (name without the ``ledgermail_`` prefix, labels, value), sorted.
        Histogram parts are named ``<name>_bucket`` (with ``le``), ``_count`` and ``_sum``."""
        with self.db.transaction(write=False) as tx:
            raw = tx.execute(f"SELECT metric, labels, value FROM {self.t('send_metrics')} "
                             "ORDER BY metric, labels")
        out = []
        for metric, labels, value in raw:
            number = float(value) / SUM_SCALE if metric == f"{LATENCY}_sum" else float(value)
            out.append((str(metric), msgspec.json.decode(labels), number))
        return out

    def value(self, metric: str, **labels: str) -> float | None:
        """One series (tests and spot checks); None when it does not exist."""
        for name, got, number in self.samples():
            if name == metric and got == labels:
                return number
        return None

    # --- page writes -------------------------------------------------------------------------
    def add(self, tx: SqlTx, deltas: Mapping[tuple[str, str], float]) -> None:
        """Add to series, creating them (a delta of 0 creates a zero series)."""
        table = self.t("send_metrics")
        bulk.upsert(tx, self.db.dialect, table, {"metric": "text", "labels": "text", "value": "real"},
                    "metric, labels",
                    [(metric, labels, value) for (metric, labels), value in sorted(deltas.items())],
                    f"value = {table}.value + excluded.value")

    def load_ready(self, tx: SqlTx, pks: Sequence[str]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start:start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            for raw in tx.execute(f"SELECT {', '.join(READY_COLUMNS)} FROM {self.t('send_metrics_ready')} "
                                  f"WHERE pk IN ({marks})", chunk):
                out[raw[0]] = list(raw[1:])
        return out

    def put_ready(self, tx: SqlTx, rows: Sequence[Sequence[Any]]) -> None:
        bulk.upsert(tx, self.db.dialect, self.t("send_metrics_ready"), READY_KINDS, "pk", rows)

    def delete_ready(self, tx: SqlTx, pks: Sequence[str]) -> None:
        bulk.delete(tx, self.t("send_metrics_ready"), "pk", pks)
