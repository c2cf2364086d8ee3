"""Contact commands: upsert one or many, tags, subscribe, unsubscribe, double opt-in, forget.

Personal data is opened, merged and sealed here (the aggregate only ever sees ciphertext),
so "nothing changed" is decided on clear values and such a call appends nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from application.console.ports import PersonalVault
from domain.console.contact import Contact
from domain.console.ids import contact_uuid
from domain.console.personal import Personal, differences, merged
from domain.console.rules import ContactNotFound


class Upserted(msgspec.Struct, frozen=True):
    contact: Contact
    created: bool
    changed: bool
    position: int


class ContactCommands(LedgerApplication):
    vault: PersonalVault

    # --- reads of the write model -----------------------------------------------------------
    def find_contact(self, tenant_id: str, external_id: str) -> Contact | None:
        try:
            return self.repository.get(contact_uuid(tenant_id, external_id))  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            return None

    def live_contact(self, tenant_id: str, external_id: str) -> Contact:
        """The contact, or 404 ``contact_not_found`` (also when it was forgotten)."""
        contact = self.find_contact(tenant_id, external_id)
        if contact is None or contact.forgotten:
            raise ContactNotFound(f"contact {external_id} not found")
        return contact

    def personal_of(self, contact: Contact, key: bytes | None = None) -> Personal | None:
        if key is None:
            key = self.vault.keys(contact.tenant_id, [contact.id], create=False).get(contact.id)
        data = self.vault.open(key, contact.personal)
        return None if data is None else msgspec.convert(data, Personal)

    # --- commands ---------------------------------------------------------------------------
    def upsert_contact(
        self, tenant_id: str, external_id: str, changes: dict[str, Any], meta: CommandMeta = SYSTEM
    ) -> Upserted:
        contact = self.find_contact(tenant_id, external_id)
        if contact is not None:
            contact._live()  # a forgotten contact must not get a new key
        key = self.vault.keys(tenant_id, [contact_uuid(tenant_id, external_id)], create=True)
        with self.under(meta, tenant_id):
            contact, created, changed = self._apply_upsert(
                tenant_id, external_id, contact, changes, next(iter(key.values())), None
            )
            position = self.record(contact) if changed else 0
        return Upserted(contact, created, changed, position)

    def _apply_upsert(
        self,
        tenant_id: str,
        external_id: str,
        contact: Contact | None,
        changes: dict[str, Any],
        key: bytes,
        import_id: str | None,
    ) -> tuple[Contact, bool, bool]:
        """(contact, created, changed) inside an open command; raises for a forgotten one."""
        if contact is not None:
            contact._live()
            old = self.personal_of(contact, key)
            new = merged(old, changes)
            changed = differences(old, new)
            before = {f: getattr(old, f) for f in changed} if old is not None else {}
            contact.update(
                self.vault.seal(key, new),
                self.vault.address_key(tenant_id, new.email),
                changed,
                self.vault.seal(key, before),
                import_id,
            )
            return contact, False, bool(changed)
        new = merged(None, changes)
        contact = Contact.create(
            tenant_id,
            external_id,
            self.vault.seal(key, new),
            self.vault.address_key(tenant_id, new.email),
            import_id,
        )
        return contact, True, True

    def edit_tags(
        self, tenant_id: str, external_id: str, add: list[str], remove: list[str], meta: CommandMeta = SYSTEM
    ) -> tuple[list[str], int]:
        contact = self.live_contact(tenant_id, external_id)
        old = self.personal_of(contact)
        tags = [t for t in (old.tags if old else []) if t not in remove]
        tags += [t for t in dict.fromkeys(add) if t not in tags and t not in remove]
        result = self.upsert_contact(tenant_id, external_id, {"tags": tags}, meta)
        return tags, result.position

    def subscribe_contact(
        self,
        tenant_id: str,
        external_id: str,
        source: str,
        at: float | None,
        doi_token: str | None,
        consent: dict[str, str] | None,
        meta: CommandMeta = SYSTEM,
    ) -> tuple[Contact, int]:
        """Subscribe, or ask for double opt-in when the caller made a ``doi_token`` (signed by
        the API; only its hash is stored, so the event log never holds a usable link)."""
        contact = self.live_contact(tenant_id, external_id)
        token_hash = doi_hash(doi_token) if doi_token else None
        key = self.vault.keys(tenant_id, [contact.id], create=True)[contact.id]
        with self.under(meta, tenant_id):
            sealed = self.vault.seal(key, consent) if consent else None
            changed = contact.subscribe(
                source, at if at is not None else self.clock.now(), doi_token_hash=token_hash, consent=sealed
            )
            position = self.record(contact) if changed else 0
        return contact, position

    def confirm_doi(
        self,
        tenant_id: str,
        contact_id: UUID,
        token: str,
        consent: dict[str, str] | None,
        meta: CommandMeta = SYSTEM,
    ) -> tuple[bool, int]:
        """(confirmed now, position); a token that does not match changes nothing."""
        try:
            contact: Contact = self.repository.get(contact_id)
        except AggregateNotFoundError:
            return False, 0
        if contact.forgotten or contact.tenant_id != tenant_id:
            return False, 0
        if contact.doi_token_hash is None or contact.doi_token_hash != doi_hash(token):
            return False, 0
        key = self.vault.keys(tenant_id, [contact.id], create=False).get(contact.id)
        with self.under(meta, tenant_id):
            sealed = self.vault.seal(key, consent) if consent and key else None
            changed = contact.confirm_doi(sealed)
            return changed, self.record(contact) if changed else 0

    def unsubscribe_contact(
        self, tenant_id: str, external_id: str, reason: str, source: str | None, meta: CommandMeta = SYSTEM
    ) -> tuple[Contact, int]:
        contact = self.live_contact(tenant_id, external_id)
        with self.under(meta, tenant_id):
            changed = contact.unsubscribe(reason, source)
            return contact, self.record(contact) if changed else 0


def doi_hash(token: str) -> str:
    return hashlib.sha256(f"doi:{token}".encode()).hexdigest()
