"""What ties a report to our message (spec proxy.md §10.3): X-Ledgermail-Id, the addresses
a VERP token can hide in, and the original Message-ID."""

from __future__ import annotations

from email.message import Message

from adapters.bounces.mail import (
    LEDGERMAIL_ID,
    QUOTED_MESSAGE_ID,
    envelope_addresses,
    header_text,
    original_headers,
    part_text,
)
from domain.bounces.report import References


def body_texts(msg: Message) -> list[str]:
    """Every decoded text leaf below the top level (where a quoted original can hide)."""
    out = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        if part.get_content_maintype() == "text" or part.get_content_type() == "application/octet-stream":
            out.append(part_text(part))
    return out


def references(msg: Message, raw: bytes, texts: list[str]) -> References:
    original = original_headers(msg)
    ids: dict[str, None] = {}
    message_ids: dict[str, None] = {}
    if original is not None:
        for value in original.get_all("X-Ledgermail-Id", []):
            ids[str(value).strip().strip("<>").lower()] = None
        mid = header_text(original, "Message-ID")
        if mid:
            message_ids[mid] = None
    # the original quoted as text (qmail, Exim, Yahoo), or a part the parser did not read
    for text in [*texts, raw.decode("latin-1")]:
        for found in LEDGERMAIL_ID.findall(text):
            ids[found.lower()] = None
    for text in texts:
        for found in QUOTED_MESSAGE_ID.findall(text):
            message_ids[found] = None
    return References(ledgermail_ids=list(ids), envelope_to=envelope_addresses(msg),
                      message_ids=list(message_ids))
