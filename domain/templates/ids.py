"""Deterministic ids of the content context: uuid5 of tenant + natural key (console.md §2.1)."""

from __future__ import annotations

from uuid import UUID, uuid5

from domain.instance import LEDGERMAIL_NAMESPACE


def template_uuid(tenant_id: str, slug: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"template/{tenant_id}/{slug}")


def console_settings_uuid(tenant_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"console-settings/{tenant_id}")
