"""The event registry and firing contact events (console.md §3)."""

from __future__ import annotations

import secrets
from typing import Any

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.base import SYSTEM, CommandMeta
from application.console.contacts import ContactCommands
from domain.console.contact_event import ContactEvent, DedupePolicy, EventDefinition, dedupe_key
from domain.console.ids import contact_event_uuid, event_definition_uuid
from domain.console.rules import DedupeKeyRequired


class Fired(msgspec.Struct, frozen=True):
    event_id: str
    dedupe_key: str
    duplicate: bool
    position: int


class EventCommands(ContactCommands):
    def event_definition(self, tenant_id: str, name: str) -> EventDefinition | None:
        try:
            found: EventDefinition = self.repository.get(event_definition_uuid(tenant_id, name))
        except AggregateNotFoundError:
            return None
        return found

    def register_event(
        self, tenant_id: str, name: str, policy: DedupePolicy, meta: CommandMeta = SYSTEM
    ) -> tuple[bool, int]:
        existing = self.event_definition(tenant_id, name)
        with self.under(meta, tenant_id):
            definition, created = EventDefinition.register(tenant_id, name, policy, existing)
            return created, self.record(definition)

    def remove_event(self, tenant_id: str, name: str, meta: CommandMeta = SYSTEM) -> tuple[bool, int]:
        definition = self.event_definition(tenant_id, name)
        if definition is None:
            return False, 0
        with self.under(meta, tenant_id):
            removed = definition.remove()
            return removed, self.record(definition) if removed else 0

    def fire_event(
        self,
        tenant_id: str,
        external_id: str,
        name: str,
        *,
        key: str | None,
        occurred_at: float | None,
        properties: dict[str, Any] | None,
        meta: CommandMeta = SYSTEM,
    ) -> Fired:
        """A known key is a duplicate: nothing is stored (console.md §3)."""
        contact = self.live_contact(tenant_id, external_id)
        at = occurred_at if occurred_at is not None else self.clock.now()
        if key is None:
            definition = self.event_definition(tenant_id, name)
            if definition is None or definition.removed:
                raise DedupeKeyRequired(f"event {name} is not registered: give a dedupeKey")
            key = dedupe_key(definition.dedupe_policy, contact.id, name, at, secrets.token_hex(8))
        ident = contact_event_uuid(tenant_id, key)
        if ident in self.repository:
            return Fired(str(ident), key, True, 0)
        sealed = None
        if properties:
            data_key = self.vault.keys(tenant_id, [contact.id], create=True)[contact.id]
            sealed = self.vault.seal(data_key, properties)
        with self.under(meta, tenant_id):
            event = ContactEvent.fire(tenant_id, contact.id, external_id, name, key, at, sealed)
            try:
                position = self.record(event)
            except IntegrityError:  # a racing call stored the same key first
                return Fired(str(ident), key, True, 0)
        return Fired(str(ident), key, False, position)
