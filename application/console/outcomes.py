"""Subscription changes that outcomes cause (console.md §6): a hard bounce makes the
contacts with that address ``bounced``, a complaint ``complained``, an unsubscribe
``unsubscribed``. One save for all of a request's contacts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal
from uuid import UUID

from application.base import SYSTEM, CommandMeta
from application.console.forget import ForgetCommands

Status = Literal["unsubscribed", "bounced", "complained"]


class OutcomeContactCommands(ForgetCommands):
    def mark_contacts(
        self, tenant_id: str, changes: Sequence[tuple[UUID, Status, str, str]], meta: CommandMeta = SYSTEM
    ) -> int:
        """``changes``: (contact id, status, reason, source); unknown or forgotten ids are skipped."""
        by_id = {c.id: c for c in self.contacts_with_address(tenant_id, [c[0] for c in changes])}
        touched = {}
        with self.under(meta, tenant_id):
            for contact_id, status, reason, source in changes:
                contact = by_id.get(contact_id)
                if contact is not None and contact.unsubscribe(reason, source, status):
                    touched[contact.id] = contact
            return self.record(*touched.values()) if touched else 0
