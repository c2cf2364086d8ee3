"""One attempt's pipeline, from a started attempt to its outcome (spec proxy.md §6.3).

Account gone -> ``account_not_found``; suppressed recipients dropped (none left ->
``recipient_suppressed``); attachments fetched and large-file rules applied
(``dispatch_attachments``); MIME built (``build_failed``); then one SMTP transaction through
the pooled transport under the attempt's hard deadline. Only the last three hold one of the
``max_concurrent_sends`` slots. Nothing is recorded here: the outcome goes back to the
dispatcher, which saves outcomes in batches.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import NamedTuple

from application.ports import SecretBox
from application.sending.dispatch_attachments import (
    AttachmentsFailed,
    AttachmentWork,
    Offload,
    Prepared,
    prepare,
)
from application.sending.dispatch_attempts import InFlight
from application.sending.dispatch_lookups import SuppressionChecks
from application.sending.dispatch_settings import UNKNOWN, CycleSettings
from application.sending.ports import (
    ConsoleGate,
    MimeBuilder,
    SmtpEnvelope,
    SmtpSendError,
    SmtpTarget,
    SmtpTransport,
    SuppressionList,
)
from domain.sending.addresses import EnvelopeAddresses, envelope_addresses, parse_mailbox
from domain.sending.classify import ErrorCode
from domain.sending.content import MessageContent
from domain.sending.failure import AttemptFailure
from domain.sending.verp import verp_address
from domain.tenancy.account import Account

log = logging.getLogger(__name__)


class Outcome(NamedTuple):
    """What happened to one attempt: exactly one of ``reply`` (sent), ``failure`` (an SMTP or
    network failure, classified by the domain) or ``error_code`` (a pipeline failure)."""

    flight: InFlight
    reply: str | None = None
    failure: AttemptFailure | None = None
    error_code: ErrorCode | None = None
    error: str = ""
    refused: dict[str, tuple[int, str]] = {}  # never mutated: a shared default is safe
    suppressed: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    offloads: tuple[Offload, ...] = ()  # recorded whatever the outcome: retries reuse the links
    hold: str | None = None  # a console send held by the re-check before its attempt
    suppressed_reason: str | None = None  # ... or refused by it (Message.Suppressed)
    body_hash: str | None = None  # SHA-256 of the MIME message that was sent


class Checked(NamedTuple):
    """An attempt that passed its re-checks, ready for a send slot."""

    flight: InFlight
    account: Account
    content: MessageContent
    envelope: EnvelopeAddresses


class AttemptPipeline:
    def __init__(self, transport: SmtpTransport, build: MimeBuilder, suppressions: SuppressionList,
                 secret_box: SecretBox, sends: asyncio.Semaphore,
                 attachments: AttachmentWork | None = None, console: ConsoleGate | None = None) -> None:
        self.console = console
        self.transport = transport
        self.build = build
        self.checks = SuppressionChecks(suppressions)  # one look-up for the attempts that ask together
        self.secret_box = secret_box
        self.sends = sends
        self.attachments = attachments

    async def run(self, flight: InFlight, settings: CycleSettings) -> Outcome:
        """Never raises: anything unexpected is a temporary failure (spec §6.4 rule 9)."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(flight.deadline):
                checked = await self._check(flight, settings)
                if isinstance(checked, Outcome):
                    return checked
                # The send slots bound SMTP work (attachments, MIME, the transaction), not the
                # checks: those of attempts started together share one look-up (dispatch_lookups),
                # and a slot held while waiting for one would leave connections idle.
                async with self.sends:
                    return await self._send(checked, settings, flight.deadline - loop.time())
        except TimeoutError:
            text = "aborted at deadline: the attempt outlived its lease"
            return Outcome(flight, failure=AttemptFailure(kind="network", text=text))
        except Exception as exc:  # a bug or an unexpected library error must not lose the lease
            log.exception("dispatch: attempt of %s failed unexpectedly", flight.message.id)
            return Outcome(flight, failure=AttemptFailure(kind="other", text=f"internal error: {exc}"))

    async def _check(self, flight: InFlight, settings: CycleSettings) -> Checked | Outcome:
        """Steps 1-2: the account, the console re-check, the suppression re-check."""
        message, claim = flight.message, flight.claim
        account = settings.cached_account(claim.tenant_id, claim.account_id)
        if account is UNKNOWN:
            account = await asyncio.to_thread(settings.account, claim.tenant_id, claim.account_id)
        if not isinstance(account, Account):
            return Outcome(flight, error_code="account_not_found",
                           error=f"account {claim.account_id} not found")
        content = message.content
        assert content is not None and message.message_id is not None and message.date is not None
        if message.origin != "api" and self.console is not None:
            verdict = await asyncio.to_thread(self.console.prepare, claim.tenant_id, message)
            if verdict.content is None:
                return Outcome(flight, hold=verdict.hold, suppressed_reason=verdict.suppressed,
                               error_code=verdict.error_code, error=verdict.error)
            content = verdict.content  # rendered now: the stored content has no recipient
        addresses = [parse_mailbox(a).addr_spec for a in (*content.to, *content.cc, *content.bcc)]
        blocked = await self.checks.suppressed(claim.tenant_id, addresses)
        return_path = settings.config.bounce.return_path
        envelope = envelope_addresses(
            content, suppressed=blocked,
            verp_address=verp_address(return_path, message.id) if return_path else None)
        if not envelope.rcpt_to:
            suppressed = tuple(envelope.suppressed)
            return Outcome(flight, error_code="recipient_suppressed", suppressed=suppressed,
                           error=f"every recipient is suppressed: {', '.join(suppressed)}")
        return Checked(flight, account, content, envelope)

    async def _send(self, checked: Checked, settings: CycleSettings, timeout: float) -> Outcome:
        """Steps 3-5: attachments, MIME, one SMTP transaction."""
        flight, content, envelope = checked.flight, checked.content, checked.envelope
        message, suppressed = flight.message, tuple(envelope.suppressed)
        assert message.message_id is not None and message.date is not None
        try:
            prepared = await self._attachments(flight, settings, content)
        except AttachmentsFailed as exc:
            return Outcome(flight, failure=exc.failure, suppressed=suppressed, offloads=tuple(exc.offloads))
        offloads, warnings = tuple(prepared.offloads), tuple(prepared.warnings)
        try:
            data = self.build(prepared.content, message_id=message.message_id, date=message.date,
                              pk=message.id, files=prepared.files)
        except Exception as exc:
            return Outcome(flight, error_code="build_failed", error=f"MIME build failed: {exc}",
                           offloads=offloads)
        target = self._target(checked.account, settings.config.helo_name)
        try:
            result = await self.transport.send(
                target, SmtpEnvelope(envelope.mail_from, envelope.rcpt_to, data), timeout=max(timeout, 0.001))
        except SmtpSendError as exc:
            return Outcome(flight, failure=exc.failure, refused=exc.refused, suppressed=suppressed,
                           offloads=offloads)
        return Outcome(flight, reply=result.reply, refused=result.refused, suppressed=suppressed,
                       warnings=warnings, offloads=offloads, body_hash=hashlib.sha256(data).hexdigest())

    async def _attachments(self, flight: InFlight, settings: CycleSettings,
                           content: MessageContent) -> Prepared:
        """Step 3: fetched files, large-file rules applied. Raises ``AttachmentsFailed``."""
        if self.attachments is None or not content.attachments:
            return Prepared(content, None, [], [])  # the builder decodes inline ones, or fails
        tenant = await asyncio.to_thread(settings.tenant, flight.claim.tenant_id)
        if tenant is None:
            return Prepared(content, None, [], [])
        return await prepare(self.attachments, tenant, flight.message, settings.config.public_base_url)

    def _target(self, account: Account, helo_name: str | None) -> SmtpTarget:
        s = account.settings
        # decrypted only now, and only in memory: the password never leaves this call's target
        password = self.secret_box.decrypt(s.password) if s.password else None
        return SmtpTarget(host=s.host, port=s.port, user=s.user, password=password, use_tls=s.use_tls,
                          tls_verify=s.tls_verify, ttl=float(s.ttl), helo_name=helo_name)
