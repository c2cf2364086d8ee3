"""The policy progression ladder's thresholds (console.md §13 Progression; scenario 45)."""

from __future__ import annotations

import pytest

from domain.reputation.dmarc_ladder import LadderInput, progression

pytestmark = pytest.mark.unit


def evidence(policy: str | None = "none", pct: int | None = 100, rate: float = 1.0, reports: int = 35,
             messages: int = 4000, **kw: object) -> LadderInput:
    passed = round(messages * rate)
    return LadderInput(policy=policy, pct=pct, reports=reports, messages=messages, passed=passed,
                       failed=messages - passed, **kw)  # type: ignore[arg-type]


def step(e: LadderInput) -> tuple[str, int] | str:
    got = progression(e)
    return (got.step.policy, got.step.pct) if got.step else str(got.blocked_by)


def test_none_goes_to_quarantine_10_at_99_percent() -> None:
    assert step(evidence()) == ("quarantine", 10)
    assert step(evidence(rate=0.99)) == ("quarantine", 10)
    assert step(evidence(rate=0.95)) == "alignment_below_threshold"
    got = progression(evidence())
    assert got.step is not None and (got.step.current.policy, got.step.current.pct) == ("none", 100)
    assert "alignment 100.00% over 35 reports" in got.step.reason


def test_evidence_rules_come_first() -> None:
    assert step(evidence(reports=5)) == "insufficient_reports"
    assert step(evidence(reports=29)) == "insufficient_reports"
    assert step(evidence(reports=30, messages=999)) == "insufficient_volume"
    assert step(evidence(unknown_failing_sources=1)) == "unknown_sources"
    assert step(evidence(policy="reject", reports=0)) == "already_reject"


@pytest.mark.parametrize(("pct", "to"), [(10, 25), (24, 25), (25, 50), (49, 50), (50, 100), (99, 100)])
def test_quarantine_climbs_its_pct_steps_at_99_5_percent(pct: int, to: int) -> None:
    assert step(evidence("quarantine", pct, rate=0.995)) == ("quarantine", to)
    assert step(evidence("quarantine", pct, rate=0.994)) == "alignment_below_threshold"


def test_reject_needs_99_9_percent_and_14_days_at_quarantine_100() -> None:
    assert step(evidence("quarantine", 100, full_quarantine_days=30)) == ("reject", 100)
    assert step(evidence("quarantine", 100, full_quarantine_days=14)) == ("reject", 100)
    assert step(evidence("quarantine", 100, full_quarantine_days=10)) == "quarantine_hold"
    assert step(evidence("quarantine", 100, rate=0.998, full_quarantine_days=30)) == "quarantine_hold"
    assert step(evidence("quarantine", None, full_quarantine_days=30)) == ("reject", 100)  # RFC 9990: no pct


def test_testing_at_99_5_percent_suggests_the_same_policy_without_testing() -> None:
    got = progression(evidence("quarantine", None, rate=0.996, testing=True))
    assert got.step is not None and (got.step.policy, got.step.pct) == ("quarantine", 100)
    assert "stop testing" in got.step.reason
    assert step(evidence("quarantine", None, rate=0.99, testing=True)) == "alignment_below_threshold"
