"""``SmtpSink``: a real SMTP server on loopback (aiosmtpd in its own thread) for tests.

It records every session and accepted message, counts connections and concurrency, and is
scripted per test: ``reply``, ``drop`` or ``stall`` at a stage (EHLO, MAIL, RCPT, DATA,
NOOP, RSET, QUIT), optionally for one recipient, a number of ``times`` or forever
(``times=None``). Rules for a stage are used in the order they were added.

    sink.reply("RCPT", "550 5.1.1 user unknown", address="bad@dest.test", times=None)
    sink.reply("DATA", "451 4.3.0 try later", times=2)   # then the default 250
    release = sink.stall("DATA")                          # held until release.set()
    sink.drop("NOOP")                                     # abort the TCP connection there
    sink.wait_for_messages(1)[0].message["Subject"]

Every wait takes a timeout and fails the test with what it was waiting for.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

TlsMode = Literal["none", "starttls", "implicit"]
_HOOKED = {"EHLO", "MAIL", "RCPT", "DATA"}  # scripted inside handler hooks; others in the wrapper
_MAX_STALL = 30.0  # a forgotten release must not hang the suite


@dataclass(eq=False)
class Transaction:
    mail_from: str
    rcpt_to: list[str] = field(default_factory=list)  # accepted by the sink
    refused: list[str] = field(default_factory=list)
    data: bytes | None = None
    reply: str | None = None  # the reply after DATA, if the transaction got that far


@dataclass(eq=False)
class Session:
    number: int
    peer: Any
    tls: bool = False
    ehlo_name: str | None = None
    auth_user: str | None = None
    auth_password: str | None = None
    authenticated: bool = False
    commands: list[str] = field(default_factory=list)  # verbs in order, e.g. EHLO, STARTTLS
    transactions: list[Transaction] = field(default_factory=list)
    open: bool = True


@dataclass(eq=False)
class Received:
    """A message the sink answered 250 after DATA."""

    session: Session
    mail_from: str
    rcpt_to: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        """``data`` parsed, with the wire's CRLF turned into newlines so bodies compare simply."""
        text = self.data.replace(b"\r\n", b"\n")
        return email.message_from_bytes(text, policy=email.policy.default)  # type: ignore[return-value]


@dataclass(eq=False)
class _Rule:
    stage: str
    address: str | None
    kind: Literal["reply", "drop", "stall"]
    remaining: int | None
    reply: str | None = None
    seconds: float | None = None
    release: threading.Event | None = None


class SmtpSink:
    def __init__(self, *, tls: TlsMode = "none", certfile: str | None = None, keyfile: str | None = None,
                 auth: tuple[str, str] | None = None, auth_required: bool = False,
                 hostname: str = "sink.test"):
        """``auth``: the only credentials accepted (else 535); without it any login passes."""
        self.tls = tls
        self._auth = auth
        self._auth_required = auth_required
        self._hostname = hostname
        self._server_tls = _server_context(certfile, keyfile) if tls != "none" else None
        self._cond = threading.Condition()
        self._rules: list[_Rule] = []
        self._paused = threading.Event()
        self._armed = False
        self._protocols: set[_SinkSMTP] = set()
        self.sessions: list[Session] = []
        self.messages: list[Received] = []
        self.connections = 0
        self.max_open_connections = 0
        self.max_transactions = 0
        self.stalled = 0  # sessions waiting in a stall right now
        self._open = 0
        self._transactions = 0
        self._controller: _Controller | None = None

    # lifecycle

    def start(self) -> SmtpSink:
        self._controller = _Controller(self, ssl_context=self._server_tls if self.tls == "implicit" else None)
        self._controller.start()
        with self._cond:
            self._armed = True  # the controller's own readiness probe is not a session
        return self

    def stop(self) -> None:
        if self._controller is None:
            return
        self.release_all()
        loop = self._controller.loop
        # Close client connections first: a listener with live connections may not shut down.
        asyncio.run_coroutine_threadsafe(self._abort_all(), loop).result(timeout=5)
        self._controller.stop()
        self._controller = None

    async def _abort_all(self) -> None:
        for protocol in list(self._protocols):
            if protocol.transport is not None:
                protocol.transport.abort()
        await asyncio.sleep(0)  # the aborts close their sockets on the next loop iteration

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        assert self._controller is not None, "sink not started"
        return int(self._controller.port)

    # scripting

    def reply(self, stage: str, text: str, *, address: str | None = None, times: int | None = 1) -> None:
        self._add(_Rule(stage.upper(), _norm(address), "reply", times, reply=text))

    def drop(self, stage: str, *, address: str | None = None, times: int | None = 1) -> None:
        self._add(_Rule(stage.upper(), _norm(address), "drop", times))

    def stall(self, stage: str = "DATA", seconds: float | None = None, *, then: str | None = None,
              address: str | None = None, times: int | None = 1) -> threading.Event:
        """Hold the stage for ``seconds`` or until the returned event is set, then answer
        ``then`` (or carry on as usual)."""
        release = threading.Event()
        self._add(_Rule(stage.upper(), _norm(address), "stall", times, reply=then,
                        seconds=seconds, release=release))
        return release

    def pause(self) -> None:
        """Hold every MAIL until ``resume``: the server is up but takes no mail."""
        self._paused = self.stall("MAIL", times=None)

    def resume(self) -> None:
        with self._cond:
            self._rules = [rule for rule in self._rules if rule.release is not self._paused]
        self._paused.set()

    def release_all(self) -> None:
        with self._cond:
            for rule in self._rules:
                if rule.release is not None:
                    rule.release.set()

    def clear_script(self) -> None:
        self.release_all()
        with self._cond:
            self._rules = []

    def _add(self, rule: _Rule) -> None:
        with self._cond:
            self._rules.append(rule)

    def _take_rule(self, stage: str, address: str | None) -> _Rule | None:
        with self._cond:
            for wanted in ([_norm(address)] if address else []) + [None]:
                for rule in self._rules:
                    if rule.stage == stage and rule.address == wanted and rule.remaining != 0:
                        if rule.remaining is not None:
                            rule.remaining -= 1
                        return rule
        return None

    # waiting

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                raise AssertionError(f"SMTP sink: timed out after {timeout:g} s waiting for {what}")

    def wait_for_messages(self, n: int, timeout: float = 10.0) -> list[Received]:
        self.wait_for(lambda: len(self.messages) >= n, timeout, f"{n} message(s), have {len(self.messages)}")
        with self._cond:
            return list(self.messages)

    def wait_for_stalled(self, n: int = 1, timeout: float = 10.0) -> None:
        self.wait_for(lambda: self.stalled >= n, timeout, f"{n} stalled session(s)")

    def wait_for_closed(self, timeout: float = 10.0) -> None:
        self.wait_for(lambda: self._open == 0, timeout, "every connection closed")

    @property
    def open_connections(self) -> int:
        with self._cond:
            return self._open

    # bookkeeping, called from the sink's thread

    @contextmanager
    def _update(self) -> Iterator[None]:
        with self._cond:
            yield
            self.max_open_connections = max(self.max_open_connections, self._open)
            self.max_transactions = max(self.max_transactions, self._transactions)
            self._cond.notify_all()

    def _connected(self, protocol: _SinkSMTP, peer: Any, tls: bool) -> Session:
        with self._update():
            session = Session(number=len(self.sessions) + 1, peer=peer, tls=tls)
            if self._armed:
                self._protocols.add(protocol)
                self.sessions.append(session)
                self.connections += 1
                self._open += 1
            return session

    def _disconnected(self, protocol: _SinkSMTP) -> None:
        with self._update():
            if protocol in self._protocols:
                self._protocols.discard(protocol)
                self._end_transaction(protocol)
                protocol.record.open = False
                self._open -= 1

    def _begin_transaction(self, protocol: _SinkSMTP, mail_from: str) -> None:
        with self._update():
            self._end_transaction(protocol)
            protocol.transaction = Transaction(mail_from)
            protocol.record.transactions.append(protocol.transaction)
            self._transactions += 1

    def _end_transaction(self, protocol: _SinkSMTP, data: bytes | None = None,
                         reply: str | None = None) -> None:
        with self._update():
            transaction, protocol.transaction = protocol.transaction, None
            if transaction is None:
                return
            self._transactions -= 1
            if reply is None:
                return
            transaction.data, transaction.reply = data, reply
            if reply.startswith("250"):
                self.messages.append(Received(protocol.record, transaction.mail_from,
                                              list(transaction.rcpt_to), data or b""))


class _SinkSMTP(SMTP):
    """aiosmtpd's SMTP with recording and the sink's script applied to every command."""

    def __init__(self, sink: SmtpSink, handler: Any, **kwargs: Any):
        super().__init__(handler, **kwargs)
        self.sink = sink
        self.record = Session(number=0, peer=None)
        self.transaction: Transaction | None = None
        methods = self._smtp_methods  # aiosmtpd dispatches every verb through this table
        self._smtp_methods = {verb: self._scripted(verb, method) for verb, method in methods.items()}

    def _scripted(self, verb: str, method: Callable[[str], Any]) -> Callable[[str], Any]:
        async def run(arg: str) -> None:
            with self.sink._update():
                self.record.commands.append(verb)
            if verb not in _HOOKED:
                if verb == "RSET":
                    self.sink._end_transaction(self)
                reply = await self.perform(verb)
                if reply is not None:
                    await self.push(reply)
                    return
            await method(arg)
        return run

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        upgrading = self._original_transport is not None
        super().connection_made(transport)
        if upgrading:
            with self.sink._update():
                self.record.tls = True
        else:
            tls = transport.get_extra_info("sslcontext") is not None
            self.record = self.sink._connected(self, transport.get_extra_info("peername"), tls)

    def connection_lost(self, error: Exception | None) -> None:
        self.sink._disconnected(self)
        super().connection_lost(error)

    async def perform(self, stage: str, address: str | None = None) -> str | None:
        """Apply the script: the reply to send instead of the usual one, or None."""
        rule = self.sink._take_rule(stage, address)
        if rule is None:
            return None
        if rule.kind == "drop":
            if self.transport is not None:
                self.transport.abort()
            await asyncio.Event().wait()  # connection_lost cancels this handler
        if rule.kind == "stall":
            await self._stall(rule)
        return rule.reply

    async def _stall(self, rule: _Rule) -> None:
        assert rule.release is not None
        limit = time.monotonic() + min(rule.seconds or _MAX_STALL, _MAX_STALL)
        with self.sink._update():
            self.sink.stalled += 1
        try:
            # Polling keeps the wait cancellable from this loop and settable from any thread.
            while not rule.release.is_set() and time.monotonic() < limit:
                await asyncio.sleep(0.005)
        finally:
            with self.sink._update():
                self.sink.stalled -= 1


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_EHLO(self, server: _SinkSMTP, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        with self.sink._update():
            server.record.ehlo_name = hostname
            self.sink._end_transaction(server)
        session.host_name = hostname
        reply = await server.perform("EHLO")
        return [reply] if reply is not None else responses

    async def handle_MAIL(self, server: _SinkSMTP, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if self.sink._auth_required and not server.record.authenticated:
            return "530 5.7.0 Authentication required"
        reply = await server.perform("MAIL")
        if reply is not None and not reply.startswith("250"):
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        self.sink._begin_transaction(server, address)
        return reply or "250 2.1.0 Ok"

    async def handle_RCPT(self, server: _SinkSMTP, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        reply = await server.perform("RCPT", address)
        accepted = reply is None or reply.startswith("25")
        with self.sink._update():
            if server.transaction is not None:
                (server.transaction.rcpt_to if accepted else server.transaction.refused).append(address)
        if not accepted:
            return str(reply)
        envelope.rcpt_tos.append(address)
        return reply or "250 2.1.5 Ok"

    async def handle_DATA(self, server: _SinkSMTP, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content or b"")
        reply = await server.perform("DATA") or f"250 2.0.0 Ok: queued as {len(self.sink.messages) + 1}"
        self.sink._end_transaction(server, data, reply)
        return reply

    def authenticate(self, server: _SinkSMTP, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        ok = self.sink._auth is None or (user, password) == self.sink._auth
        with self.sink._update():
            server.record.auth_user, server.record.auth_password = user, password
            server.record.authenticated = ok
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


class _Controller(Controller):
    def __init__(self, sink: SmtpSink, ssl_context: ssl.SSLContext | None):
        self.sink = sink
        handler = _Handler(sink)
        super().__init__(handler, hostname="127.0.0.1", port=0, ssl_context=ssl_context,
                         server_hostname=sink._hostname, authenticator=handler.authenticate,
                         auth_require_tls=False,
                         tls_context=sink._server_tls if sink.tls == "starttls" else None)

    def factory(self) -> SMTP:
        return _SinkSMTP(self.sink, self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        # Bound to port 0: learn the real port before the readiness probe connects to it.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _server_context(certfile: str | None, keyfile: str | None) -> ssl.SSLContext:
    if not certfile:
        raise ValueError("a TLS sink needs certfile (and keyfile); see tests.support.smtp_fixtures")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return context


def _norm(address: str | None) -> str | None:
    return address.lower() if address else None
