"""One inbound mail to a ``ParsedReport`` (spec proxy.md §10.2): ARF, DSN, or a heuristic
bounce; anything else (auto-replies, ordinary mail, not-spam feedback) is ``ignored``."""

from __future__ import annotations

import hashlib
import logging
import re
from email import message_from_bytes, policy
from email.message import Message

from adapters.bounces import arf, dsn, heuristic
from adapters.bounces.mail import header_text, part_text
from adapters.bounces.refs import body_texts, references
from domain.bounces.report import COMPLAINT_TYPES, ParsedReport, References

log = logging.getLogger(__name__)
_REPLY_PREFIX = re.compile(r"^\s*(?:re|fw|fwd|aw|sv|antw)\s*:", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def identity(msg: Message, raw: bytes) -> str:
    """The report's de-duplication identity: its Message-ID, else the SHA-256 of its bytes."""
    message_id = header_text(msg, "Message-ID")
    return message_id if message_id else "sha256:" + hashlib.sha256(raw).hexdigest()


def parse_report(raw: bytes) -> ParsedReport:
    msg = message_from_bytes(raw, policy=policy.compat32)
    ident = identity(msg, raw)
    texts = body_texts(msg)
    refs = references(msg, raw, texts)
    report_type = str(msg.get_param("report-type", "") or "").lower()
    if report_type == "feedback-report" or arf.feedback_fields(msg) is not None:
        return _complaint(msg, ident, refs)
    if dsn.status_part(msg) is not None:
        found = dsn.findings(msg)
        if found:
            return ParsedReport(kind="bounce", format="dsn", identity=ident, findings=found, references=refs)
        return ParsedReport(kind="ignored", format="dsn", identity=ident, references=refs,
                            why="a delivery status notification without failed or delayed recipients")
    return _other(msg, ident, refs)


def _complaint(msg: Message, ident: str, refs: References) -> ParsedReport:
    fields = arf.feedback_fields(msg)
    kind = arf.feedback_type(fields)
    people = arf.complainants(msg, fields)
    if kind not in COMPLAINT_TYPES:
        return ParsedReport(kind="ignored", format="arf", identity=ident, complaint_type=kind,
                            complainants=people, references=refs,
                            why=f"feedback type {kind} is not a complaint")
    return ParsedReport(kind="complaint", format="arf", identity=ident, complaint_type=kind,
                        complainants=people, references=refs)


def _other(msg: Message, ident: str, refs: References) -> ParsedReport:
    daemon = bool(heuristic.DAEMON.match(heuristic.sender(msg)) or msg.get("X-Failed-Recipients"))
    if not daemon and (heuristic.is_auto_reply(msg) or _REPLY_PREFIX.match(header_text(msg, "Subject"))):
        return ParsedReport(kind="ignored", format="none", identity=ident, references=refs,
                            why="an automatic or personal reply, not a bounce")
    if not heuristic.looks_like_bounce(msg):
        return ParsedReport(kind="ignored", format="none", identity=ident, references=refs,
                            why="neither a report nor a recognisable bounce")
    found = heuristic.findings(msg, _body(msg))
    return ParsedReport(kind="bounce", format="other", identity=ident, findings=found, references=refs)


def _body(msg: Message) -> str:
    """The bounce's own text: its first text/plain leaf (else its HTML, tags removed)."""
    html = None
    for part in msg.walk():
        if part.get_content_maintype() == "message":
            break  # the returned original starts here
        if part.get_content_type() == "text/plain":
            return part_text(part)
        if part.get_content_type() == "text/html" and html is None:
            html = _TAGS.sub(" ", part_text(part))
    return html or ""


class StdlibBounceParser:
    """Implements ``application.sending.bounce_intake.BounceParser``: never raises, so one
    malformed mail cannot stall the mailbox behind it."""

    def parse(self, raw: bytes) -> ParsedReport:
        try:
            return parse_report(raw)
        except Exception as exc:  # any parser failure makes the mail "ignored"
            log.warning("bounce parser: unreadable mail (%s); ignored", exc)
            return ParsedReport(kind="ignored", format="none",
                                identity="sha256:" + hashlib.sha256(raw).hexdigest(),
                                why=f"unreadable: {type(exc).__name__}")
