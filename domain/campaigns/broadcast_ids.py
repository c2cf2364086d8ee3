"""Deterministic ids of broadcasts: uuid5 of tenant + slug (console.md §2.1)."""

from __future__ import annotations

from uuid import UUID, uuid5

from domain.instance import LEDGERMAIL_NAMESPACE


def broadcast_uuid(tenant_id: str, slug: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"broadcast/{tenant_id}/{slug}")


def dedupe_key(broadcast_id: UUID | str, contact_id: str) -> str:
    """The console send key of one recipient (§2.3): a re-run page can never send twice."""
    return f"broadcast:{broadcast_id}:{contact_id}"


def hold_name(broadcast_id: UUID | str) -> str:
    return f"broadcast:{broadcast_id}"


def batch_code(slug: str) -> str:
    return f"b:{slug}"
