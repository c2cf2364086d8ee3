"""Audit entries of the ``health`` log (console.md §1.5, §11): ``health.trip`` (automatic by
``system:circuit-breaker``, by a monitor, or by hand), ``health.resume``, ``health.review``
when the evaluator lifts a bucket to review, ``health.signal`` when a monitor raises or clears
a signal. Pure functions of one event, in the shape ``console_audit_map.Entry`` takes."""

from __future__ import annotations

from typing import Any

from domain.reputation.health_bucket import HealthBucket

HEALTH_TOPICS = frozenset(
    cls.TOPIC
    for cls in (
        HealthBucket.Tripped,
        HealthBucket.Resumed,
        HealthBucket.StatusChanged,
        HealthBucket.SignalRaised,
        HealthBucket.SignalCleared,
    )
)


def health_entry(e: Any) -> dict[str, Any] | None:
    base = dict(
        resource_type="health_bucket",
        resource_id=str(e.originator_id),
        resource_slug=getattr(e, "bucket_id", None),
    )
    if isinstance(e, HealthBucket.Tripped):
        return dict(
            action="health.trip",
            before={"status": "untripped"},
            after={
                "status": "tripped",
                "reason": e.reason,
                "source": e.source,
                "holdsTransactional": e.holds_transactional,
            },
            **base,
        )
    if isinstance(e, HealthBucket.Resumed):
        return dict(
            action="health.resume",
            before={"status": "tripped"},
            after={"status": e.status, "countFrom": e.count_from, "resumeBroadcasts": e.resume_broadcasts},
            **base,
        )
    if isinstance(e, HealthBucket.StatusChanged) and e.status == "review":
        return dict(
            action="health.review",
            before={"status": e.previous},
            after={"status": e.status, "reasons": list(e.reasons)[:20]},
            **base,
        )
    if isinstance(e, HealthBucket.SignalRaised):
        return dict(
            action="health.signal",
            after={"source": e.source, "detail": e.detail[:200], "raised": True},
            **base,
        )
    if isinstance(e, HealthBucket.SignalCleared):
        return dict(action="health.signal", after={"source": e.source, "raised": False}, **base)
    return None
