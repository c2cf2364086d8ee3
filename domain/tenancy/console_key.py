"""Console keys: extra keys of a tenant, limited to ``/admin/api`` and to named scopes.

A console key has the tenant key's format (``lmk_<key_id>_<secret>``) so one resolver
reads both; only the salted HMAC of its secret is stored, never the secret itself.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

from domain.instance import LEDGERMAIL_NAMESPACE
from domain.model import Aggregate

Scope = Literal["publish", "broadcasts", "suppressions", "admin-read"]
SCOPES: tuple[str, ...] = ("admin-read", "publish", "broadcasts", "suppressions")


def console_key_uuid(tenant_id: str, key_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"console-key/{tenant_id}/{key_id}")


class ConsoleKey(Aggregate):
    TOPIC = "ConsoleKey"

    class Issued(Aggregate.Created, frozen=True, kw_only=True):
        """A console key for `tenant_id`: `label` for people, `scopes` it grants, `salt` and
        `digest` (HMAC-SHA256 under the instance token key) to check its secret, `expires_at`
        (unix seconds) or null."""

        TOPIC: ClassVar[str] = "ConsoleKey.Issued"
        tenant_id: str
        key_id: str
        label: str
        scopes: list[Scope]
        salt: str
        digest: str
        expires_at: float | None

        def apply(self, key: Any) -> None:
            key.tenant_id, key.key_id, key.label = self.tenant_id, self.key_id, self.label
            key.scopes, key.expires_at, key.revoked = list(self.scopes), self.expires_at, False

    class Revoked(Aggregate.Event, frozen=True, kw_only=True):
        """Key `key_id` stops working at once."""

        TOPIC: ClassVar[str] = "ConsoleKey.Revoked"
        key_id: str

        def apply(self, key: Any) -> None:
            key.revoked = True

    tenant_id: str
    key_id: str
    label: str
    scopes: list[str]
    expires_at: float | None
    revoked: bool

    @classmethod
    def issue(
        cls,
        tenant_id: str,
        key_id: str,
        label: str,
        scopes: list[Scope],
        salt: str,
        digest: str,
        expires_at: float | None,
    ) -> ConsoleKey:
        ordered = [s for s in SCOPES if s in scopes]
        return cls._create(
            cls.Issued,
            id=console_key_uuid(tenant_id, key_id),
            tenant_id=tenant_id,
            key_id=key_id,
            label=label,
            scopes=ordered,
            salt=salt,
            digest=digest,
            expires_at=expires_at,
        )

    def revoke(self) -> bool:
        """False when it was revoked already (nothing happens)."""
        if self.revoked:
            return False
        self.trigger_event(self.Revoked, key_id=self.key_id)
        return True
