"""The health console's operations (console.md §11): the ``GET /health`` document, resume,
manual trip. Times are unix seconds here; the controller writes them as ISO-8601."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from adapters.reputation.health_broadcasts import paused_by_breaker
from adapters.reputation.health_broadcasts import resume_broadcasts as resume_after_breaker
from adapters.reputation.health_signals import TripResult, release_bucket, trip_bucket
from adapters.reputation.health_state import (
    Assessment,
    assess,
    counters_out,
    first_fact,
    health_settings,
    rates_out,
    state_of,
)
from application.base import CommandMeta
from domain.reputation.health_bucket import bucket_key, parse_key
from domain.reputation.health_rules import KINDS, ROLLUP, HealthSettings, worst

if TYPE_CHECKING:
    from adapters.bootstrap import Container

TIMES = ("windowStartedAt", "countFrom", "trippedAt", "resumedAt", "updatedAt")


class ResumeResult(msgspec.Struct, frozen=True):
    resumed: int
    released: int
    paused_broadcasts: int
    position: int


def _held(container: Container, tenant_id: str, key: str) -> int:
    return len(container.projections["sends"].view.waiting_sends(tenant_id, hold=f"health:{key}"))


def bucket_doc(container: Container, a: Assessment, settings: HealthSettings) -> dict[str, Any]:
    s = a.state
    tripped = s["status"] == "tripped"
    return {
        "id": a.key,
        "senderDomain": s["senderDomain"],
        "kind": s["kind"],
        "status": "tripped" if tripped else a.verdict.status,
        "reasons": list(s["reasons"]) if tripped else a.verdict.reasons,
        "windowStartedAt": a.window_started_at,
        "windowMinutes": settings.window_minutes,
        "countFrom": s["countFrom"],
        "counters": counters_out(a.counters),
        "rates": rates_out(a.counters),
        "holdsTransactional": bool(s["holdsTransactional"]),
        "trippedAt": s["trippedAt"],
        "trippedReason": s["trippedReason"],
        "trippedBy": s["trippedBy"],
        "resumedAt": s["resumedAt"],
        "resumedBy": s["resumedBy"],
        "signals": [
            {"source": src, "detail": v.get("detail"), "since": v.get("since")}
            for src, v in sorted(s["signals"].items())
        ],
        "held": _held(container, s["tenantId"], a.key) if a.key != ROLLUP else 0,
        "updatedAt": s["updatedAt"],
    }


def bucket_keys(container: Container, tenant_id: str) -> tuple[list[str], dict[str, tuple[float, float]]]:
    seen = container.projections["health"].view.seen(tenant_id)
    stored = container.projections["health_buckets"].view.buckets(tenant_id)
    keys = sorted({*seen, *stored} - {ROLLUP})
    return keys, seen


def health_document(container: Container, tenant_id: str) -> dict[str, Any]:
    """``{status, rates, counters, aggregate, buckets, thresholds, signals}`` (§11)."""
    settings = health_settings(container, tenant_id)
    now = container.clock.now()
    keys, seen = bucket_keys(container, tenant_id)
    docs = []
    for key in [*keys, ROLLUP]:
        state = state_of(container.health.bucket(tenant_id, key), tenant_id, key)
        docs.append(
            bucket_doc(
                container,
                assess(container, tenant_id, key, state, first_fact(seen, key), now, settings),
                settings,
            )
        )
    aggregate, buckets = docs[-1], docs[:-1]
    statuses = [b["status"] for b in buckets] + (["review"] if aggregate["signals"] else [])
    has_data = bool(seen)
    return {
        "status": worst(statuses) if buckets else None,
        "rates": aggregate["rates"] if has_data else None,
        "counters": aggregate["counters"] if has_data else None,
        "aggregate": aggregate if has_data or aggregate["signals"] else None,
        "buckets": buckets,
        "thresholds": msgspec.to_builtins(settings),
        "signals": [{"bucketId": d["id"], **sig} for d in docs for sig in d["signals"]],
    }


def resume(
    container: Container,
    tenant_id: str,
    domain: str | None,
    kind: str | None,
    *,
    resume_broadcasts: bool,
    meta: CommandMeta,
) -> ResumeResult:
    """One bucket (``domain`` and ``kind``) or, with neither, every tripped bucket: a fresh
    window from now, the bucket's ``health:`` holds lifted; breaker-paused broadcasts of a
    resumed marketing bucket resume only with ``resume_broadcasts`` (``paused_broadcasts``:
    how many stay paused)."""
    if domain is not None and kind is not None:
        keys = [bucket_key(domain, kind)]
    else:
        container.catch_up(["health_buckets"])
        keys = container.projections["health_buckets"].view.tripped(tenant_id)
    resumed = released = position = 0
    domains: set[str] = set()
    for key in keys:
        # the sending log's head now: what is there already belongs to the old window
        head = container.sending.max_position()
        changed, pos = container.health.resume_bucket(
            tenant_id, key, head, resume_broadcasts=resume_broadcasts, meta=meta
        )
        if changed:
            resumed += 1
            position = max(position, pos)
            released += release_bucket(container, tenant_id, key, meta)
            found, found_kind = parse_key(key)
            if found and found_kind == "marketing":
                domains.add(found)
    paused = 0
    for name in sorted(domains):
        if resume_broadcasts:
            resume_after_breaker(container, tenant_id, name, meta)
        paused += paused_by_breaker(container, tenant_id, name)
    return ResumeResult(resumed, released, paused, position)


def manual_trip(
    container: Container,
    tenant_id: str,
    domain: str,
    kind: str | None,
    reason: str,
    *,
    holds_transactional: bool,
    meta: CommandMeta,
) -> TripResult:
    if kind is not None and kind not in KINDS:
        raise ValueError(kind)
    return trip_bucket(
        container, tenant_id, domain, kind, reason, "manual", meta, holds_transactional=holds_transactional
    )


def health_status(container: Container, tenant_id: str) -> str | None:
    """The worst status the breaker recorded (``/me``): cheap, from the buckets view; null
    when the tenant has no bucket yet (buckets with facts only are healthy)."""
    keys, _seen = bucket_keys(container, tenant_id)
    stored = container.projections["health_buckets"].view.buckets(tenant_id)
    statuses = [stored[k]["status"] if k in stored else "healthy" for k in keys]
    if stored.get(ROLLUP, {}).get("signals"):
        statuses.append("review")
    return worst(statuses) if keys else None


def dashboard_health(container: Container, tenant_id: str) -> dict[str, Any]:
    """The dashboard's health card: status (``healthy`` before any bucket), the roll-up's
    rates and the tenant's thresholds."""
    doc = health_document(container, tenant_id)
    rates = doc["rates"] or {
        "bounceRate": None,
        "hardBounceRate": None,
        "complaintRate": None,
        "failureRate": None,
    }
    return {"status": doc["status"] or "healthy", "rates": rates, "thresholds": doc["thresholds"]}
