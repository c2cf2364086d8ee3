"""The health Application (log ``health``): health buckets, the circuit breaker
(console.md §11). Each command loads one bucket by its deterministic id, lets the aggregate
decide, and saves; a racing writer (another evaluator process) makes the save fail its
version check, and the command then re-reads and decides again."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from domain.reputation.health_bucket import HealthBucket, health_bucket_uuid

Decide = Callable[[HealthBucket], bool]  # True: it triggered events worth saving


class HealthApplication(LedgerApplication):
    name: ClassVar[str] = "health"

    def bucket(self, tenant_id: str, key: str) -> HealthBucket | None:
        try:
            return self.repository.get(health_bucket_uuid(tenant_id, key))  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            return None

    def change_bucket(
        self, tenant_id: str, key: str, decide: Decide, meta: CommandMeta = SYSTEM, *, attempts: int = 3
    ) -> tuple[bool, int]:
        """Run ``decide`` on the bucket (opened if new) and save what it triggered: returns
        (changed, position). Retried from a fresh read when another writer got there first."""
        for attempt in range(attempts):
            with self.under(meta, tenant_id):
                found = self.bucket(tenant_id, key)
                bucket = found if found is not None else HealthBucket.open(tenant_id, key)
                if not decide(bucket) and found is not None:
                    return False, 0
                if found is None and len(bucket.pending_events) == 1:
                    return False, 0  # only Opened: a bucket without a transition is not stored
                try:
                    return True, self.record(bucket)
                except IntegrityError:
                    if attempt == attempts - 1:
                        raise
        return False, 0  # pragma: no cover - the loop returns or raises

    def trip_bucket(
        self,
        tenant_id: str,
        key: str,
        reason: str,
        *,
        source: str,
        holds_transactional: bool,
        reasons: list[str] | None = None,
        window_started_at: float | None = None,
        counters: dict[str, int] | None = None,
        meta: CommandMeta = SYSTEM,
    ) -> tuple[bool, int]:
        """Trip (idempotent: an already tripped bucket changes nothing)."""
        return self.change_bucket(
            tenant_id,
            key,
            lambda b: b.trip(
                reason,
                reasons=reasons,
                source=source,
                holds_transactional=holds_transactional,
                window_started_at=window_started_at,
                counters=counters,
            ),
            meta,
        )

    def resume_bucket(
        self,
        tenant_id: str,
        key: str,
        count_after: int,
        *,
        resume_broadcasts: bool = False,
        meta: CommandMeta = SYSTEM,
    ) -> tuple[bool, int]:
        """Close the breaker: the fresh window counts the sending log after ``count_after``."""

        def decide(bucket: HealthBucket) -> bool:
            if not bucket.tripped:
                return False
            bucket.resume(count_after, resume_broadcasts=resume_broadcasts)
            return True

        return self.change_bucket(tenant_id, key, decide, meta)

    def set_status(
        self, tenant_id: str, key: str, status: str, reasons: list[str], meta: CommandMeta = SYSTEM
    ) -> tuple[bool, int]:
        """An evaluator's non-trip verdict; a tripped bucket keeps its state until resumed."""
        return self.change_bucket(
            tenant_id, key, lambda b: not b.tripped and b.change_status(status, reasons), meta
        )

    def set_signal(
        self, tenant_id: str, key: str, source: str, detail: str | None, meta: CommandMeta = SYSTEM
    ) -> tuple[bool, int]:
        """Raise (``detail``) or clear (None) a monitor's signal on the bucket."""
        return self.change_bucket(
            tenant_id,
            key,
            lambda b: b.raise_signal(source, detail) if detail is not None else b.clear_signal(source),
            meta,
        )
