"""What each SMTP answer does to a message (spec proxy.md §6.3, §6.4; scenarios 25-30)."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable, Iterator

import pytest

from adapters.settings import Settings
from tests.support.dispatch import DispatchRig, M, open_rig
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration


@pytest.fixture
def rig(settings: Settings, smtp_sink: Callable[..., SmtpSink]) -> Iterator[DispatchRig]:
    with open_rig(settings, smtp_sink(auth=("user", "s3cret"))) as rig:
        yield rig


def copies(sink: SmtpSink) -> list[email.message.EmailMessage]:
    """Every DATA the sink read, whatever it answered."""
    return [email.message_from_bytes(t.data, policy=email.policy.default)  # type: ignore[misc]
            for s in sink.sessions for t in s.transactions if t.data is not None]


def test_permanent_refusal_fails_and_bounces(rig: DispatchRig) -> None:
    """Scenario 25: 550 5.1.1 at RCPT -> error smtp_permanent after one attempt, a hard bounce."""
    rig.sink.reply("RCPT", "550 5.1.1 user unknown", times=None)
    rig.queue(M("m1"))
    rig.start()
    message = rig.wait_status("m1", "error")
    assert (message.error_code, message.attempts) == ("smtp_permanent", 1)
    assert message.error == "SMTP 550 5.1.1 user unknown"
    assert rig.history("m1") == ["queued", "attempt_started", "failed", "bounced"]
    bounce = message.bounce
    assert bounce is not None
    assert (bounce.recipient, bounce.bounce_type, bounce.bounce_code, bounce.category, bounce.source) == (
        "u@dest.test", "hard", "5.1.1", "recipient", "smtp")


def test_some_recipients_refused_is_sent_with_bounces(rig: DispatchRig) -> None:
    rig.sink.reply("RCPT", "550 5.1.1 no such user", address="bad@dest.test", times=None)
    rig.queue(M("m1", to=["u@dest.test", "bad@dest.test"]))
    rig.start()
    message = rig.wait_status("m1", "sent")
    sent = message.trail[2]
    assert [r.recipient for r in sent.refused_recipients] == ["bad@dest.test"]  # type: ignore[attr-defined]
    assert rig.history("m1")[-1] == "bounced" and message.bounce is not None
    assert rig.sink.wait_for_messages(1)[0].rcpt_to == ["u@dest.test"]


def test_temporary_failures_retry_on_schedule_with_the_same_headers(rig: DispatchRig) -> None:
    """Scenario 26: 451 twice after DATA, then 250: deferred 60 s, then 300 s, then sent."""
    rig.sink.reply("DATA", "451 4.3.0 try later", times=2)
    t0 = rig.now()
    rig.queue(M("m1"))
    rig.start()
    first = rig.wait_status("m1", "deferred")
    assert (first.deferred_until, first.retry_count, first.deferred_reason) == (
        t0 + 60, 1, "temporary_failure")
    rig.advance(60)
    rig.wait_until_retry(first, 2)
    assert rig.message("m1").deferred_until == t0 + 60 + 300
    rig.advance(300)
    message = rig.wait_status("m1", "sent")
    assert message.attempts == 3 and message.retry_count == 2
    mails = copies(rig.sink)
    assert len(mails) == 3
    assert {m["Message-ID"] for m in mails} == {message.message_id}
    assert {m["Date"] for m in mails} == {message.date}
    assert {m["X-Ledgermail-Id"] for m in mails} == {str(message.id)}


def test_retries_run_out_after_six_attempts(rig: DispatchRig) -> None:
    """Scenario 27: always 451 -> 6 attempts, then error retries_exhausted."""
    rig.sink.reply("DATA", "451 4.3.0 try later", times=None)
    rig.queue(M("m1"))
    rig.start()
    for retry, delay in enumerate((60, 300, 900, 3600, 7200), start=1):
        rig.wait_until_retry(rig.wait_status("m1", "deferred"), retry)
        rig.advance(delay)
    message = rig.wait_status("m1", "error")
    assert (message.attempts, message.error_code) == (6, "retries_exhausted")
    assert message.error is not None and message.error.startswith("max retries (5) exceeded: SMTP 451")


def test_rejected_login_is_smtp_auth(rig: DispatchRig) -> None:
    """Scenario 29: 535 -> error smtp_auth after one attempt; the password was decrypted for AUTH."""
    rig.account(user="user", password="wrong")
    rig.queue(M("m1"))
    rig.start()
    message = rig.wait_status("m1", "error")
    assert (message.error_code, message.attempts) == ("smtp_auth", 1)
    assert rig.sink.sessions[-1].auth_password == "wrong"


def test_good_login_sends(rig: DispatchRig) -> None:
    rig.account(user="user", password="s3cret")
    rig.queue(M("m1"))
    rig.start()
    rig.wait_status("m1", "sent")
    assert rig.sink.sessions[-1].authenticated


def test_no_listener_is_a_temporary_failure(rig: DispatchRig) -> None:
    """Scenario 29: nothing listens on the account's port -> deferred, temporary_failure."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rig.account(port=port)
    rig.queue(M("m1"))
    rig.start()
    message = rig.wait_status("m1", "deferred")
    assert (message.deferred_reason, message.retry_count) == ("temporary_failure", 1)
    assert message.error is not None and f"127.0.0.1:{port}" in message.error


def test_deleted_account_fails_its_messages(rig: DispatchRig) -> None:
    """Scenario 30: the account was deleted after enqueue -> error account_not_found."""
    rig.queue(M("m16"))
    rig.c.tenancy.delete_account("acme", "smtp1")
    rig.start()
    message = rig.wait_status("m16", "error")
    assert (message.error_code, message.attempts) == ("account_not_found", 1)
    assert rig.sink.messages == []


def test_a_retry_hint_in_the_reply_sets_the_delay(rig: DispatchRig) -> None:
    """Scenario 28: 451 4.7.1 Try again in 90 seconds -> deferred until t+90."""
    rig.sink.reply("DATA", "451 4.7.1 Try again in 90 seconds")
    t0 = rig.now()
    rig.queue(M("m1"))
    rig.start()
    assert rig.wait_status("m1", "deferred").deferred_until == t0 + 90


@pytest.mark.parametrize(("tls", "error_code"),
                         [("starttls", "tls_certificate"), ("none", "tls_unavailable")])
def test_tls_failures_are_permanent(settings: Settings, smtp_sink: Callable[..., SmtpSink], tls: str,
                                    error_code: str) -> None:
    """Scenario 29: use_tls to a certificate nobody trusts, or to a server without STARTTLS."""
    with open_rig(settings, smtp_sink(tls=tls)) as rig:
        rig.account(use_tls=True)
        rig.queue(M("m1"))
        rig.start()
        message = rig.wait_status("m1", "error")
        assert (message.error_code, message.attempts) == (error_code, 1)
        assert rig.sink.messages == []
