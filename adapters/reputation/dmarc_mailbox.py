"""The DMARC report mailbox over stdlib ``imaplib`` (console.md §13 Mailbox).

Reuses the bounce poller's ``ImaplibMailbox`` (LOGIN, SELECT, BODY.PEEK[] fetches) and adds
what this intake needs: unseen messages, folders, and moving a message on. A move is
``UID MOVE`` (RFC 6851) where the server has it; elsewhere ``UID COPY`` and a ``\\Seen`` flag
on the original, so nothing is ever deleted or expunged, and the next poll skips it.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import ssl

import msgspec

from adapters.imap import TIMEOUT, ImapError, ImaplibMailbox, _check, _quoted
from domain.reputation.dmarc_upkeep import MailboxConfig

SUFFIXES = (".xml", ".gz", ".zip")
TYPES = {
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "application/gzip": ".gz",
    "application/x-gzip": ".gz",
    "application/xml": ".xml",
    "text/xml": ".xml",
}
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 << 20


class Attachment(msgspec.Struct, frozen=True):
    name: str
    data: bytes


class DmarcImapMailbox(ImaplibMailbox):
    @classmethod
    def connect(
        cls, config: MailboxConfig, password: str | None, ssl_context: ssl.SSLContext | None = None
    ) -> DmarcImapMailbox:
        context = ssl_context or ssl.create_default_context()
        try:
            if config.tls == "implicit":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    config.host, config.port, timeout=TIMEOUT, ssl_context=context
                )
            else:
                conn = imaplib.IMAP4(config.host, config.port, timeout=TIMEOUT)
                if config.tls == "starttls":
                    conn.starttls(context)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"cannot reach {config.host}:{config.port}: {exc}") from exc
        box = cls(conn)
        try:
            _check(*conn.login(config.username, password or ""), "LOGIN")
        except imaplib.IMAP4.error as exc:
            box.close()
            raise ImapError(f"IMAP LOGIN failed: {exc}") from exc
        return box

    def unseen(self) -> list[int]:
        data = _check(*self.conn.uid("SEARCH", None, "UNSEEN"), "UID SEARCH")
        return sorted({int(u) for chunk in data if chunk for u in chunk.split()})

    def _can_move(self) -> bool:
        return "MOVE" in {c.upper() for c in self.conn.capabilities}

    def move(self, uid: int, folder: str) -> None:
        self.conn.create(_quoted(folder))  # NO when it exists already: fine
        if self._can_move():
            _check(*self.conn.uid("MOVE", str(uid), _quoted(folder)), "UID MOVE")
            return
        _check(*self.conn.uid("COPY", str(uid), _quoted(folder)), "UID COPY")
        self.mark_seen(uid)


class DmarcImapOpener:
    """Opens a tenant's report mailbox; tests point it at the loopback IMAP server."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context

    def open(self, config: MailboxConfig, password: str | None) -> DmarcImapMailbox:
        return DmarcImapMailbox.connect(config, password, self.ssl_context)


def attachments(raw: bytes) -> tuple[list[Attachment], list[str]]:
    """Report attachments (.xml/.gz/.zip by name or type) of one mail, and what was skipped."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    found, skipped = [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = part.get_filename() or ""
        suffix = next((s for s in SUFFIXES if name.lower().endswith(s)), None)
        suffix = suffix or TYPES.get(part.get_content_type())
        if suffix is None:
            continue
        if len(found) == MAX_ATTACHMENTS:
            skipped.append(f"{name or 'attachment'}: more than {MAX_ATTACHMENTS} attachments")
            continue
        data = part.get_payload(decode=True) or b""
        if len(data) > MAX_ATTACHMENT_BYTES:
            skipped.append(f"{name or 'attachment'}: over 10 MiB")
            continue
        found.append(Attachment(name or f"attachment{suffix}", data))
    return found, skipped
