"""``GET /hygiene`` computed from the read models (console.md §15), and the sunset around it.

Population: subscribed live contacts (the ``contacts`` view holds no forgotten ones) without a
marketing or all suppression applying now. Per-contact send figures come from the ``hygiene``
view. The answer is cached 60 s (service clock) per tenant and computed once at a time; a
sunset or revert drops the tenant's entry so the next read shows it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from domain.reputation.hygiene import BUCKETS, DAY, bucket_of, is_candidate
from domain.reputation.postmaster_settings import HygieneSettings
from projections.hygiene import ContactFigures

if TYPE_CHECKING:
    from adapters.bootstrap import Container

CACHE_SECONDS = 60.0
RECENT_DAYS = 90
PAGE = 5000


class HygieneCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, tenant_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(tenant_id, threading.Lock())

    def get(self, tenant_id: str, now: float) -> dict[str, Any] | None:
        found = self._entries.get(tenant_id)
        return found[1] if found is not None and now - found[0] < CACHE_SECONDS and now >= found[0] else None

    def put(self, tenant_id: str, now: float, answer: dict[str, Any]) -> None:
        self._entries[tenant_id] = (now, answer)

    def drop(self, tenant_id: str) -> None:
        self._entries.pop(tenant_id, None)


def population(container: Container, tenant_id: str, now: float) -> dict[str, str]:
    """contact id -> address key of every member (subscribed, live, not suppressed)."""
    view = container.projections["contacts"].view
    members: dict[str, str] = {}
    after: tuple[float, str] | None = None
    while True:
        rows = view.page(tenant_id, status="subscribed", after=after, limit=PAGE)
        members.update({r.contact_id: r.address_key for r in rows})
        if len(rows) < PAGE:
            break
        after = (rows[-1].created_ts, rows[-1].contact_id)
    blocked = container.projections["suppressions"].view.suppressed_keys(
        tenant_id, members.values(), ("marketing", "all"), now)
    return {c: k for c, k in members.items() if k not in blocked}


def _last(f: ContactFigures, settings: HygieneSettings) -> float | None:
    mpp = f.last_mpp if settings.count_apple_mpp_opens else None
    times = [t for t in (f.last_human, mpp) if t is not None]
    return max(times) if times else None


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def candidates(container: Container, tenant_id: str, now: float) -> dict[str, str]:
    """contact id -> address key of the sunset candidates."""
    settings: HygieneSettings = container.content.settings(tenant_id).hygiene
    members = population(container, tenant_id, now)
    figures = container.projections["hygiene"].view.per_contact(tenant_id)
    return {f.contact_id: members[f.contact_id] for f in figures if f.contact_id in members
            and is_candidate(now, _last(f, settings), f.first_mailed, settings.sunset_days)}


def compute(container: Container, tenant_id: str, now: float) -> dict[str, Any]:
    settings: HygieneSettings = container.content.settings(tenant_id).hygiene
    members = population(container, tenant_id, now)
    view = container.projections["hygiene"].view
    figures = [f for f in view.per_contact(tenant_id) if f.contact_id in members]
    counts = [0] * len(BUCKETS)
    cohort: list[ContactFigures] = []
    for f in figures:
        last = _last(f, settings)
        counts[bucket_of(now, last)] += 1
        if is_candidate(now, last, f.first_mailed, settings.sunset_days):
            cohort.append(f)
    total = len(members)
    buckets = [{"label": b.label, "minDays": b.min_days, "maxDays": b.max_days,
                "neverEngaged": b.never_engaged, "count": n, "pctOfTotal": _rate(n, total)}
               for b, n in zip(BUCKETS, counts, strict=True)]
    sends = sum(f.sends for f in cohort)
    lifetime = None if not cohort or not sends else {
        "totalSends": sends, "bouncedRate": _rate(sum(f.bounced for f in cohort), sends),
        "hardBouncedRate": _rate(sum(f.hard for f in cohort), sends),
        "complaintRate": _rate(sum(f.complained for f in cohort), sends)}
    recent = view.per_contact(tenant_id, since=now - RECENT_DAYS * DAY)
    runs = view.runs(tenant_id, limit=1)
    return {
        "totalSubscribers": total,
        "totalWithSends": len(figures),
        "buckets": buckets,
        "sunsetCandidate": {"count": len(cohort), "pctOfTotal": _rate(len(cohort), total),
                            "cohortLifetime": lifetime,
                            "projectedImpact": impact(recent, {f.contact_id for f in cohort})},
        "lastSunset": run_out(runs[0]) if runs else None,
        "computedAt": now,
    }


def impact(recent: list[ContactFigures], cohort: set[str]) -> dict[str, Any] | None:
    """console.md §15: projected = (all - cohort) / (total - cohort sends), 0 if nothing remains."""
    total = sum(f.sends for f in recent)
    if not total:
        return None
    bounced, complained = sum(f.bounced for f in recent), sum(f.complained for f in recent)
    mine = [f for f in recent if f.contact_id in cohort]
    c_sends, c_bounced = sum(f.sends for f in mine), sum(f.bounced for f in mine)
    c_complained = sum(f.complained for f in mine)
    rest = total - c_sends
    return {"recentTotalSends": total, "recentBounced": bounced, "recentComplained": complained,
            "cohortRecentSends": c_sends, "cohortRecentBounced": c_bounced,
            "cohortRecentComplained": c_complained, "currentOverallBounceRate": bounced / total,
            "projectedBounceRate": _rate(bounced - c_bounced, rest),
            "currentOverallComplaintRate": complained / total,
            "projectedComplaintRate": _rate(complained - c_complained, rest)}


def run_out(row: dict[str, Any]) -> dict[str, Any]:
    return {"runId": row["run_id"], "at": row["at"], "by": row["by_actor"], "scope": row["scope"],
            "suppressed": row["suppressed"], "revertedAt": row["reverted_ts"]}


def report(container: Container, tenant_id: str, *, refresh: bool) -> dict[str, Any]:
    """The cached answer (times as epoch seconds; the API formats them)."""
    cache: HygieneCache = container.hygiene_cache
    now = container.clock.now()
    if not refresh and (found := cache.get(tenant_id, now)) is not None:
        return found
    with cache.lock(tenant_id):  # one computation at a time per tenant
        if not refresh and (found := cache.get(tenant_id, now)) is not None:
            return found
        answer = compute(container, tenant_id, now)
        cache.put(tenant_id, now, answer)
        return answer
