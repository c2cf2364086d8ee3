"""GDPR forget (console.md §2.4): the contact's events stay, its data key goes.

The order matters for crash safety: suppressions for the hashed addresses are saved
first (by the caller, in their own context), then ``Contact.Forgotten``, then the key is
deleted. A crash before the delete leaves a forgotten contact whose key still exists;
``sweep_forgotten_keys`` (run at start) finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

import msgspec

from application.base import SYSTEM, CommandMeta
from application.console.contacts import ContactCommands
from domain.console.contact import Contact
from domain.console.rules import ContactNotFound


class Forgetting(msgspec.Struct, frozen=True):
    contact_id: str
    already: bool
    address_keys: list[str]
    position: int


class ForgetCommands(ContactCommands):
    def forget_contact(
        self,
        tenant_id: str,
        external_id: str,
        meta: CommandMeta = SYSTEM,
        before_key_delete: Callable[[], None] | None = None,
    ) -> Forgetting:
        contact = self.find_contact(tenant_id, external_id)
        if contact is None:
            raise ContactNotFound(f"contact {external_id} not found")
        if contact.forgotten:
            self.vault.shred([contact.id])  # idempotent: finishes a forget cut short by a crash
            return Forgetting(str(contact.id), True, list(contact.address_keys), 0)
        with self.under(meta, tenant_id):
            contact.forget()
            position = self.record(contact)
        if before_key_delete is not None:
            before_key_delete()  # the fault-injection point forget_before_key_delete
        self.vault.shred([contact.id])
        return Forgetting(str(contact.id), False, list(contact.address_keys), position)

    def contacts_with_address(self, tenant_id: str, contact_ids: Sequence[UUID]) -> list[Contact]:
        out = []
        for ident in contact_ids:
            try:
                contact: Contact = self.repository.get(ident)
            except Exception:
                continue
            if contact.tenant_id == tenant_id and not contact.forgotten:
                out.append(contact)
        return out
