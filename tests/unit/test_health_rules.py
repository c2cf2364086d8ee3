"""The circuit breaker's pure rules and the HealthBucket aggregate (console.md §11)."""

from __future__ import annotations

import msgspec
import pytest

from domain.model import Envelope, command_context
from domain.reputation.health_bucket import HealthBucket, NotTripped, bucket_key, parse_key
from domain.reputation.health_rules import (
    Counters,
    HealthSettings,
    is_sender_side_failure,
    verdict,
    window_start,
    worst,
)

pytestmark = pytest.mark.unit
S = HealthSettings(min_sends_before_eval=100)


def test_trip_rules_in_order_with_reasons() -> None:
    found = verdict(Counters(sent=100, bounced=6, hard_bounced=5, complained=1), S)
    assert found.status == "tripped" and found.trip_reason == "hard bounce rate 5.00% >= 2%"
    assert found.reasons == [
        "hard bounce rate 5.00% >= 2%",
        "complaint rate 1.00% >= 0.3%",
        "combined bounce rate 6.00% >= 5%",
        "hard bounce rate 5.00% >= 1%",
        "complaint rate 1.00% >= 0.1%",
        "combined bounce rate 6.00% >= 2%",
    ]


def test_review_degraded_healthy_and_minimum_volume() -> None:
    assert verdict(Counters(sent=200, bounced=2, hard_bounced=2), S).reasons == [
        "hard bounce rate 1.00% >= 1%"
    ]
    assert verdict(Counters(sent=200, bounced=2, hard_bounced=2), S).status == "review"
    assert verdict(Counters(sent=90, failed_to_send=10), S).status == "degraded"
    assert verdict(Counters(sent=99, bounced=99, hard_bounced=99), S).status == "healthy"  # below volume
    assert verdict(Counters(sent=5, failed_to_send=95), S).status == "degraded"  # sent + failed counts
    assert verdict(Counters(sent=1000, bounced=1), S).status == "healthy"


def test_signals_lift_to_review() -> None:
    found = verdict(Counters(), S, {"dnsbl": "listed on dbl.test"})
    assert found.status == "review" and found.reasons == ["signal dnsbl: listed on dbl.test"]
    assert worst(["healthy", "degraded", "review"]) == "review" and worst([]) is None


def test_windows_roll_on_a_grid_from_their_anchor() -> None:
    assert window_start(1000.0, 1000.0 + 59 * 60, 60) == 1000.0
    assert window_start(1000.0, 1000.0 + 61 * 60, 60) == 1000.0 + 3600
    assert window_start(1000.0, 900.0, 60) == 1000.0


def test_settings_validate_and_default_per_spec() -> None:
    doc = msgspec.convert({"minSendsBeforeEval": 10}, HealthSettings)
    assert (doc.window_minutes, doc.hard_bounce_rate_pct_trip, doc.complaint_rate_pct_review) == (60, 2, 0.1)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"windowMinutes": 0}, HealthSettings)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"teleport": 1}, HealthSettings)


@pytest.mark.parametrize(
    ("code", "text", "sender_side"),
    [
        (None, "connection refused", True),
        (None, "SMTP 421 4.7.0 try again later", True),
        (None, "SMTP 452 4.2.2 mailbox full", False),
        ("smtp_auth", "SMTP 535 auth failed", True),
        ("tls_certificate", "certificate expired", True),
        ("smtp_permanent", "SMTP 550 5.1.1 user unknown", False),
        ("smtp_permanent", "SMTP 554 5.7.1 relay access denied", True),
        ("recipient_suppressed", "all", False),
    ],
)
def test_sender_side_failures(code: str | None, text: str, sender_side: bool) -> None:
    assert is_sender_side_failure(code, text) is sender_side


def test_bucket_trip_resume_and_signals() -> None:
    key = bucket_key("News.Acme.Test", "marketing")
    assert key == "d:news.acme.test|k:marketing" and parse_key(key) == ("news.acme.test", "marketing")
    with command_context(Envelope(actor="system:circuit-breaker", tenant_id="acme"), now=100.0):
        bucket = HealthBucket.open("acme", key)
        assert bucket.trip(
            "hard bounce rate 5.00% >= 2%", source="circuit-breaker", holds_transactional=False
        )
        assert not bucket.trip("again", source="manual", holds_transactional=True)  # idempotent
        assert bucket.holds("marketing") and not bucket.holds("transactional")
    with command_context(Envelope(actor="key:k1", tenant_id="acme"), now=200.0):
        bucket.raise_signal("dnsbl", "listed")
        bucket.resume(42)
        with pytest.raises(NotTripped):
            bucket.resume(43)
    topics = [type(e).TOPIC for e in bucket.collect_events()]
    assert topics == [
        "HealthBucket.Opened",
        "HealthBucket.Tripped",
        "HealthBucket.SignalRaised",
        "HealthBucket.Resumed",
    ]
    assert (bucket.status, bucket.count_from, bucket.count_after, bucket.resumed_by) == (
        "review",
        200.0,
        42,
        "key:k1",
    )
    assert bucket.tripped_by == "system:circuit-breaker" and not bucket.holds("marketing")
    with pytest.raises(ValueError):
        HealthBucket.open("acme", "agg").trip("x", source="manual", holds_transactional=False)
