"""``application.sending.personal.ContactSeals`` over the console log and the key vault:
what a console send's bounce, complaint or SMTP reply may store about its contact (ADR 0031)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from application.sending.personal import ContactSeal

if TYPE_CHECKING:
    from adapters.bootstrap import Container


class VaultContactSeals:
    def __init__(self, container: Container) -> None:
        self.c = container

    def seals(self, tenant_id: str, contact_ids: Sequence[str]) -> dict[str, ContactSeal]:
        """A forgotten or unknown contact gets no address and no seal: nothing of it is kept."""
        idents = [UUID(c) for c in dict.fromkeys(contact_ids)]
        keys = self.c.vault.keys(tenant_id, idents, create=False)
        out: dict[str, ContactSeal] = {}
        for contact in self.c.console.contacts_with_address(tenant_id, [i for i in idents if i in keys]):
            key = keys[contact.id]
            personal = self.c.console.personal_of(contact, key)
            out[str(contact.id)] = ContactSeal(
                address=personal.email if personal is not None else None,
                seal=lambda text, key=key: self.c.vault.seal(key, text))
        return out
