"""Why a waiting message is held: its tenant's state, as the ``messages`` view keeps it.

The tenancy and sending logs are projected in no fixed order relative to each other, so
``held_by`` is always a function of the message's current row and its tenant's current
state: recomputed for a message when its events arrive, and for all of a tenant's waiting
messages when the tenant changes. Either order gives the same rows.
"""

from __future__ import annotations

import msgspec

from domain.tenancy.tenant import ALL, Tenant

TENANT_INACTIVE = "tenant_inactive"
TENANT_SUSPENDED = "tenant_suspended"
BATCH_SUSPENDED = "batch_suspended"


class TenantHold(msgspec.Struct):
    tenant_id: str
    aggregate_id: str  # later tenant events carry only this
    active: bool = True
    suspended: tuple[str, ...] = ()
    deleted: bool = False

    def whole(self) -> str | None:
        """A hold on every message of the tenant, whatever its batch."""
        if not self.active:
            return TENANT_INACTIVE
        return TENANT_SUSPENDED if ALL in self.suspended else None

    def of(self, batch_code: str | None) -> str | None:
        # a message without batch code is held only by "*"
        held = self.whole()
        if held is None and batch_code is not None and batch_code in self.suspended:
            return BATCH_SUSPENDED
        return held

    def key(self) -> tuple[bool, tuple[str, ...]]:
        return self.active, self.suspended


def held_by(tenant: TenantHold | None, batch_code: str | None) -> str | None:
    # A tenant not seen yet (its log lags behind) holds its messages: the spec only sends
    # for a tenant that exists, and its Tenant.Created releases them.
    return TENANT_INACTIVE if tenant is None else tenant.of(batch_code)


def apply_tenant_event(hold: TenantHold | None, event: object) -> TenantHold | None:
    """The new state after a tenancy event (None: an event for a tenant never created)."""
    if isinstance(event, Tenant.Created):
        return TenantHold(event.tenant_id, str(event.originator_id), active=event.settings.active)
    if hold is None:
        return None
    new = msgspec.structs.replace(hold)
    if isinstance(event, Tenant.Updated):
        new.active = event.settings.active
    elif isinstance(event, (Tenant.BatchSuspended, Tenant.BatchActivated)):
        new.suspended = tuple(event.suspended)
    elif isinstance(event, Tenant.Deleted):
        new.deleted = True
    return new


TENANT_TOPICS = frozenset(cls.TOPIC for cls in (
    Tenant.Created, Tenant.Updated, Tenant.BatchSuspended, Tenant.BatchActivated, Tenant.Deleted))
