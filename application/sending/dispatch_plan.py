"""Which ready messages one claim takes: the cut per account and the rate-limit verdicts.

Pure: the claim store gathers the inputs under its locks (candidates in queue order, live
leases, window counts, closed limiters) and applies the plan in the same transaction
(spec proxy.md §6.1, §7; ADR 0007).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from application.sending.ports import DispatchLimits
from domain.sending.limits import WINDOWS, Window, window_start, would_exceed


def account_scope(tenant_id: str, account_id: str) -> str:
    return f"account:{tenant_id}/{account_id}"


def tenant_scope(tenant_id: str) -> str:
    return f"tenant:{tenant_id}"


class Candidate(NamedTuple):
    """A ready ``messages`` row, with the fingerprint the claim remembers it by."""

    pk: str
    tenant_id: str
    account_id: str
    status: str
    attempts: int
    deferred_until: float | None
    priority: int
    accepted_ts: float
    seq: int | None = None  # arrival order among equal accepted_ts

    @property
    def account(self) -> tuple[str, str]:
        return self.tenant_id, self.account_id


class Verdict(NamedTuple):
    candidate: Candidate
    action: str  # "claim" | "defer" | "reject"
    until: float | None = None
    reason: str = ""


class Plan(NamedTuple):
    verdicts: list[Verdict]
    closes: dict[str, float]  # limiter scope -> closed until


class Usage(NamedTuple):
    """What is counted against the limits now: window counts and live leases per account."""

    counts: Counter[tuple[str, Window]]
    live: Counter[tuple[str, str]]


def count_usage(windows: Iterable[tuple[str, Window, float, int]],
                leases: Iterable[tuple[str, str, float]], now: float,
                expired: Iterable[tuple[str, str, float]] = ()) -> Usage:
    """``windows``: (scope, window, start, sent) rows; ``leases``: live (tenant, account,
    claimed_ts). A lease counts in every window of ``now`` it was claimed in; an ``expired``
    one too (its attempt may have sent before its worker died), but not as live."""
    counts: Counter[tuple[str, Window]] = Counter()
    live: Counter[tuple[str, str]] = Counter()
    for scope, window, start, sent in windows:
        if start == window_start(window, now):
            counts[(scope, window)] += sent
    leases = list(leases)
    for tenant_id, account_id, _ in leases:
        live[(tenant_id, account_id)] += 1
    for tenant_id, account_id, claimed_ts in (*leases, *expired):
        for window in WINDOWS:
            if claimed_ts >= window_start(window, now):
                counts[(account_scope(tenant_id, account_id), window)] += 1
                counts[(tenant_scope(tenant_id), window)] += 1
    return Usage(counts, live)


def room(limits: DispatchLimits, live: int) -> int:
    """How many more this account may take now: its batch, within its cluster-wide concurrency."""
    return max(0, min(limits.batch_size, limits.max_concurrency - live))


def plan_claim(candidates: Iterable[Candidate], limits_of: Callable[[str, str], DispatchLimits],
               usage: Usage, closed: Mapping[str, float], now: float) -> Plan:
    """Walk the candidates in queue order: skip closed scopes and full accounts, then claim,
    defer (closing the full scopes) or reject by ``domain.sending.limits.would_exceed``."""
    counts = Counter(usage.counts)
    closes: dict[str, float] = {}
    taken: Counter[tuple[str, str]] = Counter()
    verdicts: list[Verdict] = []
    for candidate in candidates:
        scopes = (account_scope(*candidate.account), tenant_scope(candidate.tenant_id))
        if any(scope in closed or scope in closes for scope in scopes):
            continue  # a deferring limiter is closed: no claim and no event until it reopens
        limits = limits_of(*candidate.account)
        if taken[candidate.account] >= room(limits, usage.live[candidate.account]):
            continue
        taken[candidate.account] += 1
        check = would_exceed(counts, limits.limits, now)
        if check.allowed:
            for limit in limits.limits:
                counts[(limit.scope, limit.window)] += 1
            verdicts.append(Verdict(candidate, "claim"))
            continue
        reason = ", ".join(f"{lim.scope} per {lim.window} {lim.limit}" for lim in check.exceeded)
        if check.action == "reject":
            verdicts.append(Verdict(candidate, "reject", None, reason))
            continue
        assert check.until is not None
        for limit in check.exceeded:
            closes[limit.scope] = max(closes.get(limit.scope, 0.0), check.until)
        verdicts.append(Verdict(candidate, "defer", check.until, reason))
    return Plan(verdicts, closes)
