"""The ports the applications and workers talk through; adapters implement them."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    """Service time in unix seconds (a database-held fake clock in tests)."""

    def now(self) -> float: ...


class SecretBox(Protocol):
    """Instance-secret operations: keyed digests for tokens, encryption for secrets."""

    def token_digest(self, salt: bytes, secret: str) -> str: ...

    def key_check(self) -> str: ...

    def address_key(self, tenant_id: str, address: str) -> str:
        """The keyed hash of an address (console.md §2.4 ``addressKey``): what suppressions
        are keyed by."""
        ...

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, ciphertext: str) -> str: ...


class SaveListener(Protocol):
    """Told the application name and newest position after every save (wakes runners)."""

    def __call__(self, application: str, position: int) -> None: ...
