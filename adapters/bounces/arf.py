"""RFC 5965 Abuse Reporting Format: feedback-loop complaints (Yahoo, Microsoft JMRP, AOL,
Fastmail and every generic FBL)."""

from __future__ import annotations

from email.message import Message

from adapters.bounces.mail import addresses, header_blocks, header_values, original_headers, part_text


def feedback_fields(msg: Message) -> Message | None:
    for part in msg.walk():
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            if isinstance(payload, list):  # some producers nest it as a message part
                return payload[0] if payload and isinstance(payload[0], Message) else None
            blocks = header_blocks(part_text(part))
            return blocks[0] if blocks else None
    return None


def feedback_type(fields: Message | None) -> str:
    value = str(fields.get("Feedback-Type", "")) if fields is not None else ""
    return value.strip().lower() or "other"


def complainants(msg: Message, fields: Message | None) -> list[str]:
    """``Original-Rcpt-To`` (any number of them), else the To of the returned original."""
    if fields is not None:
        found = addresses(header_values(fields, "Original-Rcpt-To"))
        if found:
            return found
    original = original_headers(msg)
    return addresses(header_values(original, "To")) if original is not None else []
