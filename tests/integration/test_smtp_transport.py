"""AioSmtpTransport against a real SMTP server on loopback (tests.support.smtp_sink)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any

import pytest

from adapters.smtp import AioSmtpTransport
from application.sending.ports import SmtpEnvelope, SmtpSendError, SmtpTarget
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration

GOOD, BAD = "u@dest.test", "bad@dest.test"
SLOW = 30.0  # deadlines these tests do not test: only a hung run should ever reach them


def run(scenario: Callable[[AioSmtpTransport], Awaitable[Any]], **options: Any) -> Any:
    """Run one scenario on a fresh transport in a fresh loop, closing the transport after."""
    async def main() -> Any:
        transport = AioSmtpTransport(**options)
        try:
            return await asyncio.wait_for(scenario(transport), 4 * SLOW)
        finally:
            await transport.close()
    return asyncio.run(main())


def target(sink: SmtpSink, **fields: Any) -> SmtpTarget:
    fields = {"use_tls": False, "helo_name": "client.test", **fields}
    return SmtpTarget(host=sink.host, port=sink.port, **fields)


def envelope(subject: str = "s", to: tuple[str, ...] = (GOOD,)) -> SmtpEnvelope:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@acme.test", ", ".join(to), subject
    msg["Message-ID"], msg["X-Ledgermail-Id"] = "<m1@acme.test>", "42"
    msg.set_content("b\n")
    return SmtpEnvelope(mail_from="a@acme.test", rcpt_to=list(to), data=msg.as_bytes())


async def failure_of(transport: AioSmtpTransport, tgt: SmtpTarget, timeout: float = SLOW) -> SmtpSendError:
    with pytest.raises(SmtpSendError) as caught:
        await transport.send(tgt, envelope(), timeout=timeout)
    return caught.value


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# delivery and reuse

def test_delivers_with_headers_intact(smtp_sink):
    sink = smtp_sink()
    result = run(lambda t: t.send(target(sink), envelope("hello"), timeout=SLOW))
    assert result.accepted == [GOOD] and result.refused == {}
    assert result.reply.startswith("250 2.0.0")
    got = sink.wait_for_messages(1)[0]
    assert (got.mail_from, got.rcpt_to) == ("a@acme.test", [GOOD])
    msg = got.message
    assert (msg["Subject"], msg["To"], msg["Message-ID"], msg["X-Ledgermail-Id"]) == (
        "hello", GOOD, "<m1@acme.test>", "42")
    assert msg.get_content() == "b\n"
    assert got.session.ehlo_name == "client.test"
    assert "AUTH" not in got.session.commands  # no credentials, no login


def test_sequential_sends_share_one_connection(smtp_sink):
    sink = smtp_sink()

    async def scenario(t: AioSmtpTransport):
        for n in range(5):
            await t.send(target(sink), envelope(f"m{n}"), timeout=SLOW)
        return t.stats

    stats = run(scenario)
    assert len(sink.wait_for_messages(5)) == 5
    assert sink.connections == 1 and (stats.opened, stats.reused) == (1, 4)


def test_concurrent_sends_stay_within_pool_size(smtp_sink):
    sink = smtp_sink()
    release = sink.stall("DATA", times=None)

    async def scenario(t: AioSmtpTransport):
        sends = [asyncio.create_task(t.send(target(sink), envelope(f"m{n}"), timeout=SLOW)) for n in range(6)]
        await asyncio.to_thread(sink.wait_for_stalled, 2)
        open_while_held = sink.open_connections
        release.set()
        await asyncio.gather(*sends)
        return open_while_held

    assert run(scenario, pool_size_per_key=2) == 2
    assert len(sink.wait_for_messages(6)) == 6
    assert sink.connections == 2 and sink.max_open_connections == 2


def test_waiting_past_pool_wait_is_a_network_failure(smtp_sink):
    sink = smtp_sink()
    release = sink.stall("DATA")

    async def scenario(t: AioSmtpTransport):
        first = asyncio.create_task(t.send(target(sink), envelope(), timeout=SLOW))
        await asyncio.to_thread(sink.wait_for_stalled)
        try:
            return await failure_of(t, target(sink))
        finally:
            release.set()
            await first

    error = run(scenario, pool_size_per_key=1, pool_wait_seconds=0.2)
    assert error.failure.kind == "network" and "free within 0.2 s" in error.failure.text


def test_idle_connection_gets_noop_and_is_replaced_when_dead(smtp_sink):
    sink = smtp_sink()

    async def scenario(t: AioSmtpTransport):
        await t.send(target(sink), envelope("m1"), timeout=SLOW)
        await t.send(target(sink), envelope("m2"), timeout=SLOW)  # NOOP, then reuse
        sink.drop("NOOP")
        await t.send(target(sink), envelope("m3"), timeout=SLOW)  # NOOP fails: a fresh connection
        return t.stats

    stats = run(scenario, noop_after_idle=0.0)
    assert len(sink.wait_for_messages(3)) == 3
    assert sink.sessions[0].commands.count("NOOP") == 2
    assert sink.connections == 2 and stats.noop_failed == 1 and stats.reused == 1


def test_idle_connection_expires_after_ttl(smtp_sink):
    sink, clock = smtp_sink(), FakeClock()

    async def scenario(t: AioSmtpTransport):
        await t.send(target(sink, ttl=10), envelope(), timeout=SLOW)
        clock.now += 11
        await t.send(target(sink, ttl=10), envelope(), timeout=SLOW)
        swept_fresh = await t.sweep()
        clock.now += 11
        return swept_fresh, await t.sweep()

    assert run(scenario, clock=clock) == (0, 1)
    sink.wait_for(lambda: not any(s.open for s in sink.sessions), what="both sessions closed")
    assert sink.connections == 2 and "QUIT" in sink.sessions[1].commands


def test_discard_closes_idle_and_in_use_connections(smtp_sink):
    sink = smtp_sink()
    release = sink.stall("DATA", times=1)

    async def scenario(t: AioSmtpTransport):
        held = asyncio.create_task(t.send(target(sink), envelope(), timeout=SLOW))
        await asyncio.to_thread(sink.wait_for_stalled)
        await t.discard(target(sink))
        release.set()
        await held
        await t.send(target(sink), envelope(), timeout=SLOW)

    run(scenario)
    assert len(sink.wait_for_messages(2)) == 2
    assert sink.connections == 2 and not sink.sessions[0].open


def test_close_quits_every_connection(smtp_sink):
    sink = smtp_sink()
    run(lambda t: t.send(target(sink), envelope(), timeout=SLOW))
    sink.wait_for_closed()
    assert sink.sessions[0].commands[-1] == "QUIT"


# replies

def test_one_refused_recipient_is_reported_and_the_rest_delivered(smtp_sink):
    sink = smtp_sink()
    sink.reply("RCPT", "550 5.1.1 user unknown", address=BAD, times=None)
    result = run(lambda t: t.send(target(sink), envelope(to=(GOOD, BAD)), timeout=SLOW))
    assert result.accepted == [GOOD] and result.refused == {BAD: (550, "5.1.1 user unknown")}
    assert sink.wait_for_messages(1)[0].rcpt_to == [GOOD]


def test_all_recipients_refused_raises_the_first_refusal(smtp_sink):
    sink = smtp_sink()
    sink.reply("RCPT", "550 5.1.1 user unknown", address=GOOD)
    sink.reply("RCPT", "550 5.7.1 relay denied", address=BAD)

    async def scenario(t: AioSmtpTransport):
        with pytest.raises(SmtpSendError) as caught:
            await t.send(target(sink), envelope(to=(GOOD, BAD)), timeout=SLOW)
        await t.send(target(sink), envelope(), timeout=SLOW)  # the session survived an RSET
        return caught.value

    error = run(scenario)
    failure = error.failure
    assert (failure.kind, failure.code, failure.enhanced) == ("smtp_reply", 550, "5.1.1")
    assert failure.text == "SMTP 550 5.1.1 user unknown"
    assert error.refused == {GOOD: (550, "5.1.1 user unknown"), BAD: (550, "5.7.1 relay denied")}
    assert sink.connections == 1 and "RSET" in sink.sessions[0].commands


def test_refused_sender_is_a_reply_failure_and_the_session_survives(smtp_sink):
    sink = smtp_sink()
    sink.reply("MAIL", "553 5.1.8 sender domain rejected")

    async def scenario(t: AioSmtpTransport):
        error = await failure_of(t, target(sink))
        await t.send(target(sink), envelope(), timeout=SLOW)
        return error

    failure = run(scenario).failure
    assert (failure.kind, failure.code, failure.enhanced) == ("smtp_reply", 553, "5.1.8")
    assert len(sink.wait_for_messages(1)) == 1 and sink.connections == 1


def test_an_address_that_would_break_the_command_line_never_reaches_the_server(smtp_sink):
    sink = smtp_sink()
    bad = SmtpEnvelope(mail_from="a@acme.test", rcpt_to=["u@dest.test> NOTIFY=NEVER\r\nRSET"],
                       data=envelope().data)

    async def scenario(t: AioSmtpTransport):
        with pytest.raises(SmtpSendError) as caught:
            await t.send(target(sink), bad, timeout=SLOW)
        await t.send(target(sink), envelope(), timeout=SLOW)
        return caught.value

    failure = run(scenario).failure
    assert failure.kind == "other" and "not permitted in an SMTP mailbox" in failure.text
    assert [m.rcpt_to for m in sink.wait_for_messages(1)] == [[GOOD]]
    assert not any("NOTIFY" in c for c in sink.sessions[0].commands)


def test_temporary_reply_at_data_is_reported_with_its_code(smtp_sink):
    sink = smtp_sink()
    sink.reply("DATA", "451 4.3.0 try again later")

    async def scenario(t: AioSmtpTransport):
        error = await failure_of(t, target(sink))
        await t.send(target(sink), envelope(), timeout=SLOW)
        return error

    failure = run(scenario).failure
    assert (failure.kind, failure.code, failure.enhanced) == ("smtp_reply", 451, "4.3.0")
    assert failure.text == "SMTP 451 4.3.0 try again later"
    assert len(sink.wait_for_messages(1)) == 1 and sink.connections == 1


def test_auth_success_and_535(smtp_sink):
    sink = smtp_sink(auth=("user", "s3cret"), auth_required=True)

    async def scenario(t: AioSmtpTransport):
        await t.send(target(sink, user="user", password="s3cret"), envelope(), timeout=SLOW)
        await t.discard(target(sink, user="user"))  # what an account update does; else it is reused
        return await failure_of(t, target(sink, user="user", password="wrong"))

    failure = run(scenario).failure
    assert (failure.kind, failure.code) == ("smtp_reply", 535) and failure.text.startswith("SMTP 535 5.7.8")
    assert "wrong" not in failure.text
    good = sink.wait_for_messages(1)[0].session
    assert (good.auth_user, good.auth_password, good.authenticated) == ("user", "s3cret", True)
    assert sink.sessions[1].commands.count("AUTH") == 1  # one mechanism, not one per mechanism


def test_user_without_password_does_not_log_in(smtp_sink):
    sink = smtp_sink()
    run(lambda t: t.send(target(sink, user="user"), envelope(), timeout=SLOW))
    assert "AUTH" not in sink.wait_for_messages(1)[0].session.commands


# network

def test_no_listener_is_a_network_failure():
    dead = SmtpTarget(host="127.0.0.1", port=free_port(), use_tls=False)
    error = run(lambda t: failure_of(t, dead))
    assert error.failure.kind == "network" and error.failure.code is None


def test_dropped_connection_is_a_network_failure(smtp_sink):
    sink = smtp_sink()
    sink.drop("DATA")

    async def scenario(t: AioSmtpTransport):
        error = await failure_of(t, target(sink))
        await t.send(target(sink), envelope(), timeout=SLOW)
        return error

    assert run(scenario).failure.kind == "network"
    assert sink.connections == 2


def test_stall_past_the_deadline_aborts_the_session(smtp_sink):
    sink = smtp_sink()
    release = sink.stall("DATA")

    async def scenario(t: AioSmtpTransport):
        started = time.monotonic()
        error = await failure_of(t, target(sink), timeout=0.5)
        return error, time.monotonic() - started

    try:
        error, elapsed = run(scenario)
    finally:
        release.set()
    assert error.failure.kind == "network" and "aborted at deadline" in error.failure.text
    assert 0.5 <= elapsed < 2.0
    sink.wait_for_closed()


# TLS

def test_starttls_with_self_signed_certificate_and_verification(smtp_sink):
    sink = smtp_sink(tls="starttls")
    failure = run(lambda t: failure_of(t, target(sink, use_tls=True))).failure
    assert failure.kind == "tls_certificate" and "not trusted" in failure.text


def test_starttls_without_verification_delivers(smtp_sink):
    sink = smtp_sink(tls="starttls")
    run(lambda t: t.send(target(sink, use_tls=True, tls_verify=False), envelope(), timeout=SLOW))
    session = sink.wait_for_messages(1)[0].session
    assert session.tls and session.commands[:3] == ["EHLO", "STARTTLS", "EHLO"]


def test_starttls_with_a_trusted_ca_verifies(smtp_sink, smtp_sink_cert):
    sink = smtp_sink(tls="starttls")
    run(lambda t: t.send(target(sink, use_tls=True), envelope(), timeout=SLOW), cafile=smtp_sink_cert.cafile)
    assert sink.wait_for_messages(1)[0].session.tls


def test_use_tls_without_starttls_offered_is_tls_unavailable(smtp_sink):
    sink = smtp_sink()
    failure = run(lambda t: failure_of(t, target(sink, use_tls=True))).failure
    assert failure.kind == "tls_unavailable" and "does not offer STARTTLS" in failure.text
    assert sink.messages == []


def test_implicit_tls(smtp_sink):
    sink = smtp_sink(tls="implicit")
    tls = {"use_tls": True, "implicit_tls": True}

    async def scenario(t: AioSmtpTransport):
        await t.send(target(sink, tls_verify=False, **tls), envelope(), timeout=SLOW)
        return await failure_of(t, target(sink, **tls))

    assert run(scenario).failure.kind == "tls_certificate"
    session = sink.wait_for_messages(1)[0].session
    assert session.tls and "STARTTLS" not in session.commands


def test_plain_never_upgrades_even_when_starttls_is_offered(smtp_sink):
    sink = smtp_sink(tls="starttls")
    run(lambda t: t.send(target(sink), envelope(), timeout=SLOW))
    session = sink.wait_for_messages(1)[0].session
    assert not session.tls and "STARTTLS" not in session.commands
