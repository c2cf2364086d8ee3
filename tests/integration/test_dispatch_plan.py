"""The claim plan and the SMTP-refusal bounce classes: pure functions, no I/O (ADR 0007)."""

from __future__ import annotations

import pytest

from application.sending.dispatch_bounces import classify_refusal
from application.sending.dispatch_plan import Candidate, Usage, count_usage, plan_claim
from application.sending.ports import DispatchLimits
from domain.sending.limits import Limit

pytestmark = pytest.mark.unit
NOW = 1_800_000_125.0  # 5 s into a minute, not the hour's first
MINUTE = NOW // 60 * 60


def c(pk: str, account: str = "smtp1", tenant: str = "acme") -> Candidate:
    return Candidate(pk, tenant, account, "pending", 0, None, 2, 0.0)


def limits(**kw: object) -> DispatchLimits:
    return DispatchLimits(**kw)  # type: ignore[arg-type]


def actions(plan: object) -> list[tuple[str, str]]:
    return [(v.candidate.pk, v.action) for v in plan.verdicts]  # type: ignore[attr-defined]


def test_each_account_is_cut_to_its_room() -> None:
    per = {"smtp1": limits(batch_size=2, max_concurrency=5), "smtp2": limits(batch_size=5, max_concurrency=3)}
    usage = Usage(count_usage([], [("acme", "smtp2", NOW - 1)], NOW).counts,
                  count_usage([], [("acme", "smtp2", NOW - 1)], NOW).live)
    rows = [c("a1"), c("b1", "smtp2"), c("a2"), c("b2", "smtp2"), c("a3"), c("b3", "smtp2")]
    plan = plan_claim(rows, lambda t, a: per[a], usage, {}, NOW)
    # smtp1: batch 2; smtp2: concurrency 3 with one lease live -> 2
    assert actions(plan) == [("a1", "claim"), ("b1", "claim"), ("a2", "claim"), ("b2", "claim")]


def test_a_full_defer_window_defers_one_and_closes_the_scope() -> None:
    lim = limits(limits=(Limit("account:acme/smtp1", "minute", 2),))
    usage = count_usage([("account:acme/smtp1", "minute", MINUTE, 1)], [], NOW)
    plan = plan_claim([c("m1"), c("m2"), c("m3")], lambda t, a: lim, usage, {}, NOW)
    assert actions(plan) == [("m1", "claim"), ("m2", "defer")]
    assert plan.verdicts[1].until == MINUTE + 60
    assert plan.closes == {"account:acme/smtp1": MINUTE + 60}


def test_a_reject_limit_rejects_every_further_message() -> None:
    lim = limits(limits=(Limit("account:acme/smtp1", "minute", 1, "reject"),))
    plan = plan_claim([c("m1"), c("m2"), c("m3")], lambda t, a: lim, count_usage([], [], NOW), {}, NOW)
    assert actions(plan) == [("m1", "claim"), ("m2", "reject"), ("m3", "reject")]
    assert plan.closes == {}


def test_live_leases_count_in_the_windows_they_were_claimed_in() -> None:
    usage = count_usage([("account:acme/smtp1", "minute", MINUTE - 60, 9)],
                        [("acme", "smtp1", NOW - 1), ("acme", "smtp1", MINUTE - 1)], NOW)
    assert usage.counts[("account:acme/smtp1", "minute")] == 1  # last minute's sends and lease don't
    assert usage.counts[("account:acme/smtp1", "hour")] == 2
    assert usage.counts[("tenant:acme", "day")] == 2
    assert usage.live[("acme", "smtp1")] == 2


def test_a_tenant_limit_spans_accounts_and_closed_scopes_are_skipped() -> None:
    tenant = Limit("tenant:acme", "minute", 2)
    lim = limits(limits=(tenant,))
    rows = [c("a1"), c("b1", "smtp2"), c("a2"), c("z1", tenant="zeta")]
    plan = plan_claim(rows, lambda t, a: lim if t == "acme" else limits(), count_usage([], [], NOW),
                      {"tenant:zeta": NOW + 30}, NOW)
    assert actions(plan) == [("a1", "claim"), ("b1", "claim"), ("a2", "defer")]
    assert plan.closes == {"tenant:acme": MINUTE + 60}


@pytest.mark.parametrize(("code", "text", "expected"), [
    (550, "5.1.1 user unknown", ("hard", "5.1.1", "recipient")),
    (550, "5.7.1 rejected by policy", ("soft", "5.7.1", "policy")),
    (552, "5.2.2 mailbox full", ("soft", "5.2.2", "mailbox")),
    (550, "no such mailbox here", ("hard", None, "recipient")),
    (554, "5.0.0 mailbox unknown", ("hard", "5.0.0", "recipient")),
    (554, "5.3.0 system problem", ("soft", "5.3.0", "other")),
    (554, "transaction failed", ("soft", None, "other")),
])
def test_refusals_classify_by_the_bounce_table(code: int, text: str,
                                               expected: tuple[str, str | None, str]) -> None:
    assert tuple(classify_refusal(code, text)) == expected
