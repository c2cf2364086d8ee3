"""The Message's acceptance commands: queue a new id, upsert it while open, record refusals.

A mixin of ``Message`` (``message.py`` holds the events, ``message_delivery.py`` the
attempts and outcomes), so each file stays readable. An id is open until its first
attempt starts or it finishes (spec proxy.md §5.2): then resubmissions answer
``AlreadySent`` / ``InProgress`` and leave the history unchanged.
"""

from __future__ import annotations

from typing import Any

from domain.errors import AlreadySent, InProgress
from domain.sending import message_state as state
from domain.sending.content import ConsoleOrigin, MessageContent, QueueFields, console_fields
from domain.sending.ids import message_uuid


class AcceptanceCommands:
    id: Any
    tenant_id: str
    client_id: str
    message_id: str | None
    status: state.Status
    attempts: int
    trail: list[Any]

    @classmethod
    def queue(
        cls, tenant_id: str, client_id: str, fields: QueueFields, content: MessageContent, *,
        message_id: str, report: bool, console: ConsoleOrigin | None = None,
    ) -> Any:
        """Accept a new id. ``message_id`` is the supplied Message-ID, else a generated one."""
        return cls._create(cls.Queued, id=message_uuid(tenant_id, client_id), tenant_id=tenant_id,
                           client_id=client_id, fields=fields, content=content, message_id=message_id,
                           report=report, **console_fields(console))

    @classmethod
    def reject_new(
        cls, tenant_id: str, client_id: str, reason: state.RejectReason, message: str, *,
        field: str | None = None, report: bool,
    ) -> Any:
        """Record the rejection of an id the tenant never submitted before."""
        return cls._create(cls.Rejected, id=message_uuid(tenant_id, client_id), tenant_id=tenant_id,
                           client_id=client_id, reason=reason, field=field, message=message, report=report)

    def resubmit(
        self, fields: QueueFields, content: MessageContent, *, message_id: str | None, report: bool,
        generated_message_id: str | None = None, console: ConsoleOrigin | None = None,
    ) -> bool:
        """Upsert while the id is open; False when nothing changed (nothing is appended).

        ``message_id``: the one supplied with the submission, if any; otherwise the message
        keeps its own, and one never queued before takes ``generated_message_id``.
        ``report``: the tenant has a ``client_base_url`` now; stored when a rejected or
        cancelled message is queued afresh (an update keeps the flag of its acceptance).
        Raises ``AlreadySent`` / ``InProgress`` once the id is closed.
        """
        self._check_open()
        kept = message_id or self.message_id or generated_message_id
        if kept is None:
            raise ValueError("a message queued for the first time needs a Message-ID")
        if self.status in state.REOPENABLE:
            self.trigger_event(self.Queued, tenant_id=self.tenant_id, client_id=self.client_id,
                               fields=fields, content=content, message_id=kept, report=report,
                               **console_fields(console))
            return True
        changed = state.changed_parts(self, fields, content, kept)
        if changed:
            self.trigger_event(self.Updated, fields=fields, content=content, message_id=kept,
                               changed=changed)
        return bool(changed)

    def reject(
        self, reason: state.RejectReason, message: str, *, field: str | None = None, report: bool
    ) -> None:
        """Record a refused resubmission (spec §5.3). Raises ``AlreadySent`` / ``InProgress``
        once the id is closed: those answers leave the history unchanged."""
        self._check_open()
        self.trigger_event(self.Rejected, tenant_id=self.tenant_id, client_id=self.client_id,
                           reason=reason, field=field, message=message, report=report)

    def _check_open(self) -> None:
        if not self.closed:
            return
        if self.status in (*state.FINISHED, "cancelled"):
            raise AlreadySent(f"message {self.client_id} was already {self.status}", field="id")
        raise InProgress(f"message {self.client_id} is being delivered ({self.status})", field="id")

    def history(self) -> list[dict[str, Any]]:
        """HistoryEntry dicts (`event_id`, `type`, `ts`, `data`), oldest first."""
        return [state.history_entry(self.id, event) for event in self.trail]
