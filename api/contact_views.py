"""Contact rows to responses: personal data opened with each contact's key (one query a page)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Request

from api.admin_common import iso
from api.calls import container_of
from api.contracts.admin_contacts import ContactOut, SubscriptionOut
from domain.console.contact import Subscription
from projections.console_contacts import ContactRow
from projections.console_events import EventRow
from projections.suppressions import SuppressionRow


def subscription_out(sub: Subscription | None) -> SubscriptionOut | None:
    if sub is None:
        return None
    return SubscriptionOut(
        status=sub.status,
        subscribed_at=iso(sub.subscribed_at),
        unsubscribed_at=iso(sub.unsubscribed_at),
        unsubscribe_reason=sub.unsubscribe_reason,
        source=sub.source,
        doi_requested_at=iso(sub.doi_requested_at),
        doi_confirmed_at=iso(sub.doi_confirmed_at),
    )


def keys_for(request: Request[Any, Any, Any], tenant_id: str, contact_ids: list[str]) -> dict[UUID, bytes]:
    return container_of(request).vault.keys(tenant_id, [UUID(c) for c in contact_ids], create=False)


def personal(
    request: Request[Any, Any, Any], keys: dict[UUID, bytes], contact_id: str, sealed: str | None
) -> dict[str, Any] | None:
    opened = container_of(request).vault.open(keys.get(UUID(contact_id)), sealed)
    return opened if isinstance(opened, dict) else None


def contact_out(request: Request[Any, Any, Any], row: ContactRow, keys: dict[UUID, bytes]) -> ContactOut:
    data = personal(request, keys, row.contact_id, row.personal)
    if data is None:  # the key is gone: a forget in progress or just finished
        return ContactOut(
            row.contact_id,
            row.external_id,
            None,
            [],
            {},
            None,
            None,
            subscription_out(row.subscription),
            iso(row.created_ts),
            iso(row.updated_ts),
            True,
        )
    return ContactOut(
        row.contact_id,
        row.external_id,
        data.get("email"),
        data.get("tags", []),
        data.get("fields", {}),
        data.get("timezone"),
        data.get("locale"),
        subscription_out(row.subscription),
        iso(row.created_ts),
        iso(row.updated_ts),
    )


def suppression_out(row: SuppressionRow, email: str | None = None) -> dict[str, Any]:
    """``email`` fills a hash-only row whose contact is known (console rows keep no address)."""
    return {
        "id": row.id,
        "email": row.email or email,
        "emailHash": row.address_key,
        "scope": row.scope,
        "reason": row.reason,
        "source": row.source,
        "notes": row.notes,
        "addedAt": iso(row.added_ts),
        "addedBy": row.added_by,
        "expiresAt": iso(row.expires_at),
    }


def event_out(request: Request[Any, Any, Any], row: EventRow, keys: dict[UUID, bytes]) -> dict[str, Any]:
    props = personal(request, keys, row.contact_id, row.properties) if row.properties else None
    return {
        "eventId": row.event_id,
        "name": row.name,
        "dedupeKey": row.dedupe_key,
        "occurredAt": iso(row.occurred_at),
        "properties": props or {},
    }


def builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)
