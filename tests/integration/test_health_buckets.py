"""Health buckets on both backends (console.md §11, §17 scenarios 39-41): the counters read
model, windows, minimum volume, the review/degraded/tripped levels, resume, rebuild."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.bootstrap import Container, bootstrap
from adapters.rebuild import rebuild_view, verify_view
from adapters.reputation import health_gate, health_ops
from adapters.reputation.health_evaluator import HealthEvaluator
from adapters.reputation.health_gate import health_hold
from adapters.reputation.health_signals import clear_signal, raise_signal, trip_bucket
from adapters.settings import Settings
from application.base import CommandMeta
from tests.support.health import StepClock, bounce, evaluate, send, set_health, settle

pytestmark = pytest.mark.integration
MKT, TXN = "d:news.acme.test|k:marketing", "d:mail.acme.test|k:transactional"


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def c(settings: Settings, clock: StepClock) -> Iterator[Container]:
    container = bootstrap(settings, create_tables=True, clock=clock)
    container.tenancy.initialise_instance()
    yield container
    container.close()


def buckets(c: Container, tenant: str = "acme") -> dict[str, dict]:
    settle(c)
    return {b["id"]: b for b in health_ops.health_document(c, tenant)["buckets"]}


def test_scenario_39_hard_bounces_trip_the_marketing_bucket_only(c: Container) -> None:
    set_health(c, "acme", minSendsBeforeEval=10)
    news = send(c, "acme", [f"n{i}" for i in range(100)])
    send(c, "acme", [f"r{i}" for i in range(100)], from_addr="billing@mail.acme.test", kind="transactional")
    bounce(c, "acme", [f"n{i}" for i in range(5)])
    done = evaluate(c)
    assert [(t.bucket_id, t.status) for t in done] == [(MKT, "tripped")]
    doc = health_ops.health_document(c, "acme")
    found = {b["id"]: b for b in doc["buckets"]}
    assert found[MKT]["status"] == "tripped" and found[MKT]["trippedReason"] == "hard bounce rate 5.00% >= 2%"
    assert found[MKT]["trippedBy"] == "system:circuit-breaker"
    assert found[TXN]["status"] == "healthy"
    assert doc["status"] == "tripped" and len(doc["buckets"]) == 2
    assert doc["aggregate"]["counters"]["sent"] == 200 and doc["aggregate"]["status"] != "tripped"
    assert health_hold(c, "acme", "news.acme.test", "marketing") == f"health:{MKT}"
    assert health_hold(c, "acme", "mail.acme.test", "transactional") is None
    entries = c.projections["audit"].view.list("acme", _filters("health."), before=None, limit=10)
    assert [(e.action, e.actor, e.category, e.resource_slug) for e in entries] == [
        ("health.trip", "system:circuit-breaker", "system", MKT)
    ]
    assert len(news) == 100 and evaluate(c) == []  # evaluating again changes nothing


def _filters(action: str):  # type: ignore[no-untyped-def]
    from projections.console_audit import AuditFilters

    return AuditFilters(action=action)


def test_scenario_40_minimum_volume_and_review(c: Container) -> None:
    set_health(c, "acme", minSendsBeforeEval=10)
    send(c, "acme", [f"a{i}" for i in range(5)])
    bounce(c, "acme", [f"a{i}" for i in range(5)])
    assert evaluate(c) == []
    b = buckets(c)[MKT]
    assert b["status"] == "healthy" and b["rates"]["hardBounceRate"] == 1.0
    # a second tenant with the default threshold: 200 sent, 2 hard bounces -> review, nothing held
    send(c, "beta", [f"b{i}" for i in range(200)])
    bounce(c, "beta", ["b0", "b1"])
    done = evaluate(c, "beta")
    assert [(t.bucket_id, t.status) for t in done] == [(MKT, "review")]
    b = buckets(c, "beta")[MKT]
    assert b["status"] == "review" and b["reasons"] == ["hard bounce rate 1.00% >= 1%"]
    assert health_hold(c, "beta", "news.acme.test", "marketing") is None
    empty = health_ops.health_document(c, "gamma")
    assert (
        empty["status"] is None
        and empty["buckets"] == []
        and empty["thresholds"]["hardBounceRatePctTrip"] == 2
    )


def test_scenario_41_resume_opens_a_fresh_window(c: Container, clock: StepClock) -> None:
    set_health(c, "acme", minSendsBeforeEval=10)
    send(c, "acme", [f"n{i}" for i in range(100)])
    bounce(c, "acme", [f"n{i}" for i in range(5)])
    evaluate(c)
    clock.advance(60)
    done = health_ops.resume(
        c, "acme", "news.acme.test", "marketing", resume_broadcasts=False, meta=CommandMeta(actor="key:k1")
    )
    assert done.resumed == 1
    b = buckets(c)[MKT]
    assert b["status"] == "healthy" and b["counters"]["sent"] == 0 and b["countFrom"] == clock.now()
    assert health_hold(c, "acme", "news.acme.test", "marketing") is None
    bounce(c, "acme", ["n50"])  # a send made before the resume: not this bucket's any more
    settle(c)
    agg_before = health_ops.health_document(c, "acme")["aggregate"]["counters"]["hardBounced"]
    assert evaluate(c) == []
    assert buckets(c)[MKT]["counters"]["hardBounced"] == 0 and agg_before == 6
    send(c, "acme", ["fresh"])
    assert buckets(c)[MKT]["counters"]["sent"] == 1
    clock.advance(61 * 60)  # the window rolls: counters 0 again
    b = buckets(c)[MKT]
    assert b["counters"]["sent"] == 0 and b["windowStartedAt"] == clock.now() - 60
    trips = c.projections["health_buckets"].view.transitions("acme")
    assert [(t["action"], t["actor"]) for t in trips] == [
        ("health.resume", "key:k1"),
        ("health.trip", "system:circuit-breaker"),
    ]


def test_manual_trip_of_both_kinds_and_resume_all(c: Container) -> None:
    meta = CommandMeta(actor="human:ops@acme.test")
    done = trip_bucket(
        c, "acme", "mail.acme.test", None, "blocklisted", "manual", meta, holds_transactional=True
    )
    assert sorted(done.tripped) == ["d:mail.acme.test|k:marketing", TXN]
    assert trip_bucket(c, "acme", "mail.acme.test", "transactional", "again", "manual", meta).tripped == []
    assert health_hold(c, "acme", "mail.acme.test", "transactional") == f"health:{TXN}"
    settle(c)
    resumed = health_ops.resume(c, "acme", None, None, resume_broadcasts=False, meta=meta)
    assert resumed.resumed == 2
    assert health_hold(c, "acme", "mail.acme.test", "transactional") is None


def test_signals_lift_to_review_and_clear(c: Container) -> None:
    assert raise_signal(c, "acme", "news.acme.test", "marketing", "dnsbl", "acme.test listed on dbl.test") > 0
    assert (
        raise_signal(c, "acme", "news.acme.test", "marketing", "dnsbl", "acme.test listed on dbl.test") == 0
    )
    raise_signal(c, "acme", None, None, "snds", "203.0.113.5 RED")
    settle(c)
    doc = health_ops.health_document(c, "acme")
    assert doc["buckets"][0]["status"] == "review" and doc["status"] == "review"
    assert {s["source"] for s in doc["signals"]} == {"dnsbl", "snds"}
    evaluate(c)
    clear_signal(c, "acme", "news.acme.test", "marketing", "dnsbl")
    evaluate(c)
    assert buckets(c)[MKT]["status"] == "healthy"


def test_failures_degrade_and_test_sends_count_nowhere(c: Container) -> None:
    set_health(c, "acme", minSendsBeforeEval=10)
    send(c, "acme", [f"ok{i}" for i in range(8)])
    send(c, "acme", ["f1", "f2"], fail=True)
    send(c, "acme", [f"t{i}" for i in range(50)], origin="test")
    bounce(c, "acme", [f"t{i}" for i in range(50)])
    done = evaluate(c)
    assert [(t.bucket_id, t.status) for t in done] == [(MKT, "degraded")]
    b = buckets(c)[MKT]
    assert b["counters"]["sent"] == 8 and b["counters"]["failedToSend"] == 2 and b["counters"]["bounced"] == 0
    assert b["rates"]["failureRate"] == 0.2 and b["reasons"] == ["failure rate 20.00% >= 10%"]


def test_api_messages_count_as_transactional_and_complaints_trip(c: Container) -> None:
    set_health(c, "acme", minSendsBeforeEval=10)
    send(c, "acme", [f"p{i}" for i in range(100)], from_addr="Ops <ops@mail.acme.test>", origin=None)
    bounce(c, "acme", ["p0"], complaint=True)
    done = evaluate(c)
    assert [(t.bucket_id, t.status, t.reasons[0]) for t in done] == [
        (TXN, "tripped", "complaint rate 1.00% >= 0.3%")
    ]
    assert health_hold(c, "acme", "mail.acme.test", "transactional") is None  # holdTransactionalOnTrip false


def test_rebuild_gives_the_same_health(c: Container) -> None:
    set_health(c, "acme", minSendsBeforeEval=10)
    send(c, "acme", [f"n{i}" for i in range(40)])
    bounce(c, "acme", ["n1"], kind="soft", category="policy")
    bounce(c, "acme", ["n2", "n3"])
    evaluate(c)
    before = health_ops.health_document(c, "acme")
    for name in ("health", "health_buckets"):
        assert verify_view(c, name).verified, name  # a replay gives the live rows
        rebuild_view(c, name)  # what `ledgermail rebuild` does: replay into scratch tables, swap
    after = health_ops.health_document(c, "acme")
    assert after == before
    counters = after["buckets"][0]["counters"]
    assert (
        counters["bounced"],
        counters["hardBounced"],
        counters["softBounced"],
        counters["policyBounced"],
    ) == (3, 2, 1, 1)


def test_two_processes_racing_append_one_trip(c: Container, settings: Settings, clock: StepClock) -> None:
    """A second process trips the bucket between this one's read and its save: the save
    fails its version check, the command re-reads, finds it tripped and appends nothing."""
    other = bootstrap(settings, clock=clock)
    try:
        calls = []

        def decide(bucket):  # type: ignore[no-untyped-def]
            if not calls:
                other.health.trip_bucket("acme", MKT, "theirs", source="manual", holds_transactional=False)
            calls.append(bucket.version)
            return bucket.trip("ours", source="manual", holds_transactional=False)

        changed, position = c.health.change_bucket("acme", MKT, decide)
        assert (changed, position) == (False, 0) and len(calls) == 2
        bucket = c.health.bucket("acme", MKT)
        assert bucket is not None and bucket.tripped_reason == "theirs" and bucket.version == 2
        settle(c)
        assert HealthEvaluator(other).evaluate() == [] and evaluate(c) == []
    finally:
        other.close()


def test_the_gate_sees_another_process_trip(
    c: Container, settings: Settings, clock: StepClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = bootstrap(settings, clock=clock)
    try:
        assert health_hold(c, "acme", "news.acme.test", "marketing") is None  # cached: not held
        trip_bucket(other, "acme", "news.acme.test", "marketing", "theirs", "manual")
        monkeypatch.setattr(health_gate, "RECHECK_SECONDS", 0.0)  # instead of waiting 0.25 s
        assert health_hold(c, "acme", "news.acme.test", "marketing") == f"health:{MKT}"
        health_ops.resume(
            other,
            "acme",
            "news.acme.test",
            "marketing",
            resume_broadcasts=False,
            meta=CommandMeta(actor="admin"),
        )
        assert health_hold(c, "acme", "news.acme.test", "marketing") is None
    finally:
        other.close()
