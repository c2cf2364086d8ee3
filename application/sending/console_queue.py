"""Console sends into the sending log: creation with their decision, holds, releases.

The console decides each send (console.md §2.3's table) and hands the result here as a
``ConsoleItem``: a message to queue, maybe held from the start, or one refused at enqueue
(``suppressed``, ``failed`` ``vars_invalid``) that is recorded so the sends view and the
outcome feed show it. Every item of a call is one save: a broadcast page is one transaction.
Console ids are created only if absent (never upserted): an existing id is the caller's
``duplicate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from application.base import SYSTEM, CommandMeta, LedgerApplication
from domain.sending.classify import ErrorCode
from domain.sending.content import ConsoleOrigin, MessageContent, QueueFields
from domain.sending.ids import message_uuid
from domain.sending.message import Message


class ConsoleItem(msgspec.Struct, frozen=True, kw_only=True):
    client_id: str  # the dedupe key
    fields: QueueFields
    content: MessageContent
    console: ConsoleOrigin
    message_id: str
    holds: tuple[str, ...] = ()
    suppressed: str | None = None  # statusReason of a send refused at enqueue
    failed: tuple[ErrorCode, str] | None = None  # (error_code, error) of one that cannot be sent


class ConsoleQueueCommands(LedgerApplication):
    existing: Any  # ExistingMessages: which ids have events (authoritative, no lag)

    def existing_ids(self, tenant_id: str, client_ids: Sequence[str]) -> set[str]:
        """The console ids of these that already exist (rule 1: the dedupe key is taken)."""
        by_pk = {message_uuid(tenant_id, c): c for c in client_ids}
        return {by_pk[pk] for pk in self.existing.existing(list(by_pk))}

    def queue_console(self, tenant_id: str, items: Sequence[ConsoleItem], meta: CommandMeta = SYSTEM) -> int:
        """Create every item's message in one save; returns the store position (0: none)."""
        if not items:
            return 0
        messages = []
        with self.under(meta, tenant_id):
            for item in items:
                message = Message.queue(tenant_id, item.client_id, item.fields, item.content,
                                        message_id=item.message_id, report=False, console=item.console)
                if item.failed is not None:
                    message.fail(item.failed[0], item.failed[1])
                elif item.suppressed is not None:
                    message.suppress(item.suppressed)
                for hold in item.holds:
                    message.hold(hold)
                messages.append(message)
            return self.record(*messages)
