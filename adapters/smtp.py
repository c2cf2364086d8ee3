"""``AioSmtpTransport``: the ``SmtpTransport`` port over aiosmtplib, with a connection pool.

Every failure leaves here as ``SmtpSendError`` carrying an ``AttemptFailure`` whose ``kind``
is one of the classification inputs of spec proxy.md §6.4; whether it retries is the
domain's call, not ours.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from collections.abc import Callable

import aiosmtplib

from adapters.smtp_pool import Lease, PoolStats, SmtpPool
from application.sending.ports import SmtpEnvelope, SmtpResult, SmtpSendError, SmtpTarget
from domain.sending.failure import AttemptFailure

_ENHANCED = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})\b")
_INJECTION = re.compile(r'[\s<>"]')  # aiosmtplib.email's ADDRESS_INJECTION_REGEX
_QUOTED_LOCAL = re.compile(r'^"(?:[^"\\\r\n]|\\.)*"')
_NETWORK_ERRORS = (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError,
                   aiosmtplib.SMTPTimeoutError, OSError, TimeoutError, EOFError)


class TlsUnavailable(aiosmtplib.SMTPException):
    """``use_tls`` on a STARTTLS port and the server does not offer STARTTLS."""


class AioSmtpTransport:
    """One per event loop. ``cafile`` adds trust anchors to the system ones (tests trust a
    sink's certificate with it); ``noop_after_idle`` is how long a connection may sit idle
    before it is probed with NOOP on reuse."""

    def __init__(self, *, pool_size_per_key: int = 5, pool_wait_seconds: float = 30.0,
                 connect_timeout: float = 15.0, command_timeout: float = 30.0,
                 noop_after_idle: float = 5.0, noop_timeout: float = 5.0,
                 cafile: str | None = None, clock: Callable[[], float] = time.monotonic):
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._reset_timeout = noop_timeout
        self._cafile = cafile
        self._tls_contexts: dict[bool, ssl.SSLContext] = {}
        self._default_helo: str | None = None
        self._pool = SmtpPool(self._open, size_per_key=pool_size_per_key,
                              wait_seconds=pool_wait_seconds, noop_after_idle=noop_after_idle,
                              noop_timeout=noop_timeout, clock=clock)

    @property
    def stats(self) -> PoolStats:
        return self._pool.stats

    async def send(self, target: SmtpTarget, envelope: SmtpEnvelope, *, timeout: float) -> SmtpResult:
        if not envelope.rcpt_to:
            raise SmtpSendError(AttemptFailure(kind="other", text="no recipients to send to"))
        scope = asyncio.timeout(timeout)
        lease: Lease | None = None
        try:
            async with scope:
                lease = await self._pool.acquire(target)
                result = await _transact(lease.smtp, envelope)
        except (aiosmtplib.SMTPResponseException, SmtpSendError) as exc:
            # A refused transaction leaves a healthy session behind; an open that failed
            # (no lease yet) or a pool wait that timed out leaves nothing to keep.
            if lease is not None:
                reusable = False
                try:
                    reusable = await self._reset(lease.smtp)
                finally:
                    self._pool.release(lease, reusable=reusable)
            if isinstance(exc, SmtpSendError):
                raise
            raise SmtpSendError(describe_failure(exc, target)) from exc
        except BaseException as exc:
            if lease is not None:
                self._pool.release(lease, reusable=False)
            if isinstance(exc, TimeoutError) and scope.expired():
                text = f"aborted at deadline ({timeout:g} s) talking to {target.host}:{target.port}"
                raise SmtpSendError(AttemptFailure(kind="network", text=text)) from None
            if isinstance(exc, Exception):
                raise SmtpSendError(describe_failure(exc, target)) from exc
            raise
        self._pool.release(lease, reusable=True)
        return result

    async def discard(self, target: SmtpTarget) -> None:
        await self._pool.discard(target)

    async def sweep(self) -> int:
        """Close idle connections past their ttl (the periodic 60 s sweep calls this)."""
        return await self._pool.sweep()

    async def close(self) -> None:
        await self._pool.close()

    async def _reset(self, smtp: aiosmtplib.SMTP) -> bool:
        if not smtp.is_connected:
            return False
        try:
            await smtp.rset(timeout=self._reset_timeout)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            return False
        return True

    async def _open(self, target: SmtpTarget) -> aiosmtplib.SMTP:
        mode = target.tls_mode
        if self._default_helo is None and not target.helo_name:
            self._default_helo = await asyncio.to_thread(socket.getfqdn)
        smtp = aiosmtplib.SMTP(
            hostname=target.host, port=target.port, use_tls=mode == "implicit",
            start_tls=False,  # aiosmtplib would otherwise upgrade opportunistically, also on "plain"
            tls_context=None if mode == "plain" else self._tls_context(target.tls_verify),
            timeout=self._command_timeout, local_hostname=target.helo_name or self._default_helo)
        try:
            await smtp.connect(timeout=self._connect_timeout)
            await _greet(smtp)
            if mode == "starttls":
                if not smtp.supports_extension("starttls"):
                    raise TlsUnavailable(f"{target.host}:{target.port} does not offer STARTTLS")
                await smtp.starttls()
                await _greet(smtp)
            if target.user and target.password:
                await _authenticate(smtp, target.user, target.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _tls_context(self, verify: bool) -> ssl.SSLContext:
        context = self._tls_contexts.get(verify)
        if context is None:
            context = ssl.create_default_context()
            if verify and self._cafile:
                context.load_verify_locations(cafile=self._cafile)
            if not verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._tls_contexts[verify] = context
        return context


async def _greet(smtp: aiosmtplib.SMTP) -> None:
    try:
        await smtp.ehlo()
    except aiosmtplib.SMTPHeloError:
        if not smtp.is_connected:
            raise
        await smtp.helo()  # a pre-ESMTP server: no STARTTLS, AUTH or SIZE, but it can take mail


async def _authenticate(smtp: aiosmtplib.SMTP, user: str, password: str) -> None:
    # One mechanism only: aiosmtplib's login() retries every mechanism after a 535, which
    # multiplies failed logins on servers that lock accounts out.
    methods = smtp.server_auth_methods
    if "plain" in methods:
        await smtp.auth_plain(user, password)
    elif "login" in methods:
        await smtp.auth_login(user, password)
    else:
        await smtp.login(user, password)


async def _transact(smtp: aiosmtplib.SMTP, envelope: SmtpEnvelope) -> SmtpResult:
    options, encoding = _mail_options(smtp, envelope)
    # MAIL and RCPT as aiosmtplib sends them, without its ``email.utils.parseaddr`` of every
    # address (a tenth of the dispatcher's event-loop time): ours are parsed addr-specs
    # already; the injection check stays.
    reply = await smtp.execute_command(b"MAIL", b"FROM:" + _quoted(envelope.mail_from, encoding),
                                       *(o.encode("ascii") for o in options))
    if reply.code != 250:
        raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, envelope.mail_from)
    accepted: list[str] = []
    refused: dict[str, tuple[int, str]] = {}
    for address in envelope.rcpt_to:
        reply = await smtp.execute_command(b"RCPT", b"TO:" + _quoted(address, encoding))
        if reply.code in (250, 251):
            accepted.append(address)
        else:
            refused[address] = (reply.code, _one_line(reply.message))
    if not accepted:
        code, text = refused[envelope.rcpt_to[0]]
        raise SmtpSendError(reply_failure(code, text), refused=refused)
    reply = await smtp.data(envelope.data)
    return SmtpResult(accepted=accepted, refused=refused, reply=f"{reply.code} {_one_line(reply.message)}")


def _quoted(address: str, encoding: str) -> bytes:
    """``<address>`` for a command line; refuses what would end the address or the line
    (whitespace, CR/LF, brackets, quotes outside a quoted local part), as aiosmtplib does."""
    if _INJECTION.search(_QUOTED_LOCAL.sub("", address, count=1)):
        raise SmtpSendError(AttemptFailure(
            kind="other", text=f"address {address!r} contains characters not permitted in an SMTP mailbox"))
    return b"<" + address.encode(encoding) + b">"


def _mail_options(smtp: aiosmtplib.SMTP, envelope: SmtpEnvelope) -> tuple[list[str], str]:
    options: list[str] = []
    if smtp.supports_extension("size"):
        options.append(f"SIZE={len(envelope.data)}")
    if smtp.supports_extension("8bitmime") and not envelope.data.isascii():
        options.append("BODY=8BITMIME")
    addresses = [envelope.mail_from, *envelope.rcpt_to]
    if all(address.isascii() for address in addresses):
        return options, "ascii"
    if not smtp.supports_extension("smtputf8"):
        raise aiosmtplib.SMTPNotSupported("non-ASCII address and the server lacks SMTPUTF8")
    return [*options, "SMTPUTF8"], "utf-8"


def reply_failure(code: int, text: str) -> AttemptFailure:
    text = _one_line(text)
    match = _ENHANCED.match(text)
    return AttemptFailure(kind="smtp_reply", text=f"SMTP {code} {text}".rstrip(), code=code,
                          enhanced=match.group(1) if match else None)


def describe_failure(exc: BaseException, target: SmtpTarget) -> AttemptFailure:
    """Classify an exception from a session with ``target`` (spec §6.4, rules 1-6 and 9)."""
    failure = _classify(exc, f"{target.host}:{target.port}")
    if target.password and target.password in failure.text:
        failure = AttemptFailure(kind=failure.kind, text=failure.text.replace(target.password, "***"),
                                 code=failure.code, enhanced=failure.enhanced)
    return failure


def _classify(exc: BaseException, where: str) -> AttemptFailure:
    chain = _chain(exc)
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            reason = link.verify_message or link.reason or str(link)
            return AttemptFailure(kind="tls_certificate",
                                  text=f"TLS certificate of {where} not trusted: {reason}")
    if isinstance(exc, TlsUnavailable):
        return AttemptFailure(kind="tls_unavailable", text=str(exc))
    for link in chain:
        if isinstance(link, ssl.SSLError):
            return AttemptFailure(kind="tls_unavailable",
                                  text=f"TLS handshake with {where} failed: {link.reason or link}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return reply_failure(exc.code, exc.message)
    if isinstance(exc, _NETWORK_ERRORS):
        detail = str(exc) or type(exc).__name__
        return AttemptFailure(kind="network", text=f"{where}: {_one_line(detail)}")
    return AttemptFailure(kind="other", text=f"{where}: {_one_line(str(exc) or type(exc).__name__)}")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in seen:
        seen.append(link)
        link = link.__cause__ or link.__context__
    return seen


def _one_line(text: str) -> str:
    return " ".join(text.split())
