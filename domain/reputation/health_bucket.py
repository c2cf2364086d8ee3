"""The HealthBucket: the circuit breaker of one (tenant, sender domain, kind), or of the
tenant's roll-up ``agg`` (console.md §11).

Only transitions are events (§2.1): the counters are a read model of Message events
(``projections/health.py``). Id: uuid5 of tenant + bucket id (``d:<domain>|k:<kind>``), so
the gate and two racing evaluators find the same aggregate without a read model; the
optimistic version check lets only one of them append a transition.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID, uuid5

from domain.errors import RuleViolation
from domain.instance import LEDGERMAIL_NAMESPACE
from domain.model import Aggregate, current_context
from domain.reputation.health_rules import KINDS, ROLLUP


class NotTripped(RuleViolation):
    code = "not_tripped"
    status = 409


def bucket_key(domain: str, kind: str) -> str:
    return f"d:{domain.strip().lower()}|k:{kind}"


def parse_key(key: str) -> tuple[str | None, str | None]:
    if key == ROLLUP:
        return None, None
    domain, _, kind = key.removeprefix("d:").partition("|k:")
    return domain, kind


def health_bucket_uuid(tenant_id: str, key: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"health-bucket/{tenant_id}/{key}")


class HealthBucket(Aggregate):
    TOPIC = "HealthBucket"

    class Opened(Aggregate.Created, frozen=True, kw_only=True):
        """The bucket `bucket_id` of `tenant_id` had its first transition (saved with it);
        `sender_domain` and `kind` are null for the roll-up `agg`."""

        TOPIC: ClassVar[str] = "HealthBucket.Opened"
        tenant_id: str
        bucket_id: str
        sender_domain: str | None
        kind: str | None

        def apply(self, b: Any) -> None:
            b.tenant_id, b.bucket_id, b.sender_domain, b.kind = (
                self.tenant_id,
                self.bucket_id,
                self.sender_domain,
                self.kind,
            )
            b.status, b.reasons, b.signals = "healthy", [], {}
            b.window_started_at = b.count_from = b.count_after = None
            b.holds_transactional = False
            b.tripped_at = b.tripped_reason = b.tripped_by = b.trip_source = None
            b.resumed_at = b.resumed_by = None

    class StatusChanged(Aggregate.Event, frozen=True, kw_only=True):
        """The evaluator moved the untripped bucket `bucket_id` from `previous` to `status` (healthy,
        review or degraded) because of `reasons` (crossed thresholds, signals)."""

        TOPIC: ClassVar[str] = "HealthBucket.StatusChanged"
        bucket_id: str
        status: str
        previous: str
        reasons: list[str]

        def apply(self, b: Any) -> None:
            b.status, b.reasons = self.status, list(self.reasons)

    class Tripped(Aggregate.Event, frozen=True, kw_only=True):
        """The breaker opened: `reason` (the first crossed trip rule, or a manual/signal
        reason), `reasons` all crossed; `source` `circuit-breaker`, `manual` or a monitor
        (`postmaster`, ...); `holds_transactional`: transactional sends of the bucket are held
        too; `window_started_at`: the window it tripped in (a tripped window never rolls);
        `counters`: that window's counters at the trip."""

        TOPIC: ClassVar[str] = "HealthBucket.Tripped"
        bucket_id: str
        reason: str
        reasons: list[str]
        source: str
        holds_transactional: bool
        window_started_at: float
        counters: dict[str, int]

        def apply(self, b: Any) -> None:
            b.status, b.reasons = "tripped", list(self.reasons)
            b.tripped_at, b.tripped_reason, b.tripped_by = self.timestamp, self.reason, self.meta.actor
            b.trip_source, b.holds_transactional = self.source, self.holds_transactional
            b.window_started_at = self.window_started_at

    class Resumed(Aggregate.Event, frozen=True, kw_only=True):
        """Closed again with a fresh window from `count_from`, counting only what the sending
        log holds after position `count_after` (outcomes of sends made before no longer count
        here); `status` healthy or the signal floor `review`;
        `resume_broadcasts`: breaker-paused broadcasts were asked to resume too."""

        TOPIC: ClassVar[str] = "HealthBucket.Resumed"
        bucket_id: str
        count_from: float
        count_after: int
        status: str
        resume_broadcasts: bool

        def apply(self, b: Any) -> None:
            b.status, b.reasons = (
                self.status,
                [f"signal {s}: {v['detail']}" for s, v in sorted(b.signals.items())],
            )
            b.window_started_at = b.count_from = self.count_from
            b.count_after = self.count_after
            b.holds_transactional = False
            b.resumed_at, b.resumed_by = self.timestamp, self.meta.actor

    class SignalRaised(Aggregate.Event, frozen=True, kw_only=True):
        """A monitor (`source`: dnsbl, snds, postmaster, ...) flagged the bucket: `detail`."""

        TOPIC: ClassVar[str] = "HealthBucket.SignalRaised"
        bucket_id: str
        source: str
        detail: str

        def apply(self, b: Any) -> None:
            since = b.signals.get(self.source, {}).get("since", self.timestamp)
            b.signals = {**b.signals, self.source: {"detail": self.detail, "since": since}}

    class SignalCleared(Aggregate.Event, frozen=True, kw_only=True):
        """The monitor `source` no longer flags the bucket."""

        TOPIC: ClassVar[str] = "HealthBucket.SignalCleared"
        bucket_id: str
        source: str

        def apply(self, b: Any) -> None:
            b.signals = {k: v for k, v in b.signals.items() if k != self.source}

    tenant_id: str
    bucket_id: str
    sender_domain: str | None
    kind: str | None
    status: str
    reasons: list[str]
    signals: dict[str, dict[str, Any]]
    window_started_at: float | None
    count_from: float | None
    count_after: int | None  # a sending-log position
    holds_transactional: bool
    tripped_at: float | None
    tripped_reason: str | None
    tripped_by: str | None
    trip_source: str | None
    resumed_at: float | None
    resumed_by: str | None

    @classmethod
    def open(cls, tenant_id: str, key: str) -> HealthBucket:
        domain, kind = parse_key(key)
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        return cls._create(
            cls.Opened,
            id=health_bucket_uuid(tenant_id, key),
            tenant_id=tenant_id,
            bucket_id=key,
            sender_domain=domain,
            kind=kind,
        )

    @property
    def tripped(self) -> bool:
        return self.status == "tripped"

    def holds(self, kind: str) -> bool:
        """A tripped marketing bucket holds marketing; a transactional one only on request."""
        return self.tripped and (kind == "marketing" or self.holds_transactional)

    def change_status(self, status: str, reasons: list[str]) -> bool:
        if self.tripped or status == "tripped":
            raise ValueError("trips and resumes have commands of their own")
        if status == self.status:
            return False
        self.trigger_event(
            self.StatusChanged, bucket_id=self.bucket_id, status=status, previous=self.status, reasons=reasons
        )
        return True

    def trip(
        self,
        reason: str,
        *,
        reasons: list[str] | None = None,
        source: str,
        holds_transactional: bool,
        window_started_at: float | None = None,
        counters: dict[str, int] | None = None,
    ) -> bool:
        """False (nothing appended) when it is tripped already: trips are idempotent."""
        if self.bucket_id == ROLLUP:
            raise ValueError("the roll-up never trips")
        if self.tripped:
            return False
        start = window_started_at if window_started_at is not None else current_context().now
        self.trigger_event(
            self.Tripped,
            bucket_id=self.bucket_id,
            reason=reason,
            reasons=reasons or [reason],
            source=source,
            holds_transactional=holds_transactional,
            window_started_at=start,
            counters=counters or {},
        )
        return True

    def resume(self, count_after: int, *, resume_broadcasts: bool = False) -> None:
        if not self.tripped:
            raise NotTripped(f"bucket {self.bucket_id} is not tripped")
        self.trigger_event(
            self.Resumed,
            bucket_id=self.bucket_id,
            count_from=current_context().now,
            count_after=count_after,
            status="review" if self.signals else "healthy",
            resume_broadcasts=resume_broadcasts,
        )

    def raise_signal(self, source: str, detail: str) -> bool:
        if self.signals.get(source, {}).get("detail") == detail:
            return False
        self.trigger_event(self.SignalRaised, bucket_id=self.bucket_id, source=source, detail=detail)
        return True

    def clear_signal(self, source: str) -> bool:
        if source not in self.signals:
            return False
        self.trigger_event(self.SignalCleared, bucket_id=self.bucket_id, source=source)
        return True
