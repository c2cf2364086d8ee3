"""A bucket as it stands now: its window, counters, rates and verdict (console.md §11).

Shared by the evaluator (which appends the transitions) and ``GET /health`` (which shows
them), so both read one computation: the bucket's state (aggregate or view row), the
``health`` view's facts in its current window, and the tenant's thresholds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from domain.reputation.health_bucket import HealthBucket, parse_key
from domain.reputation.health_rules import (
    ROLLUP,
    Counters,
    HealthSettings,
    Verdict,
    rates_of,
    verdict,
    window_start,
)
from projections.health_buckets import blank_bucket

if TYPE_CHECKING:
    from adapters.bootstrap import Container


class Assessment(msgspec.Struct, frozen=True):
    key: str
    state: dict[str, Any]  # the bucket's transition state (defaults for a bucket never changed)
    window_started_at: float
    counters: Counters
    verdict: Verdict


def health_settings(container: Container, tenant_id: str) -> HealthSettings:
    doc = container.content.settings(tenant_id)
    found = getattr(doc, "health", None)
    return found if isinstance(found, HealthSettings) else HealthSettings()


def blank_state(tenant_id: str, key: str) -> dict[str, Any]:
    domain, kind = parse_key(key)
    return {**blank_bucket(tenant_id, key, domain, kind), "updatedAt": None}


def state_of(bucket: HealthBucket | None, tenant_id: str, key: str) -> dict[str, Any]:
    """The aggregate's state in the view's shape (camelCase)."""
    out = blank_state(tenant_id, key)
    if bucket is None:
        return out
    out.update(
        status=bucket.status,
        reasons=list(bucket.reasons),
        signals=dict(bucket.signals),
        windowStartedAt=bucket.window_started_at,
        countFrom=bucket.count_from,
        countAfter=bucket.count_after,
        holdsTransactional=bucket.holds_transactional,
        trippedAt=bucket.tripped_at,
        trippedReason=bucket.tripped_reason,
        trippedBy=bucket.tripped_by,
        tripSource=bucket.trip_source,
        resumedAt=bucket.resumed_at,
        resumedBy=bucket.resumed_by,
        updatedAt=bucket.modified_ts,
    )
    return out


def first_fact(seen: dict[str, tuple[float, float]], key: str) -> float | None:
    """The bucket's first fact (its window anchor); the roll-up's is the tenant's first."""
    if key == ROLLUP:
        return min((first for first, _ in seen.values()), default=None)
    found = seen.get(key)
    return found[0] if found is not None else None


def assess(
    container: Container,
    tenant_id: str,
    key: str,
    state: dict[str, Any],
    first_ts: float | None,
    now: float,
    settings: HealthSettings,
) -> Assessment:
    """Step (1) of the evaluation (an untripped window rolls; a tripped one never does),
    then the verdict on that window's counters. The roll-up never trips: its worst is review."""
    if state["status"] == "tripped" and state["windowStartedAt"] is not None:
        start = float(state["windowStartedAt"])
    else:
        anchor = state["windowStartedAt"] if state["windowStartedAt"] is not None else first_ts
        start = window_start(float(anchor if anchor is not None else now), now, settings.window_minutes)
    view = container.projections["health"].view
    counters = view.counters(tenant_id, key, start, state["countAfter"])
    signals = {src: str(v.get("detail", "")) for src, v in state["signals"].items()}
    found = verdict(counters, settings, signals)
    if key == ROLLUP and found.status == "tripped":
        found = Verdict("review", found.reasons)
    return Assessment(key, state, start, counters, found)


def counters_out(c: Counters) -> dict[str, int]:
    return msgspec.to_builtins(c)  # type: ignore[no-any-return]


def rates_out(c: Counters) -> dict[str, float | None]:
    return msgspec.to_builtins(rates_of(c))  # type: ignore[no-any-return]
