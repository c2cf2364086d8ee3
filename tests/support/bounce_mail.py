"""Report mails for tests, written out as RFC 822 text, and messages to bounce.

``dsn(...)``, ``arf(...)``, ``plain_bounce(...)`` and ``auto_reply(...)`` return raw bytes in
the shapes of RFC 3464, RFC 5965 and a qmail-style text bounce; every mail gets its own
Message-ID unless one is given, so two calls never read as the same report.
"""

from __future__ import annotations

import uuid

from adapters.bootstrap import Container
from domain.sending.content import MessageContent, QueueFields
from domain.sending.message import Message


def _headers(*lines: str | None) -> str:
    return "".join(f"{line}\n" for line in lines if line)


def original(to: str, *, ledgermail_id: str | None = None, message_id: str | None = None) -> str:
    return _headers("From: a@acme.test", f"To: {to}", "Subject: s",
                    f"Message-ID: {message_id}" if message_id else None,
                    f"X-Ledgermail-Id: {ledgermail_id}" if ledgermail_id else None)


def _mail(headers: dict[str, str], body: str) -> bytes:
    head = "".join(f"{k}: {v}\n" for k, v in headers.items())
    return (head + "\n" + body).encode()


def _outer(to: str, subject: str, sender: str, report_id: str | None, **extra: str) -> dict[str, str]:
    return {"From": sender, "To": to, "Delivered-To": to, "Subject": subject,
            "Message-ID": report_id or f"<{uuid.uuid4().hex}@mx.dest.test>", "MIME-Version": "1.0", **extra}


def _report(kind: str, parts: list[tuple[str, str]]) -> tuple[str, str]:
    boundary = uuid.uuid4().hex
    body = "".join(f"--{boundary}\nContent-Type: {ctype}\n\n{text}\n" for ctype, text in parts)
    return f"multipart/report; report-type={kind}; boundary=\"{boundary}\"", body + f"--{boundary}--\n"


def dsn(recipient: str, status: str, diagnostic: str, *, ledgermail_id: str | None = None,
        message_id: str | None = None, to: str = "bounces@mx.acme.test", action: str = "failed",
        report_id: str | None = None) -> bytes:
    status_text = (_headers("Reporting-MTA: dns; mx.dest.test") + "\n" +
                   _headers(f"Final-Recipient: rfc822; {recipient}", f"Action: {action}", f"Status: {status}",
                            f"Diagnostic-Code: smtp; {diagnostic}"))
    ctype, body = _report("delivery-status", [
        ("text/plain", f"<{recipient}>: {diagnostic}\n"), ("message/delivery-status", status_text),
        ("text/rfc822-headers", original(recipient, ledgermail_id=ledgermail_id, message_id=message_id))])
    headers = _outer(to, "Undelivered Mail Returned to Sender", "MAILER-DAEMON@mx.dest.test", report_id,
                     **{"Content-Type": ctype})
    return _mail(headers, body)


def arf(feedback_type: str, rcpt: str, *, ledgermail_id: str | None = None, message_id: str | None = None,
        to: str = "fbl@mx.acme.test") -> bytes:
    fields = _headers(f"Feedback-Type: {feedback_type}", "User-Agent: TestFBL/1.0", "Version: 1",
                      f"Original-Rcpt-To: {rcpt}")
    ctype, body = _report("feedback-report", [
        ("text/plain", "This is an email abuse report.\n"), ("message/feedback-report", fields),
        ("text/rfc822-headers", original(rcpt, ledgermail_id=ledgermail_id, message_id=message_id))])
    return _mail(_outer(to, "Abuse report", "feedback@fbl.test", None, **{"Content-Type": ctype}), body)


def plain_bounce(recipient: str, reply: str, *, to: str = "bounces@mx.acme.test") -> bytes:
    body = (f"Hi. This is the qmail-send program at mx.dest.test.\n"
            f"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
            f"<{recipient}>:\nRemote host said: {reply}\n\n--- Below this line is a copy of the message.\n\n"
            f"From: a@acme.test\nTo: {recipient}\nSubject: s\n")
    return _mail(_outer(to, "failure notice", "MAILER-DAEMON@mx.dest.test", None), body)


def auto_reply(to: str = "bounces@mx.acme.test") -> bytes:
    headers = _outer(to, "Out of Office: s", "person@dest.test", None, **{"Auto-Submitted": "auto-replied"})
    return _mail(headers, "I am out of the office until Monday.\n")


def sent_message(container: Container, tenant_id: str, client_id: str, to: str = "u@dest.test", *,
                 message_id: str | None = None) -> Message:
    """A message of ``tenant_id`` that went out (queued, attempted, sent), saved."""
    app = container.sending
    now = container.clock.now()
    with app.command(actor="test", tenant_id=tenant_id):
        message = Message.queue(tenant_id, client_id, QueueFields(account_id="smtp1"),
                                MessageContent(from_addr="a@acme.test", to=[to], subject="s", body="b"),
                                message_id=message_id or f"<{uuid.uuid4().hex}@acme.test>", report=False)
        attempt = message.start_attempt("w1", now + 300)
        message.record_sent(attempt, "250 2.0.0 ok")
        app.record(message)
    return message
