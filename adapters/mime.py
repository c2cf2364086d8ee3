"""The RFC 5322 message and its SMTP envelope, built with the stdlib ``email`` package (§5.5).

The output is 7-bit: non-ASCII headers become RFC 2047 encoded words, text parts are UTF-8
in quoted-printable or base64 (whichever is shorter), attachments base64. So any relay takes
it, with or without 8BITMIME, and no line exceeds 998 octets.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Collection
from datetime import UTC, datetime
from email import policy as email_policy
from email.headerregistry import Address, HeaderRegistry
from email.message import MIMEPart
from email.utils import format_datetime
from uuid import UUID

from adapters.mime_fast import build_simple
from domain.sending.addresses import EnvelopeAddresses, envelope_addresses, parse_mailbox
from domain.sending.content import MessageContent
from domain.sending.filenames import clean_filename
from domain.sending.verp import pk_to_verp_token, verp_address, verp_token_to_pk

__all__ = ["build_mime", "build_with_stdlib", "envelope", "pk_to_verp_token", "verp_address",
           "verp_token_to_pk"]

# cte_type 7bit: headers are RFC 2047 encoded and bodies never go out as raw 8-bit.
POLICY = email_policy.SMTP.clone(cte_type="7bit")
# Custom headers are opaque text: parsing "Resent-Date: soon" as a date would fail the build.
_OPAQUE_HEADERS = HeaderRegistry(use_default_map=False)
_OCTET_STREAM = "application/octet-stream"


def build_mime(
    content: MessageContent,
    *,
    message_id: str,
    date: float | datetime | str,
    pk: UUID | str,
    attachments: list[tuple[str, str | None, bytes]],
) -> bytes:
    """The whole message. ``attachments``: (filename as submitted, mime type or None, bytes).
    Simple messages are written directly (``adapters.mime_fast``); the rest by the stdlib."""
    files = [(name, _mime_type(name, mime_type), data)
             for name, mime_type, data in ((clean_filename(f)[0], m, d) for f, m, d in attachments)]
    date_header = date if isinstance(date, str) else format_datetime(_utc(date))
    fast = build_simple(content, message_id=message_id, date_header=date_header, pk=str(pk),
                        attachments=files)
    if fast is not None:
        return fast
    return build_with_stdlib(content, message_id=message_id, date_header=date_header, pk=pk, files=files)


def build_with_stdlib(content: MessageContent, *, message_id: str, date_header: str, pk: UUID | str,
                      files: list[tuple[str, str, bytes]]) -> bytes:
    """``build_mime`` through ``email.message``: any message, at ten times the cost."""
    message = MIMEPart(policy=POLICY)
    _set_headers(message, content, message_id=message_id, date_header=date_header, pk=pk)
    _set_body(message, content)
    for filename, mime_type, data in files:
        maintype, _, subtype = mime_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(policy=POLICY)


def envelope(
    content: MessageContent, *, verp_address: str | None = None, suppressed: Collection[str] = ()
) -> EnvelopeAddresses:
    """(mail_from, rcpt_to, suppressed): see ``domain.sending.addresses.envelope_addresses``."""
    return envelope_addresses(content, verp_address=verp_address, suppressed=suppressed)


def _set_headers(
    message: MIMEPart, content: MessageContent, *, message_id: str, date_header: str, pk: UUID | str
) -> None:
    message["From"] = _address(content.from_addr)
    message["To"] = [_address(mailbox) for mailbox in content.to]
    if content.cc:
        message["Cc"] = [_address(mailbox) for mailbox in content.cc]
    if content.reply_to:
        message["Reply-To"] = _address(content.reply_to)
    message["Subject"] = content.subject
    message["Date"] = date_header
    message["Message-ID"] = message_id
    message["MIME-Version"] = "1.0"
    message["X-Ledgermail-Id"] = str(pk)
    for name, value in content.headers:
        message[name] = _OPAQUE_HEADERS(name, value)


def _set_body(message: MIMEPart, content: MessageContent) -> None:
    if content.text is not None and content.html is not None:
        message.set_content(content.text, subtype="plain", charset="utf-8")
        message.add_alternative(content.html, subtype="html", charset="utf-8")
    elif content.html is not None:
        message.set_content(content.html, subtype="html", charset="utf-8")
    elif content.text is not None:
        message.set_content(content.text, subtype="plain", charset="utf-8")
    else:
        message.set_content(content.body, subtype=content.content_type, charset="utf-8")


def _mime_type(filename: str, mime_type: str | None) -> str:
    if not mime_type or "/" not in mime_type:
        mime_type = mimetypes.guess_type(filename, strict=False)[0] or _OCTET_STREAM
    # RFC 2046 §5.2.1: message/* and multipart/* may not be base64; send them as opaque bytes.
    if mime_type.lower().startswith(("message/", "multipart/")):
        return _OCTET_STREAM
    return mime_type


def _address(mailbox: str) -> Address:
    parsed = parse_mailbox(mailbox)
    return Address(display_name=parsed.name, addr_spec=parsed.addr_spec)


def _utc(date: float | datetime) -> datetime:
    if isinstance(date, datetime):
        return date.astimezone(UTC)
    return datetime.fromtimestamp(date, UTC)
