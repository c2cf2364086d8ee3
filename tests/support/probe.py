"""A probe aggregate and a per-event view: lets tests count exactly how often each event applied."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import uuid4

from domain.model import Aggregate
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx


class Probe(Aggregate):
    TOPIC = "Test.Probe"

    class Started(Aggregate.Created, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Test.Probe.Started"
        label: str

        def apply(self, probe: Any) -> None:
            probe.label = self.label
            probe.ticks = 0

    class Ticked(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Test.Probe.Ticked"
        n: int

        def apply(self, probe: Any) -> None:
            probe.ticks += 1

    label: str
    ticks: int

    @classmethod
    def start(cls, label: str = "p") -> Probe:
        return cls._create(cls.Started, id=uuid4(), label=label)

    def tick(self, n: int) -> None:
        self.trigger_event(self.Ticked, n=n)


def probes(count: int, ticks: int = 9) -> list[Probe]:
    """``count`` probes of ``ticks + 1`` events each."""
    out = []
    for i in range(count):
        p = Probe.start(f"p{i}")
        for n in range(ticks):
            p.tick(n)
        out.append(p)
    return out


class ProbeView(View):
    """One row per applied event; ``applied`` counts how often it was applied."""

    NAME = "probe"
    TABLES = ("probe_applied",)

    def ddl(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('probe_applied')} ("
            "application TEXT NOT NULL, position BIGINT NOT NULL, topic TEXT NOT NULL, "
            "applied INTEGER NOT NULL, PRIMARY KEY (application, position))"
        ]

    def index_ddl(self) -> list[str]:
        return [f"CREATE INDEX IF NOT EXISTS {self.t('probe_applied_topic')} "
                f"ON {self.t('probe_applied')} (topic)"]

    def applied(self) -> dict[int, int]:
        with self.db.transaction(write=False) as tx:
            rows = tx.execute(f"SELECT position, applied FROM {self.t('probe_applied')}")
        return {int(p): int(a) for p, a in rows}


class ProbeProjection(Projection[ProbeView]):
    VIEW = ProbeView
    FOLLOWS = ("tenancy",)
    fail_after: ClassVar[int | None] = None  # raise after writing this many events of a page
    slow_seconds: ClassVar[float] = 0.0  # pause mid-page (so a test can kill the process)

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        table = self.view.t("probe_applied")
        for i, rec in enumerate(page):
            if self.fail_after is not None and i == self.fail_after:
                raise RuntimeError("probe: simulated crash mid-page")
            tx.execute(
                f"INSERT INTO {table} (application, position, topic, applied) VALUES (?, ?, ?, 1) "
                f"ON CONFLICT (application, position) DO UPDATE SET applied = {table}.applied + 1",
                (rec.application, rec.position, type(rec.event).TOPIC),
            )
            if self.slow_seconds and i == len(page) // 2:
                marker = os.environ.get("PROBE_MIDPAGE_MARKER")
                if marker:
                    open(marker, "w").close()
                time.sleep(self.slow_seconds)
