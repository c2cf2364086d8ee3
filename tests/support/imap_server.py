"""A small real IMAP4rev1 server on loopback for the bounce poller's tests (asyncio, one
thread). It speaks the protocol over TCP to any client (the poller uses stdlib imaplib):
CAPABILITY, NOOP, LOGIN, SELECT/EXAMINE (with UIDVALIDITY, UIDNEXT), UID SEARCH, UID FETCH
(BODY.PEEK[], BODY[], RFC822, FLAGS, UID), UID STORE (+/-FLAGS), LOGOUT.

    server = ImapServer(user="bounces", password="pw").start()
    uid = server.add("INBOX", raw_bytes)
    ...; server.flags("INBOX", uid) == {"\\Seen"}
    server.stop()
"""

from __future__ import annotations

import asyncio
import shlex
import threading
from dataclasses import dataclass, field

CRLF = b"\r\n"


@dataclass
class Mail:
    uid: int
    data: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class Folder:
    uidvalidity: int
    mails: list[Mail] = field(default_factory=list)
    next_uid: int = 1


def parse_set(text: str, highest: int) -> set[int]:
    """An IMAP sequence set (``1:*``, ``3,5:7``) over numbers up to ``highest``."""
    out: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition(":")
        a = highest if low == "*" else int(low)
        b = a if not high else (highest if high == "*" else int(high))
        out.update(range(min(a, b), max(a, b) + 1))
    return out


class ImapServer:
    def __init__(self, *, user: str = "bounces", password: str = "secret", uidvalidity: int = 1000) -> None:
        self.user, self.password = user, password
        self.folders: dict[str, Folder] = {"INBOX": Folder(uidvalidity)}
        self.commands: list[str] = []  # every command line received, for assertions
        self.logins = 0
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="imap-server")

    # --- the test's side ------------------------------------------------------------------
    def start(self) -> ImapServer:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self.loop)
        future.result(timeout=10)
        return self

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)

    def add(self, folder: str, data: bytes, flags: set[str] | None = None) -> int:
        with self.lock:
            box = self.folders.setdefault(folder, Folder(1000))
            uid = box.next_uid
            box.next_uid += 1
            box.mails.append(Mail(uid, data.replace(b"\r\n", b"\n").replace(b"\n", CRLF), set(flags or ())))
            return uid

    def flags(self, folder: str, uid: int) -> set[str]:
        with self.lock:
            return next(set(m.flags) for m in self.folders[folder].mails if m.uid == uid)

    def renumber(self, folder: str, uidvalidity: int) -> None:
        """What a rebuilt mailbox looks like: a new UIDVALIDITY, UIDs from 1 again."""
        with self.lock:
            box = self.folders[folder]
            box.uidvalidity = uidvalidity
            for i, mail in enumerate(box.mails, start=1):
                mail.uid = i
            box.next_uid = len(box.mails) + 1

    # --- the protocol -----------------------------------------------------------------------
    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(self, writer)
        writer.write(b"* OK [CAPABILITY IMAP4rev1] ledgermail test IMAP server ready" + CRLF)
        try:
            while not session.done:
                line = await reader.readline()
                if not line:
                    break
                text = line.rstrip(b"\r\n").decode("utf-8", errors="replace")
                with self.lock:
                    self.commands.append(text)
                    session.handle(text)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


class _Session:
    def __init__(self, server: ImapServer, writer: asyncio.StreamWriter) -> None:
        self.server, self.writer = server, writer
        self.user: str | None = None
        self.folder: Folder | None = None
        self.read_only = False
        self.done = False

    def send(self, data: bytes | str) -> None:
        self.writer.write((data.encode() if isinstance(data, str) else data) + CRLF)

    def handle(self, line: str) -> None:
        tag, _, rest = line.partition(" ")
        command, _, args = rest.partition(" ")
        name = command.upper()
        if name == "UID":
            sub, _, args = args.partition(" ")
            name = f"UID {sub.upper()}"
        handler = _HANDLERS.get(name)
        if handler is None:
            self.send(f"{tag} BAD unknown command {command}")
            return
        if name not in ("CAPABILITY", "NOOP", "LOGOUT", "LOGIN") and self.user is None:
            self.send(f"{tag} NO log in first")
            return
        if name.startswith("UID ") and self.folder is None:
            self.send(f"{tag} BAD select a folder first")
            return
        handler(self, tag, args)

    # commands
    def capability(self, tag: str, _: str) -> None:
        self.send("* CAPABILITY IMAP4rev1")
        self.send(f"{tag} OK CAPABILITY completed")

    def noop(self, tag: str, _: str) -> None:
        self.send(f"{tag} OK NOOP completed")

    def logout(self, tag: str, _: str) -> None:
        self.send("* BYE logging out")
        self.send(f"{tag} OK LOGOUT completed")
        self.done = True

    def login(self, tag: str, args: str) -> None:
        parts = shlex.split(args)
        if len(parts) == 2 and (parts[0], parts[1]) == (self.server.user, self.server.password):
            self.user = parts[0]
            self.server.logins += 1
            self.send(f"{tag} OK LOGIN completed")
        else:
            self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")

    def select(self, tag: str, args: str, *, read_only: bool = False) -> None:
        name = shlex.split(args)[0] if args.strip() else ""
        box = self.server.folders.get(name) or (self.server.folders.get("INBOX") if name.upper() == "INBOX"
                                                else None)
        if box is None:
            self.send(f"{tag} NO no such mailbox")
            return
        self.folder, self.read_only = box, read_only
        self.send(f"* {len(box.mails)} EXISTS")
        self.send("* 0 RECENT")
        self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
        self.send(f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid")
        self.send(f"* OK [UIDNEXT {box.next_uid}] predicted next UID")
        self.send(f"{tag} OK [{'READ-ONLY' if read_only else 'READ-WRITE'}] SELECT completed")

    def examine(self, tag: str, args: str) -> None:
        self.select(tag, args, read_only=True)

    def uid_search(self, tag: str, args: str) -> None:
        assert self.folder is not None
        words = args.split()
        uids = [m.uid for m in self.folder.mails]
        highest = max(uids, default=0)
        if len(words) >= 2 and words[-2].upper() == "UID":
            wanted = parse_set(words[-1], highest)
            uids = [u for u in uids if u in wanted]
        elif words and words[-1].upper() == "UNSEEN":
            uids = [m.uid for m in self.folder.mails if "\\Seen" not in m.flags]
        self.send("* SEARCH" + "".join(f" {u}" for u in uids))
        self.send(f"{tag} OK UID SEARCH completed")

    def uid_fetch(self, tag: str, args: str) -> None:
        assert self.folder is not None
        uid_set, _, items = args.partition(" ")
        items = items.upper()
        for seq, mail in self._matching(uid_set):
            parts = [f"UID {mail.uid}"]
            literal = None
            if "BODY.PEEK[]" in items:
                literal = ("BODY[]", mail.data)
            elif "BODY[]" in items or "RFC822" in items.replace("RFC822.SIZE", ""):
                literal = ("BODY[]" if "BODY[]" in items else "RFC822", mail.data)
                if not self.read_only:
                    mail.flags.add("\\Seen")
            if "FLAGS" in items:
                parts.append(f"FLAGS ({' '.join(sorted(mail.flags))})")
            if "RFC822.SIZE" in items:
                parts.append(f"RFC822.SIZE {len(mail.data)}")
            head = f"* {seq} FETCH ({' '.join(parts)}"
            if literal is None:
                self.send(head + ")")
            else:
                self.writer.write(f"{head} {literal[0]} {{{len(literal[1])}}}".encode() + CRLF + literal[1])
                self.send(")")
        self.send(f"{tag} OK UID FETCH completed")

    def uid_store(self, tag: str, args: str) -> None:
        assert self.folder is not None
        uid_set, _, rest = args.partition(" ")
        mode, _, flag_text = rest.partition(" ")
        flags = set(flag_text.strip("()").split())
        if self.read_only:
            self.send(f"{tag} NO mailbox is read-only")
            return
        for seq, mail in self._matching(uid_set):
            if mode.upper().startswith("+FLAGS"):
                mail.flags |= flags
            elif mode.upper().startswith("-FLAGS"):
                mail.flags -= flags
            else:
                mail.flags = flags
            if ".SILENT" not in mode.upper():
                self.send(f"* {seq} FETCH (UID {mail.uid} FLAGS ({' '.join(sorted(mail.flags))}))")
        self.send(f"{tag} OK UID STORE completed")

    def _matching(self, uid_set: str) -> list[tuple[int, Mail]]:
        assert self.folder is not None
        highest = max((m.uid for m in self.folder.mails), default=0)
        wanted = parse_set(uid_set, highest)
        return [(seq, m) for seq, m in enumerate(self.folder.mails, start=1) if m.uid in wanted]


_HANDLERS = {
    "CAPABILITY": _Session.capability, "NOOP": _Session.noop, "LOGOUT": _Session.logout,
    "LOGIN": _Session.login, "SELECT": _Session.select, "EXAMINE": _Session.examine,
    "UID SEARCH": _Session.uid_search, "UID FETCH": _Session.uid_fetch, "UID STORE": _Session.uid_store,
}
