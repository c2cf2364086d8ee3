"""``ImaplibMailbox``: the bounce poller's ``Mailbox`` port over the stdlib ``imaplib``.

Synchronous (the poller runs in its own thread). Only IMAP4rev1 commands every server
has: LOGIN, SELECT, UID SEARCH, UID FETCH (BODY.PEEK[], so fetching never sets \\Seen by
itself: the poller sets it after the events are saved), UID STORE, LOGOUT.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl

from domain.instance_config import BounceConfig

TIMEOUT = 30.0
_LITERAL_BODY = re.compile(rb"BODY\[\]")


class ImapError(RuntimeError):
    """The server refused a command or answered something unreadable."""


def _check(typ: str, data: list, what: str) -> list:  # type: ignore[type-arg]
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise ImapError(f"IMAP {what} failed: {typ} {detail}".strip())
    return data


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImaplibMailbox:
    def __init__(self, conn: imaplib.IMAP4) -> None:
        self.conn = conn

    @classmethod
    def open(cls, config: BounceConfig, password: str | None, *,
             ssl_context: ssl.SSLContext | None = None) -> ImaplibMailbox:
        host = config.imap_host or ""
        if config.imap_ssl:
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, config.imap_port, timeout=TIMEOUT,
                                                    ssl_context=ssl_context or ssl.create_default_context())
        else:
            conn = imaplib.IMAP4(host, config.imap_port, timeout=TIMEOUT)
        box = cls(conn)
        try:
            if config.imap_user:
                _check(*conn.login(config.imap_user, password or ""), "LOGIN")
        except imaplib.IMAP4.error as exc:
            box.close()
            raise ImapError(f"IMAP LOGIN failed: {exc}") from exc
        except BaseException:
            box.close()
            raise
        return box

    def select(self, folder: str) -> int:
        """Open ``folder`` read-write; returns its UIDVALIDITY."""
        _check(*self.conn.select(_quoted(folder)), "SELECT")
        _, values = self.conn.response("UIDVALIDITY")
        try:
            return int(values[0])
        except (TypeError, ValueError, IndexError) as exc:
            raise ImapError("the server sent no UIDVALIDITY") from exc

    def uids_after(self, last_uid: int) -> list[int]:
        data = _check(*self.conn.uid("SEARCH", None, f"UID {last_uid + 1}:*"), "UID SEARCH")
        uids = {int(u) for chunk in data if chunk for u in chunk.split()}
        # "n:*" always includes the highest UID, even one below n
        return sorted(u for u in uids if u > last_uid)

    def fetch(self, uid: int) -> bytes:
        data = _check(*self.conn.uid("FETCH", str(uid), "(BODY.PEEK[])"), "UID FETCH")
        for item in data:
            if isinstance(item, tuple) and _LITERAL_BODY.search(item[0]):
                return bytes(item[1])
        raise ImapError(f"UID FETCH {uid} returned no message body")

    def mark_seen(self, uid: int) -> None:
        _check(*self.conn.uid("STORE", str(uid), "+FLAGS", "(\\Seen)"), "UID STORE")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.logout()


class ImaplibOpener:
    """Implements ``application.sending.bounce_poller.MailboxOpener``."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context

    def open(self, config: BounceConfig, password: str | None) -> ImaplibMailbox:
        return ImaplibMailbox.open(config, password, ssl_context=self.ssl_context)
