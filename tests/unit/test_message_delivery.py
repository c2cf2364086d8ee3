"""The Message aggregate, delivery: attempts, leases, outcomes, retries, bounces (spec §6, §7, §10.3)."""

from __future__ import annotations

import pytest

from domain.errors import LeaseLost, LeaseNotExpired, NotAttempted, NotDispatchable, NotRemovable
from domain.instance_config import RetryConfig
from domain.sending.content import Attachment
from domain.sending.failure import AttemptFailure
from domain.sending.message import Message
from domain.sending.message_state import date_header
from tests.support.messages import (
    LEASE,
    NO_JITTER,
    SMTP_451,
    SMTP_550,
    T0,
    Clock,
    attempting,
    content,
    fields,
    new_events,
    queued,
    retried,
    sent,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def clock() -> Clock:
    return Clock()


# --- attempts and leases (§6.2) -----------------------------------------------------------


def test_the_first_attempt_takes_a_lease_and_fixes_the_date_header(clock: Clock) -> None:
    msg = queued(clock)
    with clock.at(2):
        assert msg.start_attempt("w1", clock.now + LEASE) == 1
    (event,) = msg.collect_events()
    assert isinstance(event, Message.AttemptStarted)
    assert (event.attempt, event.worker_id, event.lease_until) == (1, "w1", T0 + 2 + LEASE)
    assert event.date == date_header(T0 + 2) and event.date.endswith("+0000")
    assert (msg.status, msg.attempts, msg.lease.worker_id, msg.date) == ("sending", 1, "w1", event.date)
    assert msg.lease_live(clock.now) and not msg.lease_live(T0 + 2 + LEASE)


def test_every_retry_reuses_the_date_and_message_id(clock: Clock) -> None:
    msg = retried(clock)
    first_date = msg.date
    with clock.at(600):
        assert msg.start_attempt("w2", clock.now + LEASE, date="Mon, 01 Jan 2029 00:00:00 +0000") == 2
    (event,) = msg.collect_events()
    assert event.date == first_date and msg.message_id == "<1@acme.test>"


@pytest.mark.parametrize("given", [lambda c: attempting(c)[0], sent], ids=["in_flight", "sent"])
def test_an_attempt_needs_a_waiting_message(clock: Clock, given: object) -> None:
    msg = given(clock)  # type: ignore[operator]
    with clock.at(1), pytest.raises(NotDispatchable):
        msg.start_attempt("w2", clock.now + LEASE)


def test_an_attempt_waits_for_the_deferral(clock: Clock) -> None:
    msg = queued(clock, deferred_ts=T0 + 120)
    assert not msg.is_due(T0 + 119) and msg.is_due(T0 + 120)
    with clock.at(119), pytest.raises(NotDispatchable, match="deferred until"):
        msg.start_attempt("w1", clock.now + LEASE)
    with clock.at(1):
        msg.start_attempt("w1", clock.now + LEASE)
    with clock.at(), pytest.raises(ValueError, match="future"):
        queued(clock, "m2").start_attempt("w1", clock.now)


@pytest.mark.parametrize(("attempt", "advance"), [(2, 0), (1, LEASE)], ids=["other_attempt", "lease_expired"])
def test_an_outcome_needs_its_attempt_in_flight_under_a_live_lease(
    clock: Clock, attempt: int, advance: float
) -> None:
    msg, _ = attempting(clock)
    with clock.at(advance):
        with pytest.raises(LeaseLost):
            msg.record_sent(attempt, "250 ok")
        with pytest.raises(LeaseLost):
            msg.record_failure(attempt, SMTP_451, policy=NO_JITTER, rand=0.5)
        with pytest.raises(LeaseLost):
            msg.fail("build_failed", "no", attempt=attempt)
    assert new_events(msg) == [] and msg.status == "sending"


def test_an_expired_lease_is_abandoned_as_one_retry_and_the_message_is_ready_at_once(clock: Clock) -> None:
    msg, attempt = attempting(clock)
    with clock.at(LEASE - 1), pytest.raises(LeaseNotExpired):
        msg.abandon_attempt(max_retries=5)
    with clock.at(1):
        assert msg.abandon_attempt(max_retries=5) == "pending"
    (event,) = msg.collect_events()
    assert isinstance(event, Message.AttemptAbandoned)
    assert (event.attempt, event.worker_id, event.retry_count) == (attempt, "w1", 1)
    assert (msg.lease, msg.retry_count) == (None, 1) and msg.is_due(clock.now)
    with clock.at():
        assert msg.start_attempt("w2", clock.now + LEASE) == 2
        msg.record_sent(2, "250 ok")
    assert [e["type"] for e in msg.history()] == [
        "queued", "attempt_started", "attempt_abandoned", "attempt_started", "sent"]


def test_an_abandoned_attempt_with_no_retry_left_fails_the_message(clock: Clock) -> None:
    msg, _ = attempting(clock)
    with clock.at(LEASE):
        assert msg.abandon_attempt(max_retries=0) == "error"
    abandoned, failed = msg.collect_events()
    assert isinstance(abandoned, Message.AttemptAbandoned) and abandoned.retry_count == 0
    assert isinstance(failed, Message.Failed) and failed.error_code == "retries_exhausted"
    assert failed.error.startswith("max retries (0) exceeded: attempt 1 abandoned")


def test_nothing_to_abandon_without_an_attempt(clock: Clock) -> None:
    with clock.at(), pytest.raises(LeaseLost):
        queued(clock).abandon_attempt(max_retries=5)


# --- outcomes (§6.3, §6.4) ----------------------------------------------------------------


def test_sent_records_the_reply_and_the_left_out_recipients(clock: Clock) -> None:
    msg, attempt = attempting(clock)
    with clock.at(3):
        msg.record_sent(attempt, "250 ok", suppressed_recipients=["s@d.test"], warnings=["w"], report=False)
    (event,) = msg.collect_events()
    assert isinstance(event, Message.Sent) and event.report is False
    assert (event.suppressed_recipients, event.warnings) == (["s@d.test"], ["w"])
    assert event.refused_recipients == []
    assert (msg.status, msg.sent_ts, msg.smtp_reply, msg.lease) == ("sent", T0 + 3, "250 ok", None)


def test_outcomes_report_as_accepted_unless_told(clock: Clock) -> None:
    msg, attempt = attempting(clock)
    with clock.at():
        msg.record_failure(attempt, SMTP_451, policy=NO_JITTER, rand=0.5)
    (event,) = msg.collect_events()
    assert isinstance(event, Message.Deferred) and event.report is True


@pytest.mark.parametrize(
    ("failure", "code"),
    [(SMTP_550, "smtp_permanent"),
     (AttemptFailure(kind="smtp_reply", text="SMTP 535 5.7.8 bad auth", code=535), "smtp_auth"),
     (AttemptFailure(kind="tls_certificate", text="certificate expired"), "tls_certificate"),
     (AttemptFailure(kind="attachment_permanent", text="404 from source"), "attachment_failed")],
)
def test_a_permanent_failure_ends_the_message_at_once(
    clock: Clock, failure: AttemptFailure, code: str
) -> None:
    msg, attempt = attempting(clock)
    with clock.at(1):
        assert msg.record_failure(attempt, failure, policy=NO_JITTER, rand=0.5) == "error"
    (event,) = msg.collect_events()
    assert isinstance(event, Message.Failed) and (event.error_code, event.error) == (code, failure.text)
    assert (msg.error_code, msg.error, msg.error_ts, msg.attempts) == (code, failure.text, T0 + 1, 1)


def test_a_temporary_failure_defers_by_the_schedule_with_jitter(clock: Clock) -> None:
    low, _ = attempting(clock)
    high, _ = attempting(clock)
    with clock.at():
        low.record_failure(1, SMTP_451, policy=RetryConfig(jitter=0.1), rand=0.0)
        high.record_failure(1, SMTP_451, policy=RetryConfig(jitter=0.1), rand=1.0)
    assert low.deferred_until == pytest.approx(clock.now + 54)
    assert high.deferred_until == pytest.approx(clock.now + 66)
    (event,) = low.collect_events()
    assert isinstance(event, Message.Deferred)
    assert (event.reason, event.error, event.retry_count) == ("temporary_failure", SMTP_451.text, 1)
    assert (low.status, low.deferred_reason, low.retry_count, low.error) == (
        "deferred", "temporary_failure", 1, SMTP_451.text)


def test_a_server_hint_sets_the_retry_time_without_jitter(clock: Clock) -> None:
    msg, attempt = attempting(clock)
    hinted = AttemptFailure(kind="smtp_reply", text="SMTP 451 4.7.1 Try again in 90 seconds", code=451)
    with clock.at():
        msg.record_failure(attempt, hinted, policy=RetryConfig(jitter=0.5), rand=1.0)
    assert msg.deferred_until == clock.now + 90


def test_the_retry_ladder_ends_after_max_retries_with_the_last_error(clock: Clock) -> None:
    msg = queued(clock)
    waits = []
    for _ in range(5):
        with clock.at():
            attempt = msg.start_attempt("w1", clock.now + LEASE)
            assert msg.record_failure(attempt, SMTP_451, policy=NO_JITTER, rand=0.5) == "deferred"
            waits.append(msg.deferred_until - clock.now)
        clock.now = msg.deferred_until
    assert waits == [60, 300, 900, 3600, 7200] and msg.retry_count == 5
    with clock.at():
        attempt = msg.start_attempt("w1", clock.now + LEASE)
        assert msg.record_failure(attempt, SMTP_451, policy=NO_JITTER, rand=0.5) == "error"
    assert (msg.attempts, msg.error_code) == (6, "retries_exhausted")
    assert msg.error == "max retries (5) exceeded: SMTP 451 4.3.0 try later"
    assert new_events(msg).count("Deferred") == 5


def test_pipeline_failures_during_an_attempt(clock: Clock) -> None:
    msg, attempt = attempting(clock)
    with clock.at():
        msg.fail("recipient_suppressed", "every recipient is suppressed", attempt=attempt)
    assert (msg.status, msg.error_code) == ("error", "recipient_suppressed")


# --- rate limits at claim time (§7) -------------------------------------------------------


def test_a_rate_limit_defers_without_counting_a_retry(clock: Clock) -> None:
    msg = retried(clock)
    with clock.at(60):
        msg.defer_for_rate_limit(clock.now + 55)
    (event,) = msg.collect_events()
    assert isinstance(event, Message.Deferred)
    assert (event.reason, event.error, event.retry_count) == ("rate_limit", None, 1)
    assert (msg.deferred_reason, msg.deferred_until) == ("rate_limit", clock.now + 55)
    with clock.at(), pytest.raises(ValueError):
        msg.defer_for_rate_limit(clock.now)


def test_claim_time_outcomes_need_a_waiting_message(clock: Clock) -> None:
    msg, _ = attempting(clock)
    with clock.at():
        with pytest.raises(NotDispatchable):
            msg.defer_for_rate_limit(clock.now + 60)
        with pytest.raises(NotDispatchable):
            msg.fail("rate_limit_exceeded", "limit reached")


def test_a_full_window_in_reject_mode_fails_the_message_unattempted(clock: Clock) -> None:
    msg = queued(clock)
    with clock.at():
        msg.fail("rate_limit_exceeded", "limit_per_minute 2 reached")
    assert (msg.status, msg.error_code, msg.attempts) == ("error", "rate_limit_exceeded", 0)


# --- cancellation, bounces, complaints, offloads ------------------------------------------


@pytest.mark.parametrize("deferred_ts", [None, T0 + 600])
def test_a_waiting_message_can_be_cancelled(clock: Clock, deferred_ts: float | None) -> None:
    msg = queued(clock, deferred_ts=deferred_ts)
    with clock.at():
        msg.cancel()
    assert new_events(msg) == ["Cancelled"]
    assert (msg.status, msg.deferred_until) == ("cancelled", None)


@pytest.mark.parametrize("given", [lambda c: attempting(c)[0], sent], ids=["in_flight", "sent"])
def test_a_message_in_flight_or_finished_is_not_removable(clock: Clock, given: object) -> None:
    msg = given(clock)  # type: ignore[operator]
    with clock.at(), pytest.raises(NotRemovable) as raised:
        msg.cancel()
    assert raised.value.code == "not_removable"


def test_bounces_keep_the_status_and_the_latest_one_is_shown(clock: Clock) -> None:
    msg = sent(clock)
    with clock.at(10):
        msg.record_bounce("u@dest.test", "soft", bounce_code="4.2.2", category="transient", reason="full",
                          source="dsn")
    with clock.at(10):
        msg.record_bounce("u@dest.test", "hard", bounce_code="5.1.1", category="recipient", reason="x" * 600,
                          source="dsn", report=False)
    soft, hard = msg.collect_events()
    assert isinstance(hard, Message.Bounced) and len(hard.reason) == 500 and hard.report is False
    assert msg.status == "sent" and msg.bounce == hard and soft.bounce_type == "soft"


def test_complaints_are_recorded_on_attempted_messages_only(clock: Clock) -> None:
    msg = sent(clock)
    with clock.at():
        msg.record_complaint("u@dest.test", "abuse")
        with pytest.raises(NotAttempted):
            queued(clock, "m2").record_complaint("u@dest.test", "abuse")
        with pytest.raises(NotAttempted):
            queued(clock, "m3").record_bounce("u@dest.test", "hard", bounce_code=None, category="unknown",
                                              reason="", source="other")
    assert msg.complaint is not None and msg.complaint.recipient == "u@dest.test"


def test_an_offloaded_attachment_is_recorded_once(clock: Clock) -> None:
    msg = queued(clock)
    with clock.at():
        with_file = content(attachments=[Attachment("a.pdf", "doc=1", "endpoint")])
        msg.resubmit(fields(), with_file, message_id=None, report=True)
        attempt = msg.start_attempt("w1", clock.now + LEASE)
        msg.offload_attachment(attempt, 0, "F" * 22, T0 + 86400)
        msg.offload_attachment(attempt, 0, "F" * 22, T0 + 86400)  # a repeat is a no-op
        with pytest.raises(ValueError, match="already offloaded"):
            msg.offload_attachment(attempt, 0, "G" * 22, T0 + 86400)
        with pytest.raises(ValueError, match="out of range"):
            msg.offload_attachment(attempt, 1, "G" * 22, T0 + 86400)
    assert new_events(msg) == ["Updated", "AttemptStarted", "AttachmentOffloaded"]
    assert msg.offloaded[0].expires == T0 + 86400
