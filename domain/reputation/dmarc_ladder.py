"""The DMARC policy progression ladder (console.md §13 Progression): none -> quarantine 10
-> 25 -> 50 -> 100 -> reject 100, each step only on enough evidence from the last 30 days.

A pure function of what the read model counts, so the rule and its thresholds are tested
without a database, and every refusal names the rule that blocked it.
"""

from __future__ import annotations

import msgspec

MIN_REPORTS = 30
MIN_MESSAGES = 1000
TO_QUARANTINE = 0.99
IN_QUARANTINE = 0.995
TO_REJECT = 0.999
QUARANTINE_DAYS = 14
WINDOW_DAYS = 30
PCT_STEPS = (25, 50, 100)


class LadderInput(msgspec.Struct, frozen=True, kw_only=True):
    """Evidence for one domain: its newest published policy and the last 30 days."""

    policy: str | None  # the newest report's p
    pct: int | None  # None: RFC 9990 (no pct), counts as 100
    testing: bool = False
    reports: int = 0  # reports ending within 30 days
    messages: int = 0
    passed: int = 0
    failed: int = 0
    unknown_failing_sources: int = 0  # failing IPs neither known nor ignored
    full_quarantine_days: int = 0  # distinct days of reports at quarantine/100


class Current(msgspec.Struct, frozen=True):
    policy: str | None
    pct: int | None


class Step(msgspec.Struct, frozen=True):
    policy: str
    pct: int
    reason: str
    current: Current


class Progression(msgspec.Struct, frozen=True):
    step: Step | None
    blocked_by: str | None


def _blocked(rule: str) -> Progression:
    return Progression(None, rule)


def _rate(e: LadderInput) -> float:
    seen = e.passed + e.failed
    return e.passed / seen if seen else 0.0


def progression(e: LadderInput) -> Progression:
    if e.policy == "reject":
        return _blocked("already_reject")
    if e.reports < MIN_REPORTS:
        return _blocked("insufficient_reports")
    if e.messages < MIN_MESSAGES:
        return _blocked("insufficient_volume")
    if e.unknown_failing_sources:
        return _blocked("unknown_sources")
    rate, current = _rate(e), Current(e.policy, e.pct)
    evidence = f"alignment {rate:.2%} over {e.reports} reports, {e.messages} messages"
    if e.testing and e.policy == "quarantine" and rate >= IN_QUARANTINE:
        return Progression(
            Step(e.policy, 100 if e.pct is None else e.pct, f"{evidence}: stop testing", current), None
        )
    if e.policy in (None, "none"):
        if rate >= TO_QUARANTINE:
            return Progression(Step("quarantine", 10, evidence, current), None)
        return _blocked("alignment_below_threshold")
    if rate < IN_QUARANTINE:
        return _blocked("alignment_below_threshold")
    pct = 100 if e.pct is None else e.pct
    for step in PCT_STEPS:
        if pct < step:
            return Progression(Step("quarantine", step, evidence, current), None)
    if rate >= TO_REJECT and e.full_quarantine_days >= QUARANTINE_DAYS:
        return Progression(
            Step("reject", 100, f"{evidence}, {e.full_quarantine_days} days at quarantine 100", current), None
        )
    return _blocked("quarantine_hold")
