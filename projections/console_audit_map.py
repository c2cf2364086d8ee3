"""Which console event becomes which audit entry (console.md §1.5): action, category,
resource, before and after. Pure functions of one event, so rebuilds give the same log.

Personal values stay sealed here (``{"$sealed": ..., "fields": [...]}``): the API opens
them with the contact's key and masks the address, and after a forget they read
``[erased]``. Suppression rows carry their address in clear already (the proxy's design),
so the entry keeps it masked.
"""

from __future__ import annotations

from typing import Any

import msgspec

from domain.console.contact import Contact
from domain.console.contact_event import ContactEvent, ContactImport, EventDefinition
from domain.sending.message_tracking import UnsubscribeRecorded
from domain.sending.outcome import OutcomeEvent
from domain.suppression import SuppressionEntry
from domain.tenancy.console_key import ConsoleKey
from projections.broadcasts_audit import BROADCAST_TOPICS, broadcast_entry
from projections.console_audit_templates import TEMPLATE_TOPICS, template_entry
from projections.dmarc_audit import DMARC_TOPICS, dmarc_entry
from projections.dnsbl_audit import DNSBL_TOPICS, dnsbl_entry
from projections.flows_audit import FLOW_TOPICS, flow_entry
from projections.health_audit import HEALTH_TOPICS, health_entry
from projections.postmaster_audit import POSTMASTER_TOPICS, postmaster_entry


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    action: str
    resource_type: str
    resource_id: str
    resource_slug: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    contact_id: str | None = None
    data: bool = False  # category data (else config; system actors make it system)


def mask(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def sealed(value: str | None, fields: list[str] | None = None) -> dict[str, Any] | None:
    return None if value is None else {"$sealed": value, "fields": fields}


def _contact(e: Any) -> Entry | None:
    ident = str(e.originator_id)
    if isinstance(e, (Contact.Created, Contact.Updated)) and e.import_id:
        return None  # an import is one entry: ContactImport.Completed
    base = dict(resource_type="contact", resource_id=ident, contact_id=ident, data=True)
    if isinstance(e, Contact.Created):
        return Entry(action="contact.upsert", after=sealed(e.personal), **base)
    if isinstance(e, Contact.Updated):
        return Entry(
            action="contact.upsert", before=sealed(e.before), after=sealed(e.personal, e.changed), **base
        )
    if isinstance(e, Contact.Subscribed):
        if e.import_id:
            return None
        return Entry(
            action="contact.subscribe",
            before={"status": e.previous},
            after={"status": e.status, "source": e.source},
            **base,
        )
    if isinstance(e, Contact.DoiConfirmed):
        return Entry(
            action="contact.doi_confirm",
            before={"status": "pending_doi"},
            after={"status": "subscribed"},
            **base,
        )
    if isinstance(e, Contact.Unsubscribed):
        return Entry(
            action="contact.unsubscribe",
            before={"status": e.previous},
            after={"status": e.status, "reason": e.reason},
            **base,
        )
    if isinstance(e, Contact.Forgotten):
        return Entry(
            action="contact.forget", after={"erased": True, "addresses": len(e.address_keys)}, **base
        )
    return None


def _others(e: Any) -> Entry | None:
    ident = str(e.originator_id)
    if isinstance(e, ContactEvent.Fired):
        return Entry(
            action="event.fire",
            resource_type="event",
            resource_id=ident,
            resource_slug=e.name,
            after={"name": e.name, "dedupeKey": e.dedupe_key},
            contact_id=e.contact_id,
            data=True,
        )
    if isinstance(e, ContactImport.Completed):
        counts = {
            k: getattr(e, k) for k in ("received", "created", "updated", "unchanged", "subscribed", "failed")
        }
        return Entry(
            action="contact.import", resource_type="import", resource_id=e.import_id, after=counts, data=True
        )
    if isinstance(e, EventDefinition.Registered):
        return Entry(
            action="event.register",
            resource_type="event_registry",
            resource_id=ident,
            resource_slug=e.name,
            after={"dedupePolicy": e.dedupe_policy},
        )
    if isinstance(e, EventDefinition.PolicyChanged):
        return Entry(
            action="event.register",
            resource_type="event_registry",
            resource_id=ident,
            resource_slug=e.name,
            before={"dedupePolicy": e.previous},
            after={"dedupePolicy": e.dedupe_policy},
        )
    if isinstance(e, EventDefinition.Removed):
        return Entry(
            action="event.remove",
            resource_type="event_registry",
            resource_id=ident,
            resource_slug=e.name,
            after={"removed": True},
        )
    if isinstance(e, ConsoleKey.Issued):
        return Entry(
            action="token.create",
            resource_type="token",
            resource_id=e.key_id,
            after={"label": e.label, "scopes": list(e.scopes), "expiresAt": e.expires_at, "token": "***"},
        )
    if isinstance(e, ConsoleKey.Revoked):
        return Entry(
            action="token.revoke",
            resource_type="token",
            resource_id=e.key_id,
            before={"revoked": False},
            after={"revoked": True},
        )
    return None


def suppression_after(e: SuppressionEntry.Added) -> dict[str, Any]:
    return {
        "email": mask(e.email),
        "scope": e.scope,
        "reason": e.reason,
        "source": e.source,
        "notes": e.notes,
        "expiresAt": e.expires_at,
    }


def _outcome(e: Any) -> Entry | None:
    """``webhook.outcome`` per applied feed item (duplicates save nothing, so have none);
    ``send.unsubscribe`` when a recipient unsubscribed through a send's link (a feed's
    unsubscribe is its ``webhook.outcome`` already)."""
    if isinstance(e, OutcomeEvent.Received):
        return Entry(
            action="webhook.outcome",
            resource_type="outcome",
            resource_id=str(e.originator_id),
            resource_slug=e.source,
            after={
                "source": e.source,
                "id": e.item_id[:200],
                "type": e.type,
                "sendId": e.send_pk,
                "matched": e.send_pk is not None,
                "bounceType": e.bounce_type,
            },
            data=True,
        )
    if isinstance(e, UnsubscribeRecorded) and not e.source.startswith("webhook:"):
        return Entry(
            action="send.unsubscribe",
            resource_type="send",
            resource_id=str(e.originator_id),
            after={"unsubscribed": True, "source": e.source},
            data=True,
        )
    return None


def entry_for(event: Any) -> Entry | None:
    if isinstance(event, SuppressionEntry.Added):
        return Entry(
            action="suppression.add",
            resource_type="suppression",
            resource_id=str(event.originator_id),
            after=suppression_after(event),
        )
    if isinstance(event, SuppressionEntry.Lifted):  # `before` is filled from the add entry by the view
        return Entry(
            action="suppression.lift",
            resource_type="suppression",
            resource_id=str(event.originator_id),
            after={"lifted": True, "note": event.note},
        )
    found = flow_entry(event)  # flows (console.md §8)
    if found is not None:
        return Entry(**found)
    found = dmarc_entry(event)  # DMARC (console.md §13)
    if found is not None:
        return Entry(**found)
    found = dnsbl_entry(event)  # DNSBL (console.md §12)
    if found is not None:
        return Entry(**found)
    found = template_entry(event)
    if found is not None:
        return Entry(**found)
    found = health_entry(event)
    if found is not None:
        return Entry(**found)
    found = postmaster_entry(event)  # feeds and hygiene (console.md §14, §15)
    if found is not None:
        return Entry(**found)
    found = broadcast_entry(event)  # broadcasts (console.md §9)
    if found is not None:
        return Entry(**found)
    return _contact(event) or _others(event) or _outcome(event)


TOPICS = frozenset(
    cls.TOPIC
    for cls in (
        Contact.Created,
        Contact.Updated,
        Contact.Subscribed,
        Contact.DoiConfirmed,
        Contact.Unsubscribed,
        Contact.Forgotten,
        ContactEvent.Fired,
        ContactImport.Completed,
        EventDefinition.Registered,
        EventDefinition.PolicyChanged,
        EventDefinition.Removed,
        ConsoleKey.Issued,
        ConsoleKey.Revoked,
        SuppressionEntry.Added,
        SuppressionEntry.Lifted,
        OutcomeEvent.Received,
        UnsubscribeRecorded,
    )
) | FLOW_TOPICS | DNSBL_TOPICS | DMARC_TOPICS | TEMPLATE_TOPICS | HEALTH_TOPICS | POSTMASTER_TOPICS
TOPICS |= BROADCAST_TOPICS  # broadcasts (console.md §9)
