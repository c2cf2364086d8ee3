"""Contact events (``POST /events``) and the registry that gives each name a dedupe policy.

A fired event is its own aggregate whose id is the uuid5 of its dedupe key, so a duplicate
is found in the write model without asking a read model, and two racing fires of one key
cannot both be stored (the second append conflicts on version 1).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal
from uuid import UUID

from domain.console.ids import contact_event_uuid, event_definition_uuid
from domain.model import Aggregate

DedupePolicy = Literal["once-per-contact", "once-per-day", "every-time"]
NAME_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"


def dedupe_key(policy: DedupePolicy, contact_id: UUID, name: str, occurred_at: float, nonce: str) -> str:
    """The event key of console.md §3 when the caller gave none."""
    if policy == "once-per-contact":
        return f"{contact_id}:{name}"
    if policy == "once-per-day":
        day = dt.datetime.fromtimestamp(occurred_at, dt.UTC).date().isoformat()
        return f"{contact_id}:{name}:{day}"
    return f"{contact_id}:{name}:{nonce}"


class ContactEvent(Aggregate):
    TOPIC = "ContactEvent"

    class Fired(Aggregate.Created, frozen=True, kw_only=True):
        """Event `name` happened to contact `contact_id` at `occurred_at` (unix seconds);
        `properties` are sealed with the contact's data key (null when none were given)."""

        TOPIC: ClassVar[str] = "ContactEvent.Fired"
        tenant_id: str
        contact_id: str
        external_id: str
        name: str
        dedupe_key: str
        occurred_at: float
        properties: str | None

        def apply(self, e: Any) -> None:
            e.tenant_id, e.contact_id, e.name, e.dedupe_key = (
                self.tenant_id,
                self.contact_id,
                self.name,
                self.dedupe_key,
            )

    tenant_id: str
    contact_id: str
    name: str
    dedupe_key: str

    @classmethod
    def fire(
        cls,
        tenant_id: str,
        contact_id: UUID,
        external_id: str,
        name: str,
        key: str,
        occurred_at: float,
        properties: str | None,
    ) -> ContactEvent:
        return cls._create(
            cls.Fired,
            id=contact_event_uuid(tenant_id, key),
            tenant_id=tenant_id,
            contact_id=str(contact_id),
            external_id=external_id,
            name=name,
            dedupe_key=key,
            occurred_at=occurred_at,
            properties=properties,
        )


class EventDefinition(Aggregate):
    """One registered event name of a tenant and its dedupe policy."""

    TOPIC = "EventDefinition"

    class Registered(Aggregate.Created, frozen=True, kw_only=True):
        """`name` is registered with `dedupe_policy` (again after a removal: starts afresh)."""

        TOPIC: ClassVar[str] = "EventDefinition.Registered"
        tenant_id: str
        name: str
        dedupe_policy: DedupePolicy

        def apply(self, d: Any) -> None:
            d.tenant_id, d.name, d.dedupe_policy, d.removed = (
                self.tenant_id,
                self.name,
                self.dedupe_policy,
                False,
            )

    class PolicyChanged(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "EventDefinition.PolicyChanged"
        name: str
        dedupe_policy: DedupePolicy
        previous: DedupePolicy

        def apply(self, d: Any) -> None:
            d.dedupe_policy = self.dedupe_policy

    class Removed(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "EventDefinition.Removed"
        name: str

        def apply(self, d: Any) -> None:
            d.removed = True

    tenant_id: str
    name: str
    dedupe_policy: DedupePolicy
    removed: bool

    @classmethod
    def register(
        cls, tenant_id: str, name: str, policy: DedupePolicy, existing: EventDefinition | None
    ) -> tuple[EventDefinition, bool]:
        """(definition, created); an unchanged registration appends nothing."""
        if existing is None or existing.removed:
            ident = event_definition_uuid(tenant_id, name)
            if existing is None:
                return cls._create(
                    cls.Registered, id=ident, tenant_id=tenant_id, name=name, dedupe_policy=policy
                ), True
            existing.trigger_event(cls.Registered, tenant_id=tenant_id, name=name, dedupe_policy=policy)
            return existing, True
        if existing.dedupe_policy != policy:
            existing.trigger_event(
                cls.PolicyChanged, name=name, dedupe_policy=policy, previous=existing.dedupe_policy
            )
        return existing, False

    def remove(self) -> bool:
        if self.removed:
            return False
        self.trigger_event(self.Removed, name=self.name)
        return True


class ContactImport(Aggregate):
    """One ``POST /contacts/import`` call: its counts, for the answer and the audit log."""

    TOPIC = "ContactImport"

    class Completed(Aggregate.Created, frozen=True, kw_only=True):
        """Import `import_id` applied its valid rows in the same save as this event."""

        TOPIC: ClassVar[str] = "ContactImport.Completed"
        tenant_id: str
        import_id: str
        received: int
        created: int
        updated: int
        unchanged: int
        subscribed: int
        failed: int

        def apply(self, i: Any) -> None:
            i.tenant_id, i.import_id = self.tenant_id, self.import_id

    tenant_id: str
    import_id: str
