"""Small, forgiving readers over ``email.message.Message`` that the parsers share.

Bounce mail comes from every kind of software: headers may be RFC 2047 encoded, parts
may lie about their charset, and header blocks inside report parts may be folded. These
helpers never raise on bad input; they return what they can read.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses

LEDGERMAIL_ID = re.compile(
    r"X-Ledgermail-Id:[ \t]*(?:\r?\n[ \t]+)?<?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12})", re.IGNORECASE)
QUOTED_MESSAGE_ID = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
_HEADERS = HeaderParser()


def header_text(msg: Message, name: str) -> str:
    """One header as text, RFC 2047 words decoded, folding removed ('' when absent)."""
    value = msg.get(name)
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except (UnicodeError, LookupError, ValueError):
        text = str(value)
    return " ".join(text.split())


def header_values(msg: Message, name: str) -> list[str]:
    return [" ".join(str(v).split()) for v in msg.get_all(name, [])]


def addresses(values: list[str]) -> list[str]:
    """addr-specs (lower-cased) from header values, in order, without duplicates."""
    out: dict[str, None] = {}
    for _, addr in getaddresses(values):
        addr = addr.strip().strip("<>").lower()
        if "@" in addr:
            out[addr] = None
    return list(out)


def envelope_addresses(msg: Message) -> list[str]:
    """Where the bounce was delivered: the headers that can carry a VERP address (§10.3)."""
    return addresses([v for name in ENVELOPE_HEADERS for v in msg.get_all(name, [])])


def part_text(part: Message) -> str:
    """A leaf part's body as text, transfer encoding undone, charset guessed forgivingly."""
    payload = part.get_payload(decode=True)
    if payload is None:
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def header_blocks(text: str) -> list[Message]:
    """Blank-line separated header blocks (a delivery-status or feedback-report body)."""
    text = text.replace("\r\n", "\n").strip("\n")
    blocks = re.split(r"\n[ \t]*\n", text)
    return [_HEADERS.parsestr(block + "\n", headersonly=True) for block in blocks if block.strip()]


def status_blocks(part: Message) -> list[Message]:
    """The blocks of a message/delivery-status (the stdlib pre-parses those) or of a
    message/global-delivery-status part (RFC 6533; UTF-8 text the stdlib leaves alone)."""
    payload = part.get_payload()
    if isinstance(payload, list) and part.get_content_type() == "message/delivery-status":
        return [p for p in payload if isinstance(p, Message)]
    if isinstance(payload, list):  # message/global-*: parsed as one message, blocks in its body
        text = b"".join(p.as_bytes() for p in payload if isinstance(p, Message))
        return header_blocks(text.decode("utf-8", errors="replace"))
    return header_blocks(part_text(part))


def original_headers(msg: Message) -> Message | None:
    """The returned original's headers: a message/rfc822 (or message/global) part, or a
    text/rfc822-headers (message/global-headers) part."""
    for part in msg.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global", "message/global-headers") and part is not msg:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
            if isinstance(inner, str):
                return _HEADERS.parsestr(inner, headersonly=True)
        if kind == "text/rfc822-headers":
            return _HEADERS.parsestr(part_text(part), headersonly=True)
    return None


def typed_value(value: str) -> str:
    """``rfc822; user@example.com`` -> ``user@example.com`` (RFC 3464 address-type prefix)."""
    kind, sep, rest = value.partition(";")
    return (rest if sep and " " not in kind.strip() else value).strip().strip("<>").strip()


def first_lines(text: str, count: int = 5) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return " ".join([line for line in lines if line][:count])
