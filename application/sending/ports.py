"""The ports the dispatcher works through: ``adapters.smtp`` implements ``SmtpTransport``,
``adapters.dispatch_store`` the ``ClaimStore``, ``adapters.dispatch_mime`` the ``MimeBuilder``."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import NamedTuple, Protocol
from uuid import UUID

import msgspec

from domain.sending.classify import ErrorCode
from domain.sending.content import Attachment, MessageContent
from domain.sending.failure import AttemptFailure
from domain.sending.limits import Limit
from domain.sending.message import Message
from domain.tenancy.settings import ClientAuth


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


# --- dispatch: claims, leases and rate windows (ADR 0007) ---------------------------------


class DispatchLimits(msgspec.Struct, frozen=True):
    """What the claim needs to know about one account: how many it may take at once and the
    rate limits of the account and of its tenant (``domain.sending.limits.Limit``)."""

    batch_size: int = 50
    max_concurrency: int = 3
    limits: tuple[Limit, ...] = ()


class Claim(msgspec.Struct, frozen=True):
    """A message this worker holds a live lease on until ``lease_until``."""

    pk: str
    tenant_id: str
    account_id: str
    lease_until: float
    claimed_ts: float


class RateLimited(msgspec.Struct, frozen=True):
    """A ready message a full window stopped at claim time: ``until`` is set for a deferral
    (the latest next boundary of the exceeded windows), None for a rejection."""

    pk: str
    tenant_id: str
    account_id: str
    until: float | None
    reason: str  # which limits, e.g. "account:acme/smtp1 minute 2"


class ClaimBatch(msgspec.Struct, frozen=True):
    claimed: list[Claim]
    deferred: list[RateLimited]
    rejected: list[RateLimited]

    @property
    def empty(self) -> bool:
        return not (self.claimed or self.deferred or self.rejected)


class Finished(msgspec.Struct, frozen=True):
    """The end of one claim: ``sent`` counts it in its rate windows; anything else only
    releases the lease (a failure, a deferral, a skipped or discarded attempt)."""

    pk: str
    claimed_ts: float  # which lease: the same worker may hold a newer one on the same message
    sent: bool


class ClaimStore(Protocol):
    """Shared dispatch state: leases, closed limiters and rate windows (adapters.dispatch_store)."""

    def claim(self, now: float, worker_id: str, lease_seconds: float, priorities: Sequence[int],
              limits_of: Callable[[str, str], DispatchLimits], max_total: int) -> ClaimBatch:
        """In one transaction: take ready messages in queue order, cut per account, reserve
        rate-limit slots and lease the ones that fit (spec proxy.md §6.2, §7)."""
        ...

    def finish(self, worker_id: str, outcomes: Sequence[Finished]) -> None:
        """In one transaction: release this worker's leases and count the sent ones."""
        ...

    def purge(self, now: float) -> None:
        """Forget expired leases and windows no limit can ask about any more."""
        ...


class MessageLoader(Protocol):
    """Many messages from the write model at once (``SendingApplication.get_messages`` reads
    them one by one; ``adapters.dispatch_loader`` in one query)."""

    def get_messages(self, pks: Sequence[UUID]) -> list[Message]: ...


class SuppressionList(Protocol):
    def suppressed(self, tenant_id: str, addresses: Collection[str]) -> set[str]:
        """The lower-cased addresses of ``addresses`` the tenant suppresses."""
        ...


class NoSuppressions:
    """Until the reputation context exists nothing is suppressed."""

    def suppressed(self, tenant_id: str, addresses: Collection[str]) -> set[str]:
        return set()


class ConsoleVerdict(NamedTuple):
    """What a console send becomes right before its attempt (console.md §2.3): exactly one of
    ``content`` (rendered now: send it), ``hold`` (held by it), ``suppressed`` (its
    statusReason) or ``error_code`` (it cannot be sent: contact forgotten, render failed)."""

    content: MessageContent | None = None
    hold: str | None = None
    suppressed: str | None = None
    error_code: ErrorCode | None = None
    error: str = ""


class ConsoleGate(Protocol):
    def prepare(self, tenant_id: str, message: Message) -> ConsoleVerdict:
        """Rules 2 and 4-7 again, then the render recipe (blocking: run it in a thread)."""
        ...


MimeFile = tuple[str, str | None, bytes]  # (filename as submitted, mime type or None, bytes)


class MimeBuilder(Protocol):
    def __call__(self, content: MessageContent, *, message_id: str, date: str, pk: UUID,
                 files: Sequence[MimeFile] | None = None) -> bytes:
        """The whole RFC 5322 message (``date``: the Date header of the first attempt).
        ``files``: the fetched attachments (None: only inline base64 ones are possible).
        Raises any exception when it cannot be built: the message fails ``build_failed``."""
        ...


# --- attachments (spec proxy.md §9) -----------------------------------------------------------


class AttachmentTenant(msgspec.Struct, frozen=True):
    """What a fetch needs to know about the tenant; ``client_auth`` secrets are ciphertext."""

    tenant_id: str
    client_base_url: str | None
    client_attachment_path: str
    client_auth: ClientAuth


class FetchedFile(msgspec.Struct, frozen=True):
    data: bytes
    mime_type: str | None = None  # the source's Content-Type, when it says more than octet-stream


class AttachmentFetchError(Exception):
    """A fetch failed; ``failure.kind`` is attachment_permanent, _temporary or _too_large."""

    def __init__(self, failure: AttemptFailure) -> None:
        super().__init__(failure.text)
        self.failure = failure


class AttachmentFetcher(Protocol):
    async def fetch(self, tenant: AttachmentTenant, attachment: Attachment) -> FetchedFile:
        """The attachment's bytes, checked against its MD5 and size cap; raises
        ``AttachmentFetchError``."""
        ...


class DownloadStore(Protocol):
    """Large files offered as download links instead of attachments (spec §9.4)."""

    def store(self, data: bytes, filename: str, mime_type: str | None, *, expires: float) -> str:
        """Keep the bytes until ``expires`` (service clock; the retention job deletes them
        after it); returns the new ``file_id``."""
        ...

    def size(self, file_id: str) -> int | None:
        """Bytes of a stored file; None once it is gone."""
        ...

    def url(self, base_url: str, file_id: str, filename: str, expires: int) -> str:
        """The signed download URL."""
        ...
