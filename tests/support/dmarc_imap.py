"""The loopback IMAP server of tests/support/imap_server.py plus what the DMARC mailbox
uses: CREATE, UID COPY and (unless ``move=False``) UID MOVE (RFC 6851), announced in the
greeting's CAPABILITY as real servers do.

    server = DmarcImapServer(user="dmarc", password="pw").start()
    server.add("INBOX", mail_bytes); ...; server.uids("DMARC/Processed")
"""

from __future__ import annotations

import asyncio
import shlex
import ssl
from email.message import EmailMessage

from tests.support.imap_server import CRLF, Folder, ImapServer, Mail, _Session


class DmarcImapServer(ImapServer):
    def __init__(self, *, move: bool = True, tls: ssl.SSLContext | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.move, self.tls = move, tls  # tls: implicit TLS (port 993 style) with this server context

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", self.port, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]

    def uids(self, folder: str) -> list[int]:
        with self.lock:
            box = self.folders.get(folder)
            return [m.uid for m in box.mails] if box else []

    def count(self) -> int:
        with self.lock:
            return sum(len(f.mails) for f in self.folders.values())

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _DmarcSession(self, writer)
        caps = "IMAP4rev1 MOVE" if self.move else "IMAP4rev1"
        writer.write(f"* OK [CAPABILITY {caps}] ledgermail DMARC test IMAP server ready".encode() + CRLF)
        try:
            while not session.done:
                line = await reader.readline()
                if not line:
                    break
                with self.lock:
                    text = line.rstrip(b"\r\n").decode("utf-8", errors="replace")
                    self.commands.append(text)
                    session.handle(text)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


class _DmarcSession(_Session):
    server: DmarcImapServer

    def handle(self, line: str) -> None:
        tag, _, rest = line.partition(" ")
        command, _, args = rest.partition(" ")
        name = command.upper()
        if name == "UID":
            sub, _, args = args.partition(" ")
            name = f"UID {sub.upper()}"
        extra = _EXTRA.get(name)
        if name == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1" + (" MOVE" if self.server.move else ""))
            self.send(f"{tag} OK CAPABILITY completed")
            return
        if extra is None or self.user is None or (name.startswith("UID ") and self.folder is None):
            super().handle(line)  # its errors for unknown commands, no login, no folder
            return
        if name == "UID MOVE" and not self.server.move:
            self.send(f"{tag} BAD unknown command MOVE")
            return
        extra(self, tag, args)

    def create(self, tag: str, args: str) -> None:
        name = shlex.split(args)[0]
        if name in self.server.folders:
            self.send(f"{tag} NO [ALREADYEXISTS] mailbox exists")
            return
        self.server.folders[name] = Folder(2000)
        self.send(f"{tag} OK CREATE completed")

    def _transfer(self, tag: str, args: str, *, remove: bool) -> None:
        assert self.folder is not None
        uid_set, _, target_text = args.partition(" ")
        target = self.server.folders.get(shlex.split(target_text)[0])
        if target is None:
            self.send(f"{tag} NO [TRYCREATE] no such mailbox")
            return
        for _, mail in self._matching(uid_set):
            target.mails.append(Mail(target.next_uid, mail.data, set(mail.flags)))
            target.next_uid += 1
            if remove:
                self.folder.mails.remove(mail)
        self.send(f"{tag} OK {'MOVE' if remove else 'COPY'} completed")

    def uid_copy(self, tag: str, args: str) -> None:
        self._transfer(tag, args, remove=False)

    def uid_move(self, tag: str, args: str) -> None:
        self._transfer(tag, args, remove=True)


_EXTRA = {
    "CREATE": _DmarcSession.create,
    "UID COPY": _DmarcSession.uid_copy,
    "UID MOVE": _DmarcSession.uid_move,
}


def report_mail(*attachments: tuple[str, bytes]) -> bytes:
    """A reporter's mail: a short text part and the report files as attachments."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "noreply-dmarc-support@google.com", "dmarc@acme.test", "Report"
    msg.set_content("DMARC aggregate report attached.")
    for name, data in attachments:
        maintype, subtype = ("application", "zip") if name.endswith(".zip") else ("application", "gzip")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()
