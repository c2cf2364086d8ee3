"""The Message aggregate, acceptance: given events -> when a command -> then events (spec §5.2, §5.3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.errors import AlreadySent, InProgress, NotDispatchable, RuleViolation
from domain.instance_config import RetryConfig
from domain.sending.content import Attachment, ConsoleOrigin, TemplateRef
from domain.sending.ids import message_uuid
from domain.sending.message import Message
from domain.sending.message_state import RecipientRefusal, history_type
from tests.support.messages import (
    LEASE,
    NO_JITTER,
    SMTP_451,
    T0,
    Clock,
    attempting,
    content,
    fields,
    new_events,
    queued,
    replay,
    retried,
    sent,
    state_of,
)

pytestmark = pytest.mark.unit

ATTACHMENT = Attachment(filename="big.pdf", storage_path="doc=1", fetch_mode="endpoint")


@pytest.fixture
def clock() -> Clock:
    return Clock()


# --- ids ---------------------------------------------------------------------------------


def test_the_pk_is_the_uuid5_of_tenant_and_client_id(clock: Clock) -> None:
    msg = queued(clock)
    assert msg.pk == msg.id == message_uuid("acme", "m1")
    assert message_uuid("acme", "m1") == message_uuid("acme", "m1")
    assert message_uuid("beta", "m1") != msg.pk and message_uuid("acme", "m2") != msg.pk


# --- acceptance (§5.2, §5.3) --------------------------------------------------------------


def test_queue_records_everything_the_message_needs(clock: Clock) -> None:
    with clock.at():
        msg = Message.queue("acme", "m1", fields(priority=1), content(), message_id="<1@acme.test>",
                            report=True)
    (event,) = msg.collect_events()
    assert isinstance(event, Message.Queued) and event.originator_version == 1
    assert (event.tenant_id, event.client_id, event.report) == ("acme", "m1", True)
    assert event.message_id == "<1@acme.test>"
    assert event.meta.tenant_id == "acme" and event.timestamp == T0
    assert (msg.status, msg.accepted_ts, msg.fields.priority, msg.attempts) == ("pending", T0, 1, 0)


@pytest.mark.parametrize(("offset", "status", "reason"),
                         [(120, "deferred", "scheduled"), (-5, "pending", None)])
def test_a_deferred_ts_in_the_future_defers_one_in_the_past_means_now(
    clock: Clock, offset: float, status: str, reason: str | None
) -> None:
    msg = queued(clock, deferred_ts=T0 + offset)
    assert (msg.status, msg.deferred_reason) == (status, reason)
    assert msg.deferred_until == (T0 + offset if reason else None)


def test_an_identical_resubmission_appends_nothing(clock: Clock) -> None:
    msg = queued(clock)
    with clock.at(5):
        assert msg.resubmit(fields(), content(), message_id=None, report=True) is False
        assert msg.resubmit(fields(), content(), message_id="<1@acme.test>", report=True) is False
    assert new_events(msg) == []


def test_a_resubmission_updates_and_keeps_queue_position_and_message_id(clock: Clock) -> None:
    msg = queued(clock)
    with clock.at(5):
        assert msg.resubmit(fields(priority=0, batch_code="NL"), content(subject="B"), message_id=None,
                            report=True)
    (event,) = msg.collect_events()
    assert isinstance(event, Message.Updated)
    assert event.changed == ["priority", "batch_code", "content"]
    assert (msg.accepted_ts, msg.message_id, msg.content.subject) == (T0, "<1@acme.test>", "B")
    assert msg.modified_ts == T0 + 5


def test_a_supplied_message_id_replaces_the_old_one(clock: Clock) -> None:
    msg = queued(clock)
    with clock.at():
        msg.resubmit(fields(), content(), message_id="<2@acme.test>", report=True)
    (event,) = msg.collect_events()
    assert isinstance(event, Message.Updated) and event.changed == ["message_id"]
    assert msg.message_id == "<2@acme.test>"


def test_an_update_reschedules(clock: Clock) -> None:
    msg = queued(clock, deferred_ts=T0 + 600)
    with clock.at():
        msg.resubmit(fields(), content(), message_id=None, report=True)
    assert (msg.status, msg.deferred_until) == ("pending", None)
    assert new_events(msg) == ["Updated"]


def test_a_new_id_with_a_validation_error_is_recorded_as_rejected(clock: Clock) -> None:
    with clock.at():
        msg = Message.reject_new("acme", "m2", "missing_field", "subject is required", field="subject",
                                 report=True)
    (event,) = msg.collect_events()
    assert isinstance(event, Message.Rejected) and event.originator_version == 1
    assert (msg.status, msg.error_code, msg.error, msg.error_ts) == ("rejected", "missing_field",
                                                                     "subject is required", T0)
    assert msg.pk == message_uuid("acme", "m2") and msg.content is None and msg.message_id is None


def test_a_rejection_of_a_still_queued_id_only_adds_history(clock: Clock) -> None:
    msg = queued(clock)
    with clock.at(3):
        msg.reject("invalid_field", "priority must be 0-3", field="priority", report=True)
    assert new_events(msg) == ["Rejected"]
    assert (msg.status, msg.content, msg.error_code) == ("pending", content(), None)
    assert [e["type"] for e in msg.history()] == ["queued", "rejected"]


def test_a_rejected_id_resubmitted_is_queued_afresh(clock: Clock) -> None:
    with clock.at():
        msg = Message.reject_new("acme", "m4", "account_not_found", "no account nope", field="account_id",
                                 report=True)
    msg.collect_events()
    with clock.at(10), pytest.raises(ValueError, match="Message-ID"):
        msg.resubmit(fields(), content(), message_id=None, report=True)
    with clock.at():
        assert msg.resubmit(fields(), content(), message_id=None, report=False,
                            generated_message_id="<gen@acme.test>")
    (event,) = msg.collect_events()
    assert isinstance(event, Message.Queued) and event.originator_version == 2
    assert (msg.status, msg.error_code, msg.accepted_ts) == ("pending", None, T0 + 10)
    assert msg.message_id == "<gen@acme.test>"
    assert msg.report is False and msg.created_ts == T0
    assert [e["type"] for e in msg.history()] == ["rejected", "queued"]


def test_a_rejected_id_rejected_again_stays_rejected(clock: Clock) -> None:
    with clock.at():
        msg = Message.reject_new("acme", "m2", "missing_field", "subject is required", report=True)
        msg.reject("unknown_field", "sender is not a field", field="sender", report=True)
    assert msg.status == "rejected" and msg.error_code == "unknown_field"


def test_a_cancelled_id_resubmitted_is_pending_again_with_its_message_id(clock: Clock) -> None:
    msg = queued(clock)
    with clock.at(1):
        msg.cancel()
    with clock.at(1):
        msg.resubmit(fields(), content(), message_id=None, report=True, generated_message_id="<new@x>")
    assert new_events(msg) == ["Cancelled", "Queued"]
    assert (msg.status, msg.message_id, msg.accepted_ts) == ("pending", "<1@acme.test>", T0 + 2)


def test_a_cancelled_id_rejected_becomes_rejected(clock: Clock) -> None:
    msg = queued(clock)
    with clock.at():
        msg.cancel("tenant_deleted")
        msg.reject("attachment_invalid", "bad base64", field="attachments[0]", report=True)
    assert msg.status == "rejected"


@pytest.mark.parametrize(
    ("given", "error", "code"),
    [(sent, AlreadySent, "already_sent"), (retried, InProgress, "in_progress"),
     (lambda c: attempting(c)[0], InProgress, "in_progress")],
    ids=["sent", "retrying", "in_flight"],
)
def test_after_an_attempt_the_id_is_closed(
    clock: Clock, given: Callable[[Clock], Message], error: type[RuleViolation], code: str
) -> None:
    msg = given(clock)
    version = msg.version
    with clock.at(1):
        with pytest.raises(error) as raised:
            msg.resubmit(fields(), content(subject="other"), message_id=None, report=True)
        with pytest.raises(error):
            msg.reject("invalid_field", "bad", field="to", report=True)
    assert raised.value.code == code and raised.value.status == 409 and issubclass(error, RuleViolation)
    assert msg.version == version and new_events(msg) == []


def test_a_failed_message_is_closed_even_without_an_attempt(clock: Clock) -> None:
    msg = queued(clock)
    with clock.at():
        msg.fail("rate_limit_exceeded", "limit_per_minute 2 reached")
        with pytest.raises(AlreadySent):
            msg.resubmit(fields(), content(), message_id=None, report=True)


def test_a_cancelled_message_that_was_attempted_stays_closed(clock: Clock) -> None:
    msg = retried(clock)
    with clock.at():
        msg.cancel()
        with pytest.raises(AlreadySent):
            msg.resubmit(fields(), content(), message_id=None, report=True)


# --- history and replay ------------------------------------------------------------------


def test_history_is_snake_case_oldest_first_with_stable_event_ids(clock: Clock) -> None:
    msg = sent(clock)
    history = msg.history()
    assert [e["type"] for e in history] == ["queued", "attempt_started", "sent"]
    assert [e["event_id"] for e in history] == [f"{msg.pk}:{v}" for v in (1, 2, 3)]
    assert history[0]["ts"] == T0 and history[0]["data"]["message_id"] == "<1@acme.test>"
    # the payload is shown apart (masked); history entries never carry content or envelopes
    assert not {"content", "meta", "originator_id"} & set(history[0]["data"])
    assert history[2]["data"]["smtp_reply"] == "250 2.0.0 queued as 1"


def test_every_message_event_has_a_topic_a_history_type_and_a_docstring() -> None:
    events = [v for v in vars(Message).values() if isinstance(v, type) and hasattr(v, "TOPIC")]
    assert len(events) == 19
    for cls in events:
        assert f"Message.{cls.__name__}" == cls.TOPIC and cls.__doc__
    assert {history_type(c) for c in events} == {
        "queued", "updated", "rejected", "attempt_started", "attempt_abandoned", "sent", "deferred",
        "failed", "cancelled", "bounced", "complained", "attachment_offloaded",
        "delivered", "opened", "clicked", "unsubscribe_recorded",  # console.md §6, §10
        "held", "released", "suppressed",  # console sends, §2.3
    }


def lifecycle(clock: Clock) -> Message:
    """Every kind of event once, through the stored form's awkward corners."""
    with clock.at():
        msg = Message.reject_new("acme", "m9", "missing_field", "subject is required", field="subject",
                                 report=True)
        msg.resubmit(fields(deferred_ts=T0 + 60), content(attachments=[ATTACHMENT]), message_id="<9@x>",
                     report=True)
        msg.resubmit(fields(), content(attachments=[ATTACHMENT], headers=[("X-A", "1")]), message_id=None,
                     report=True)
        msg.reject("invalid_field", "bad", field="priority", report=False)
        first = msg.start_attempt("w1", clock.now + LEASE)
    with clock.at(LEASE):
        msg.abandon_attempt(max_retries=5)
        second = msg.start_attempt("w2", clock.now + LEASE)
        msg.offload_attachment(second, 0, "f" * 22, clock.now + 86400)
        msg.record_failure(second, SMTP_451, policy=NO_JITTER, rand=0.3)
    with clock.at(300):  # the abandonment was retry 1, this failure retry 2: 300 s
        third = msg.start_attempt("w1", clock.now + LEASE)
        refusal = RecipientRefusal("x@dest.test", 550, "SMTP 550 5.1.1 user unknown")
        msg.record_sent(third, "250 ok", refused_recipients=[refusal], suppressed_recipients=["s@d.test"],
                        warnings=["big.pdf is 12.0 MB"])
        msg.record_bounce("x@dest.test", "hard", bounce_code="5.1.1", category="recipient", reason="unknown",
                          source="smtp")
        msg.record_complaint("u@dest.test", "abuse")
    assert first == 1
    return msg


def cancelled_then_requeued(clock: Clock) -> Message:
    msg = queued(clock)
    with clock.at(1):
        msg.cancel()
        msg.resubmit(fields(priority=3), content(), message_id=None, report=True)
        attempt = msg.start_attempt("w1", clock.now + LEASE)
        msg.fail("account_not_found", "account smtp1 not found", attempt=attempt)
    return msg


def exhausted(clock: Clock) -> Message:
    msg = queued(clock)
    for _ in range(3):
        with clock.at(LEASE):
            attempt = msg.start_attempt("w1", clock.now + LEASE)
            msg.record_failure(attempt, SMTP_451, policy=RetryConfig(max_retries=2, delays_seconds=[1.0]),
                               rand=1.0)
    return msg


@pytest.mark.parametrize("scenario", [lifecycle, cancelled_then_requeued, exhausted, sent, retried])
def test_replaying_the_stored_events_gives_the_same_state(clock: Clock, scenario: Any) -> None:
    msg = scenario(clock)
    rebuilt = replay(msg.trail)
    assert state_of(rebuilt) == state_of(msg)
    assert rebuilt.version == msg.version == len(msg.trail)
    assert rebuilt.history() == msg.history()


def test_the_lifecycle_reaches_the_expected_state(clock: Clock) -> None:
    msg = lifecycle(clock)
    assert [e["type"] for e in msg.history()] == [
        "rejected", "queued", "updated", "rejected", "attempt_started", "attempt_abandoned",
        "attempt_started", "attachment_offloaded", "deferred", "attempt_started", "sent", "bounced",
        "complained",
    ]
    assert (msg.status, msg.attempts, msg.retry_count, msg.lease) == ("sent", 3, 2, None)
    assert msg.bounce is not None and msg.bounce.bounce_code == "5.1.1"
    assert msg.complaint is not None and msg.complaint.complaint_type == "abuse"
    assert msg.offloaded[0].file_id == "f" * 22


def test_a_console_send_keeps_its_origin_and_contact_through_the_stored_form(clock: Clock) -> None:
    """console.md §2.1: optional fields of Queued; a proxy message shows none of them."""
    origin = ConsoleOrigin(
        origin="oneoff", kind="marketing", dedupe_key="oneoff:k1", contact_id="c-1",
        template=TemplateRef("news", 3),
    )
    with clock.at():
        msg = Message.queue("acme", "oneoff:k1", fields(), content(), message_id="<1@acme.test>",
                            report=False, console=origin)
    rebuilt = replay(msg.trail)
    assert (rebuilt.origin, rebuilt.contact_id) == ("oneoff", "c-1")
    data = rebuilt.history()[0]["data"]
    assert (data["kind"], data["dedupe_key"], data["template"]) == (
        "marketing", "oneoff:k1", {"slug": "news", "version": 3}
    )
    proxy = replay(queued(clock).trail)
    assert (proxy.origin, proxy.contact_id) == ("api", None)
    assert not {"origin", "kind", "contact_id", "template"} & set(proxy.history()[0]["data"])


def test_holds_form_a_set_and_release_only_when_it_empties(clock: Clock) -> None:
    with clock.at():
        msg = Message.queue("acme", "broadcast:b:c", fields(), content(), message_id="<h@x>", report=False)
        assert msg.hold("health:x") and msg.hold("broadcast:b")
        assert not msg.hold("broadcast:b")  # already there: nothing appended
        assert (msg.status, msg.holds) == ("held", ["broadcast:b", "health:x"])
        with pytest.raises(NotDispatchable):
            msg.start_attempt("w1", clock.now + LEASE)
        assert msg.release("broadcast:b") and msg.status == "held"
        assert not msg.release("broadcast:b")
        assert msg.release("health:x") and (msg.status, msg.holds) == ("pending", [])
        attempt = msg.start_attempt("w1", clock.now + LEASE)
        msg.suppress("suppressed:manual", attempt=attempt)
    assert (msg.status, msg.lease, msg.closed) == ("suppressed", None, True)
    with pytest.raises(NotDispatchable):
        msg.hold("health:x")
