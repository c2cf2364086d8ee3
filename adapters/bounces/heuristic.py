"""Bounce mails that are not DSNs (spec proxy.md §10.2 "Other"): qmail, Exim's default
text bounces, Yahoo's, old Sendmail and appliance notices.

Recognised by the subject or the sender; the failed addresses are Exim's
``X-Failed-Recipients``, else the first address of the diagnostic text; the code is the
first enhanced code ``[45].d.d`` there, else the first reply ``[45]dd``; the reason its
first five non-empty lines. The diagnostic text is the body up to where the returned
original starts, so an address or code quoted from the original is never taken.
"""

from __future__ import annotations

import re
from email.message import Message

from adapters.bounces.mail import addresses, first_lines, header_text, header_values
from domain.bounces.classify import find_reply
from domain.bounces.report import REASON_MAX, Finding

BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery\s+(?:status\s+notification\s*\(failure\)|failure|failed|has\s+failed"
    r"|problem|notification)|failure\s+notice|returned\s+mail|returned\s+to\s+sender|mail\s+delivery\s+failed"
    r"|could\s+not\s+be\s+delivered|non-?delivery|nondeliverable|delivery\s+status\s+notification",
    re.IGNORECASE)
DAEMON = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
AUTO_REPLY_SUBJECT = re.compile(r"^\s*(?:out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?reply"
                                r"|auto:|autoreply|vacation|abwesenheit|absence)", re.IGNORECASE)
_ENHANCED_45 = re.compile(r"(?<![\d.])([45])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_MESSAGE_ID_LINE = re.compile(r"^.*\b(?:message-?id|in-reply-to|references)\b.*$",
                              re.IGNORECASE | re.MULTILINE)
_ORIGINAL_STARTS = re.compile(
    r"^\s*(?:-{2,}.*(?:original message|copy of the message|message follows|returned message|"
    r"below this line|headers of the original|undelivered message).*"
    r"|.*(?:original message follows|copy of the message follows|message headers follow).*"
    r"|(?:Return-Path|Received|DKIM-Signature|X-Ledgermail-Id):.*)$",
    re.IGNORECASE | re.MULTILINE)


def sender(msg: Message) -> str:
    found = addresses(header_values(msg, "From"))
    return found[0] if found else ""


def looks_like_bounce(msg: Message) -> bool:
    subject = header_text(msg, "Subject")
    return bool(msg.get("X-Failed-Recipients") or BOUNCE_SUBJECT.search(subject) or DAEMON.match(sender(msg)))


def is_auto_reply(msg: Message) -> bool:
    auto = header_text(msg, "Auto-Submitted").lower()
    return (auto.startswith("auto-replied") or bool(msg.get("X-Autoreply")) or bool(msg.get("X-Autorespond"))
            or AUTO_REPLY_SUBJECT.match(header_text(msg, "Subject")) is not None)


def diagnostic_text(body: str) -> str:
    cut = _ORIGINAL_STARTS.search(body)
    return body[:cut.start()] if cut else body


def findings(msg: Message, body: str) -> list[Finding]:
    text = diagnostic_text(body)
    found = _ENHANCED_45.search(text)
    status = ".".join(found.groups()) if found else None
    reply = find_reply(text)
    reason = first_lines(text)[:REASON_MAX]
    failed = addresses(header_values(msg, "X-Failed-Recipients")) or _body_address(msg, text)
    return [Finding(email=email, status=status, reply=reply, action="failed", reason=reason)
            for email in failed or [""]]


def _body_address(msg: Message, text: str) -> list[str]:
    """The first address in the text that is neither the bounce's sender nor where it went."""
    own = set(addresses([*header_values(msg, "From"), *header_values(msg, "To")]))
    text = _MESSAGE_ID_LINE.sub("", text)  # "Message-id: <x@y>" names no recipient
    for candidate in _ADDRESS.findall(text):
        address = candidate.lower().strip(".")
        if address not in own and not DAEMON.match(address):
            return [address]
    return []
