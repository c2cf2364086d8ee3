"""Deterministic ids of the console context: uuid5 of tenant + natural key (console.md §2.1)."""

from __future__ import annotations

from uuid import UUID, uuid5

from domain.instance import LEDGERMAIL_NAMESPACE


def contact_uuid(tenant_id: str, external_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"contact/{tenant_id}/{external_id}")


def contact_event_uuid(tenant_id: str, dedupe_key: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"contact-event/{tenant_id}/{dedupe_key}")


def event_definition_uuid(tenant_id: str, name: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"event-definition/{tenant_id}/{name}")


def contact_import_uuid(tenant_id: str, import_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"contact-import/{tenant_id}/{import_id}")
