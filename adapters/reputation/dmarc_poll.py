"""One poll of a tenant's DMARC report mailbox (console.md §13 Mailbox).

Unseen messages are fetched without setting ``\\Seen``; every report attachment goes
through the upload's intake; a message moves to ``processedFolder`` once its reports are
committed (duplicates count as committed), to ``failedFolder`` when none parses. A
connection error raises ``MailboxUnreachable`` (502 for ``POST /dmarc/mailbox/poll``)
and moves nothing that was not finished; nothing is ever deleted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

import msgspec

from adapters.imap import ImapError
from adapters.reputation.dmarc_intake import ingest_file
from adapters.reputation.dmarc_mailbox import DmarcImapOpener, attachments
from application.base import CommandMeta
from domain.reputation.dmarc import DmarcIngestFailed
from domain.reputation.dmarc_upkeep import MailboxConfig

if TYPE_CHECKING:
    from adapters.bootstrap import Container

log = logging.getLogger(__name__)
META = CommandMeta(actor="system:dmarc-mailbox")
MAX_ERRORS = 20


class MailboxUnreachable(RuntimeError):
    """The IMAP server could not be reached, or refused the login or a command."""


class ReportMailbox(Protocol):
    def select(self, folder: str) -> int: ...

    def unseen(self) -> list[int]: ...

    def fetch(self, uid: int) -> bytes: ...

    def move(self, uid: int, folder: str) -> None: ...

    def close(self) -> None: ...


class MailboxOpener(Protocol):
    def open(self, config: MailboxConfig, password: str | None) -> ReportMailbox: ...


class PollResult(msgspec.Struct, rename="camel"):
    ran: bool
    messages: int = 0
    reports_ingested: int = 0
    duplicates: int = 0
    failed: int = 0
    errors: list[str] = msgspec.field(default_factory=list)
    reason: str | None = None


def _one(container: Container, tenant_id: str, raw: bytes, result: PollResult, meta: CommandMeta) -> bool:
    """Ingest one mail's attachments; True when at least one report is committed."""
    found, skipped = attachments(raw)
    result.errors += skipped
    ok = False
    for item in found:
        try:
            done = ingest_file(container, tenant_id, item.name, item.data, channel="imap", meta=meta)
        except DmarcIngestFailed as exc:
            result.errors.append(f"{item.name}: {exc.message}"[:300])
            continue
        ok = True
        result.reports_ingested += done.new
        result.duplicates += 1 + done.additional - done.new
    if not found:
        result.errors.append("a message without .xml, .gz or .zip attachments")
    return ok


def poll_mailbox(
    container: Container, tenant_id: str, opener: MailboxOpener | None = None, meta: CommandMeta = META
) -> PollResult:
    config = container.dmarc.mailbox(tenant_id)
    if config is None or not config.host:
        return PollResult(ran=False, reason="not_configured")
    password = container.dmarc.mailbox_password(tenant_id)
    result = PollResult(ran=True)
    try:
        box = (opener or DmarcImapOpener()).open(config, password)
    except (ImapError, OSError) as exc:
        raise MailboxUnreachable(str(exc)) from exc
    try:
        box.select(config.folder)
        for uid in box.unseen():
            ingested = _one(container, tenant_id, box.fetch(uid), result, meta)
            box.move(uid, config.processed_folder if ingested else config.failed_folder)
            result.messages += 1
            result.failed += 0 if ingested else 1
    except (ImapError, OSError) as exc:
        raise MailboxUnreachable(str(exc)) from exc
    finally:
        box.close()
    result.errors = result.errors[:MAX_ERRORS]
    if result.messages:
        log.info(
            "dmarc mailbox of %s: %d messages, %d reports ingested, %d failed",
            tenant_id,
            result.messages,
            result.reports_ingested,
            result.failed,
        )
    return result
