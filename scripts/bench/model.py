"""What the benchmark writes and projects: a message-sized event and a per-event row view.

The aggregate lives here rather than in ``tests/support`` so the benchmark never imports
tests. Its topics (``Bench.*``) cannot clash with product topics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import uuid4

from domain.model import Aggregate
from projections.base import Projection, Recorded, View
from projections.sql import SqlTx


class BenchItem(Aggregate):
    TOPIC = "Bench.Item"

    class Queued(Aggregate.Created, frozen=True, kw_only=True):
        # Roughly the shape of a queued message: a few short strings and numbers.
        TOPIC: ClassVar[str] = "Bench.Item.Queued"
        client_id: str
        to_addr: str
        subject: str
        size: int

        def apply(self, item: Any) -> None:
            item.client_id = self.client_id

    client_id: str

    @classmethod
    def queue(cls, n: int) -> BenchItem:
        return cls._create(
            cls.Queued, id=uuid4(), client_id=f"m{n}", to_addr=f"user{n}@example.com",
            subject=f"Benchmark message number {n}", size=1024 + n % 4096,
        )


def items(start: int, count: int) -> list[BenchItem]:
    """``count`` new aggregates of one event each: one save of them is ``count`` events."""
    return [BenchItem.queue(n) for n in range(start, start + count)]


class BenchRowsView(View):
    """One row per event: the write-heavy end of read models (an audit or message list)."""

    NAME = "bench_rows"
    TABLES = ("bench_rows",)

    def ddl(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.t('bench_rows')} ("
            "application TEXT NOT NULL, position BIGINT NOT NULL, topic TEXT NOT NULL, "
            "originator_id TEXT NOT NULL, tenant_id TEXT NOT NULL, "
            "PRIMARY KEY (application, position))"
        ]

    def count(self) -> int:
        with self.db.transaction(write=False) as tx:
            return int(tx.execute(f"SELECT COUNT(*) FROM {self.t('bench_rows')}")[0][0])


class BenchRowsProjection(Projection[BenchRowsView]):
    VIEW = BenchRowsView
    FOLLOWS = ("tenancy",)

    def process(self, tx: SqlTx, page: Sequence[Recorded]) -> None:
        tx.executemany(
            f"INSERT INTO {self.view.t('bench_rows')} "
            "(application, position, topic, originator_id, tenant_id) VALUES (?, ?, ?, ?, ?)",
            [
                (r.application, r.position, type(r.event).TOPIC, str(r.event.originator_id),
                 r.event.meta.tenant_id or "")
                for r in page
            ],
        )
