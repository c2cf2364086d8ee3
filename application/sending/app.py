"""The sending Application: messages from acceptance to their last outcome.

``queue_messages`` validates each entry on its own (a bad one never blocks the others) and
saves every accepted and recorded-rejected message of the call in one transaction. New ids,
the common case, are created without reading the store: ``ExistingMessages`` (one query on
the event table) says which ids already exist, and only those are loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError

from application.base import SYSTEM, CommandMeta
from application.ports import Clock, SecretBox
from application.sending.console_queue import ConsoleQueueCommands
from application.sending.suppressions import SuppressionCommands
from domain.errors import AlreadySent, InProgress, RuleViolation
from domain.sending.cleanup import Cleanup
from domain.sending.content import Attachment, ConsoleOrigin, MessageContent
from domain.sending.ids import message_uuid
from domain.sending.message import Message
from domain.sending.validate import (
    Rejection,
    ValidationContext,
    ValidMessage,
    named_tenant,
    new_message_id,
    validate_entry,
)


class ExistingMessages(Protocol):
    """Which of these aggregate ids have events in the sending log (authoritative, no lag)."""

    def existing(self, ids: Sequence[UUID]) -> set[UUID]: ...


class Accepted(msgspec.Struct, frozen=True):
    id: str
    pk: str
    message_id: str


class QueueResult(msgspec.Struct, frozen=True):
    queued: int
    rejected: list[Rejection]
    accepted: list[Accepted]
    position: int


class CancelResult(msgspec.Struct, frozen=True):
    removed: int
    not_found: list[str]
    not_removable: list[dict[str, str]]
    position: int


class QueueOptions(msgspec.Struct, frozen=True, kw_only=True):
    """What the caller knows about the tenant and instance when a batch arrives."""

    message_id_domain: str | None = None
    report: bool = False  # the tenant has a client_base_url now
    # console sends (console.md §2.1): client id -> origin, kind, contact; never from proxy input
    console: dict[str, ConsoleOrigin] = msgspec.field(default_factory=dict)


class SendingApplication(ConsoleQueueCommands, SuppressionCommands):
    name: ClassVar[str] = "sending"

    def __init__(self, env: dict[str, Any], secret_box: SecretBox, existing: ExistingMessages,
                 clock: Clock | None = None) -> None:
        super().__init__(env, clock)
        self.secret_box = secret_box
        self.existing = existing

    # --- reads of the write model ---------------------------------------------------------
    def get_message(self, tenant_id: str, client_id: str) -> Message | None:
        try:
            return self.repository.get(message_uuid(tenant_id, client_id))  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            return None

    def get_messages(self, pks: Sequence[UUID]) -> list[Message]:
        out = []
        for pk in pks:
            try:
                out.append(self.repository.get(pk))
            except AggregateNotFoundError:
                continue
        return out

    # --- acceptance -----------------------------------------------------------------------
    def queue_messages(self, ctx: ValidationContext, entries: Sequence[Any], options: QueueOptions,
                       meta: CommandMeta = SYSTEM) -> QueueResult:
        checked = self._check_all(ctx, entries)
        ids = [message_uuid(ctx.tenant_id, c.client_id if isinstance(c, ValidMessage) else c.id or "")
               for c in checked if not (isinstance(c, Rejection) and not _recordable(c))]
        known = {m.id: m for m in self.get_messages(sorted(self.existing.existing(ids)))}
        rejected: list[Rejection] = []
        accepted: list[Accepted] = []
        touched: dict[UUID, Message] = {}
        with self.under(meta, ctx.tenant_id):
            for item in checked:
                if isinstance(item, Rejection):
                    rejected += self._record_rejection(ctx.tenant_id, item, known, touched, options)
                    continue
                outcome = self._accept(item, known, touched, options)
                if isinstance(outcome, Rejection):
                    rejected.append(outcome)
                else:
                    accepted.append(outcome)
            position = self.record(*touched.values())
        return QueueResult(queued=len(accepted), rejected=rejected, accepted=accepted, position=position)

    def _check_all(self, ctx: ValidationContext, entries: Sequence[Any]) -> list[ValidMessage | Rejection]:
        seen: set[str] = set()
        out: list[ValidMessage | Rejection] = []
        for entry in entries:
            result = validate_entry(entry, ctx)
            client_id = result.client_id if isinstance(result, ValidMessage) else result.id
            if client_id is not None and client_id in seen:
                result = Rejection(id=client_id, reason="duplicate_id",
                                   message=f"id {client_id} appears more than once in this request")
            elif client_id is not None:
                seen.add(client_id)
            out.append(result)
        return out

    def _accept(self, item: ValidMessage, known: dict[UUID, Message], touched: dict[UUID, Message],
                options: QueueOptions) -> Accepted | Rejection:
        pk = message_uuid(item.tenant_id, item.client_id)
        content = self._sealed(item.content)
        message, console = known.get(pk), options.console.get(item.client_id)
        # a Message-ID is generated only for a message that has none yet (uuid4 + parsing
        # the From domain cost a tenth of a 1000-message call)
        generated = None
        if item.message_id is None and (message is None or message.message_id is None):
            generated = new_message_id(item.content.from_addr, options.message_id_domain)
        try:
            if message is None:
                message = Message.queue(item.tenant_id, item.client_id, item.queue, content,
                                        message_id=item.message_id or str(generated), report=options.report,
                                        console=console)
                known[pk] = message
            else:
                message.resubmit(item.queue, content, message_id=item.message_id, report=options.report,
                                 generated_message_id=generated, console=console)
        except (AlreadySent, InProgress) as exc:
            return Rejection(id=item.client_id, reason=exc.code, message=exc.message)  # type: ignore[arg-type]
        touched[pk] = message
        return Accepted(id=item.client_id, pk=str(pk), message_id=str(message.message_id))

    def _record_rejection(self, tenant_id: str, item: Rejection, known: dict[UUID, Message],
                          touched: dict[UUID, Message], options: QueueOptions) -> list[Rejection]:
        if not _recordable(item):
            return [item]
        pk = message_uuid(tenant_id, str(item.id))
        message = known.get(pk)
        try:
            if message is None:
                message = Message.reject_new(tenant_id, str(item.id), item.reason, item.message,  # type: ignore[arg-type]
                                             field=item.field, report=options.report)
                known[pk] = message
            else:
                message.reject(item.reason, item.message, field=item.field, report=options.report)  # type: ignore[arg-type]
        except RuleViolation:
            return [item]  # a closed id keeps its history: the rejection is only answered
        touched[pk] = message
        return [item]

    def _sealed(self, content: MessageContent) -> MessageContent:
        """Attachment credentials are encrypted before they enter an event."""
        if not any(a.auth for a in content.attachments):
            return content
        return msgspec.structs.replace(content, attachments=[self._seal_auth(a) for a in content.attachments])

    def _seal_auth(self, attachment: Attachment) -> Attachment:
        auth = attachment.auth
        if auth is None:
            return attachment
        box = self.secret_box
        sealed = msgspec.structs.replace(
            auth, token=box.encrypt(auth.token) if auth.token else None,
            password=box.encrypt(auth.password) if auth.password else None)
        return msgspec.structs.replace(attachment, auth=sealed)

    # --- cancellation ---------------------------------------------------------------------
    def cancel_messages(self, tenant_id: str, client_ids: Sequence[str], meta: CommandMeta = SYSTEM,
                        reason: str = "deleted") -> CancelResult:
        not_found: list[str] = []
        not_removable: list[dict[str, str]] = []
        cancelled: list[Message] = []
        with self.under(meta, tenant_id):
            for client_id in dict.fromkeys(client_ids):
                message = self.get_message(tenant_id, client_id)
                if message is None:
                    not_found.append(client_id)
                    continue
                try:
                    message.cancel(reason)  # type: ignore[arg-type]
                except RuleViolation:
                    not_removable.append({"id": client_id, "status": message.status})
                    continue
                cancelled.append(message)
            position = self.record(*cancelled)
        return CancelResult(removed=len(cancelled), not_found=not_found, not_removable=not_removable,
                            position=position)


    # --- retention ------------------------------------------------------------------------
    def cleanup_messages(self, tenant_id: str, cutoff_ts: float, message_pks: Sequence[str], *,
                         automatic: bool, meta: CommandMeta = SYSTEM) -> tuple[int, int]:
        """Record that these terminal messages leave the read models; (removed, position)."""
        if not message_pks:
            return 0, 0
        with self.under(meta, tenant_id):
            run = Cleanup.run(tenant_id, cutoff_ts, list(message_pks), automatic=automatic)
            return len(message_pks), self.record(run)


def _recordable(item: Rejection) -> bool:
    """Rejections with a usable id are recorded on the message (spec §5.3)."""
    return item.id is not None and item.reason not in ("invalid_payload", "tenant_not_found", "duplicate_id")


__all__ = ["QueueResult", "SendingApplication", "named_tenant"]
