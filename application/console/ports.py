"""What the console application needs from outside: the per-contact data keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID


class PersonalVault(Protocol):
    """Per-contact data keys kept outside the event store (crypto-shredding, console.md §2.4)."""

    def keys(self, tenant_id: str, contact_ids: Sequence[UUID], *, create: bool) -> dict[UUID, bytes]:
        """The data keys of these contacts (one query); ``create`` makes the missing ones."""
        ...

    def seal(self, key: bytes, data: Any) -> str:
        """JSON-encode and encrypt ``data`` under ``key``: ``enc:c1:<base64>``."""
        ...

    def open(self, key: bytes | None, sealed: str | None) -> Any:
        """The decoded value, or None when the key is gone (forgotten) or nothing was sealed."""
        ...

    def address_key(self, tenant_id: str, address: str) -> str:
        """Hex HMAC-SHA256 of the lower-cased, trimmed address under the tenant's key."""
        ...

    def shred(self, contact_ids: Sequence[UUID]) -> None:
        """Delete these contacts' keys: what they sealed never opens again."""
        ...
