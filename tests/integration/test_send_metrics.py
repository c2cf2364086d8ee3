"""The ``send_metrics`` read model and ``GET /metrics`` text (proxy.md §13): zero series from
registration, counters per outcome, the dispatch-latency histogram, rebuild = live."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.bootstrap import Container
from adapters.rebuild import rebuild_view, verify_view
from adapters.runner import ProjectionRunner
from api.metrics import render_metrics
from projections.sending import SendMetricsProjection, SendMetricsView
from projections.sending.metrics_view import LE
from tests.integration.test_messages_view import LEASE, NO_JITTER, Desk, M
from tests.support.messages import SMTP_451, SMTP_550, T0

pytestmark = pytest.mark.integration
ACME = {"tenant_id": "acme", "account_id": "smtp1"}


class NoAuth:
    failures = 0


@pytest.fixture
def desk(container: Container) -> Iterator[Desk]:
    desk = Desk(container)
    desk.tenant()
    yield desk


def metrics(desk: Desk) -> SendMetricsView:
    desk.project("send_metrics", "messages")
    return desk.c.projections["send_metrics"].view  # type: ignore[no-any-return]


def buckets(view: SendMetricsView, **labels: str) -> dict[str, float]:
    return {got["le"]: value for name, got, value in view.samples()
            if name == "dispatch_latency_seconds_bucket"
            and {k: v for k, v in got.items() if k != "le"} == labels}


def key(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(labels.items()))


def test_every_account_has_zero_series_from_registration(desk: Desk) -> None:
    view = metrics(desk)
    assert view.value("sent_total", **ACME) == 0.0
    assert buckets(view, **ACME) == dict.fromkeys(LE, 0.0)
    assert view.value("dispatch_latency_seconds_count", **ACME) == 0.0
    text = render_metrics(desk.c, NoAuth()).decode()
    assert 'ledgermail_sent_total{account_id="smtp1",tenant_id="acme"} 0.0' in text
    assert 'ledgermail_pending_messages{account_id="smtp1",tenant_id="acme"} 0.0' in text
    assert 'ledgermail_dispatch_latency_seconds_count{account_id="smtp1",tenant_id="acme"} 0.0' in text


def test_outcomes_are_counted_by_their_labels(desk: Desk) -> None:
    desk.queue(M("ok"), M("perm"), M("temp"), M("rl"), M("rj"), {"id": "bad", "account_id": "smtp1"})
    desk.send("ok")
    attempt = desk.attempt("perm")
    desk.on("perm", lambda m: m.record_failure(attempt, SMTP_550, policy=NO_JITTER, rand=0.5))
    attempt = desk.attempt("temp")
    desk.on("temp", lambda m: m.record_failure(attempt, SMTP_451, policy=NO_JITTER, rand=0.5))
    desk.on("rl", lambda m: m.defer_for_rate_limit(T0 + 60))
    desk.on("rj", lambda m: m.fail("rate_limit_exceeded", "the hourly limit is full"))
    desk.on("ok", lambda m: m.record_bounce("u@dest.test", "hard", bounce_code="5.1.1", category="recipient",
                                            reason="user unknown", source="dsn"))
    desk.on("ok", lambda m: m.record_complaint("u@dest.test", "abuse"))
    view = metrics(desk)
    series = {key(name, **labels): value for name, labels, value in view.samples()
              if not name.startswith("dispatch_latency")}
    assert series == {
        key("sent_total", **ACME): 1.0,
        key("errors_total", **ACME, error_code="smtp_permanent"): 1.0,
        key("errors_total", **ACME, error_code="rate_limit_exceeded"): 1.0,
        key("deferred_total", **ACME, reason="temporary_failure"): 1.0,
        key("deferred_total", **ACME, reason="rate_limit"): 1.0,
        key("rate_limited_total", **ACME, scope="account", behavior="defer"): 1.0,
        key("rate_limited_total", **ACME, scope="account", behavior="reject"): 1.0,
        key("rejected_total", tenant_id="acme", reason="missing_field"): 1.0,
        key("bounces_total", tenant_id="acme", bounce_type="hard"): 1.0,
        key("complaints_total", tenant_id="acme"): 1.0,
    }
    text = render_metrics(desk.c, NoAuth()).decode()
    assert ('ledgermail_rate_limited_total{account_id="smtp1",behavior="reject",scope="account",'
            'tenant_id="acme"} 1.0') in text
    assert 'ledgermail_rejected_total{reason="missing_field",tenant_id="acme"} 1.0' in text
    assert 'ledgermail_pending_messages{account_id="smtp1",tenant_id="acme"} 2.0' in text  # temp, rl


def _observe(desk: Desk, client_id: str, wait: float, took: float, tenant_id: str = "acme",
             **extra: Any) -> None:
    desk.queue(M(client_id, **extra), tenant_id=tenant_id)
    desk.tick(wait)
    attempt = desk.attempt(client_id, tenant_id)
    desk.tick(took)
    desk.on(client_id, lambda m: m.record_sent(attempt, "250 ok"), tenant_id)


def test_latency_runs_from_ready_time_to_the_attempts_outcome(desk: Desk) -> None:
    _observe(desk, "fast", 0.01, 0.02)  # 0.03 s
    _observe(desk, "slow", 4.0, 2.0)  # 6 s
    _observe(desk, "account2", 0.0, 0.5, account_id="smtp2")
    # scheduled: the wait before deferred_ts does not count, only the 0.2 s after it
    desk.queue(M("scheduled", deferred_ts=desk.clock.t + 100))
    desk.tick(100.1)
    attempt = desk.attempt("scheduled")
    desk.tick(0.1)
    desk.on("scheduled", lambda m: m.record_sent(attempt, "250 ok"))
    # a retry: the first attempt's outcome is observed, then the second counts from deferred_until
    desk.queue(M("retry"))
    attempt = desk.attempt("retry")
    desk.tick(0.9)  # off the bucket bounds: float times around 1.8e9 are not exact
    desk.on("retry", lambda m: m.record_failure(attempt, SMTP_451, policy=NO_JITTER, rand=0.5))
    desk.tick(60 + 200)
    desk.send("retry")
    view = metrics(desk)
    expected = {"0.05": 1, "0.1": 1, "0.25": 2, "0.5": 2, "1.0": 3, "2.5": 3, "5.0": 3, "10.0": 4,
                "30.0": 4, "60.0": 4, "120.0": 4, "300.0": 5, "+Inf": 5}
    assert buckets(view, **ACME) == {le: float(n) for le, n in expected.items()}
    assert view.value("dispatch_latency_seconds_count", **ACME) == 5.0
    assert view.value("dispatch_latency_seconds_sum", **ACME) == pytest.approx(0.03 + 6 + 0.2 + 0.9 + 200)
    assert buckets(view, tenant_id="acme", account_id="smtp2")["0.5"] == 1.0
    text = render_metrics(desk.c, NoAuth()).decode()
    assert ('ledgermail_dispatch_latency_seconds_bucket{account_id="smtp1",le="10.0",tenant_id="acme"} 4.0'
            in text)


def test_claim_time_verdicts_and_abandoned_leases_are_not_latency(desk: Desk) -> None:
    desk.queue(M("rj"), M("lost"))
    desk.on("rj", lambda m: m.fail("rate_limit_exceeded", "full"))
    desk.attempt("lost")
    desk.tick(LEASE + 1)
    desk.on("lost", lambda m: m.abandon_attempt(max_retries=0))  # no retry left: Failed follows
    view = metrics(desk)
    assert view.value("dispatch_latency_seconds_count", **ACME) == 0.0
    assert view.value("errors_total", **ACME, error_code="retries_exhausted") == 1.0


def _fill(desk: Desk) -> None:
    desk.tenant("beta", accounts=("smtp1", "smtp2"))
    for i in range(30):
        tenant = "beta" if i % 3 == 0 else "acme"
        _observe(desk, f"m{i}", 0.013 * i, 0.7 + 0.011 * i, tenant,
                 **({"account_id": "smtp2"} if i % 5 == 0 else {}))
        if i % 4 == 0:
            desk.on(f"m{i}", lambda m: m.record_bounce("u@dest.test", "soft", bounce_code=None,
                                                       category="unknown", reason="?", source="other"),
                    tenant)
        desk.queue(M(f"q{i}", deferred_ts=desk.clock.t + i), tenant_id=tenant)
    pks = [desk.c.sending.get_message("acme", f"m{i}").id for i in (1, 2, 4, 5)]  # type: ignore[union-attr]
    desk.c.sending.cleanup_messages("acme", desk.clock.t, [str(pk) for pk in pks], automatic=True)


def _table_rows(desk: Desk, view: SendMetricsView) -> dict[str, list[tuple[Any, ...]]]:
    with desk.c.db.transaction(write=False) as tx:
        return view.rows(tx)


def test_rebuild_and_any_page_size_give_the_live_numbers(desk: Desk) -> None:
    _fill(desk)
    live = metrics(desk)
    before = _table_rows(desk, live)
    assert verify_view(desk.c, "send_metrics").verified is True
    rebuild_view(desk.c, "send_metrics")
    assert _table_rows(desk, live) == before
    scratch = SendMetricsView(desk.c.db, prefix="paged_")
    scratch.drop()
    scratch.create()
    ProjectionRunner(SendMetricsProjection(scratch), desk.c.sources(), page_size=3).catch_up()
    assert _table_rows(desk, scratch) == before  # the latency sum adds exactly, page by page
    scratch.drop()
