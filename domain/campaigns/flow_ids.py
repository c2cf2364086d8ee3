"""Deterministic ids of flows and their runs: uuid5 of tenant + natural key (console.md §2.1)."""

from __future__ import annotations

from uuid import UUID, uuid5

from domain.instance import LEDGERMAIL_NAMESPACE


def flow_uuid(tenant_id: str, slug: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"flow/{tenant_id}/{slug}")


def flow_run_uuid(tenant_id: str, slug: str, entry_key: str) -> UUID:
    """(flow, entryKey) is unique: a repeated trigger finds the run it already started."""
    return uuid5(LEDGERMAIL_NAMESPACE, f"flow-run/{tenant_id}/{slug}/{entry_key}")


def flow_contact_uuid(tenant_id: str, slug: str, contact_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"flow-contact/{tenant_id}/{slug}/{contact_id}")
