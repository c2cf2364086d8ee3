"""The ports the dispatcher sends through; ``adapters.smtp`` implements ``SmtpTransport``."""

from __future__ import annotations

from typing import Protocol

import msgspec

from domain.sending.failure import AttemptFailure


class SmtpTarget(msgspec.Struct, frozen=True):
    """Where to connect and how; ``password`` is plaintext (decrypted just before use)."""

    host: str
    port: int
    user: str | None = None
    password: str | None = None
    use_tls: bool = True  # 465: implicit TLS; other ports: STARTTLS required
    tls_verify: bool = True
    ttl: float = 300.0  # idle life of a pooled connection, seconds
    helo_name: str | None = None
    # None: implicit TLS exactly on port 465. Set it to say so for servers (and test sinks)
    # that speak implicit TLS on another port, or STARTTLS on 465.
    implicit_tls: bool | None = None

    @property
    def tls_mode(self) -> str:
        if not self.use_tls:
            return "plain"
        implicit = self.port == 465 if self.implicit_tls is None else self.implicit_tls
        return "implicit" if implicit else "starttls"

    @property
    def key(self) -> str:
        """Pool key: accounts with identical settings share connections."""
        return f"{self.host}:{self.port}:{self.user or ''}:{self.tls_mode}"


class SmtpEnvelope(msgspec.Struct, frozen=True):
    mail_from: str
    rcpt_to: list[str]
    data: bytes  # the whole RFC 5322 message


class SmtpResult(msgspec.Struct, frozen=True):
    """The server took DATA for ``accepted``; ``refused`` maps address -> (code, text)."""

    accepted: list[str]
    refused: dict[str, tuple[int, str]]
    reply: str  # the final reply, e.g. "250 2.0.0 Ok: queued as 12345"


class SmtpSendError(Exception):
    """The attempt failed before the server took the message (or every recipient was refused
    at RCPT with the same class: then ``refused`` says who and how)."""

    def __init__(self, failure: AttemptFailure, refused: dict[str, tuple[int, str]] | None = None):
        super().__init__(failure.text)
        self.failure = failure
        self.refused = refused or {}


class SmtpTransport(Protocol):
    async def send(self, target: SmtpTarget, envelope: SmtpEnvelope, *, timeout: float) -> SmtpResult:
        """Send one message; ``timeout`` is the attempt's hard deadline in seconds.
        Raises ``SmtpSendError`` on any failure, already classified by ``kind``."""
        ...

    async def discard(self, target: SmtpTarget) -> None:
        """Close pooled connections of this target (account updated or deleted)."""
        ...

    async def close(self) -> None:
        """QUIT every pooled connection (shutdown)."""
        ...
