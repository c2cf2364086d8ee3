"""Console key commands: issue (the secret is shown once) and revoke (console.md §1.1)."""

from __future__ import annotations

import secrets as pysecrets

import msgspec
from eventsourcing.application import AggregateNotFoundError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from application.ports import SecretBox
from domain.errors import InvalidValue, NotFound
from domain.tenancy.console_key import ConsoleKey, Scope, console_key_uuid
from domain.tenancy.tenant import Tenant


class IssuedConsoleKey(msgspec.Struct, frozen=True):
    token: str  # shown once, never stored
    key_id: str
    label: str
    scopes: list[str]
    expires_at: float | None
    position: int


class ConsoleKeyCommands(LedgerApplication):
    secret_box: SecretBox

    def get_tenant(self, tenant_id: str, *, include_deleted: bool = False) -> Tenant:
        raise NotImplementedError

    def issue_console_key(
        self,
        tenant_id: str,
        label: str,
        scopes: list[Scope],
        expires_at: float | None,
        meta: CommandMeta = SYSTEM,
    ) -> IssuedConsoleKey:
        self.get_tenant(tenant_id)
        if expires_at is not None and expires_at <= self.clock.now():
            raise InvalidValue("expiresAt must be in the future", field="expiresAt")
        key_id, secret, salt = pysecrets.token_hex(8), pysecrets.token_urlsafe(32), pysecrets.token_bytes(16)
        with self.under(meta, tenant_id):
            key = ConsoleKey.issue(
                tenant_id,
                key_id,
                label,
                scopes,
                salt.hex(),
                self.secret_box.token_digest(salt, secret),
                expires_at,
            )
            position = self.record(key)
        return IssuedConsoleKey(f"lmk_{key_id}_{secret}", key_id, label, key.scopes, expires_at, position)

    def revoke_console_key(self, tenant_id: str, key_id: str, meta: CommandMeta = SYSTEM) -> tuple[bool, int]:
        try:
            key: ConsoleKey = self.repository.get(console_key_uuid(tenant_id, key_id))
        except AggregateNotFoundError:
            raise NotFound(f"console key {key_id} not found") from None
        with self.under(meta, tenant_id):
            revoked = key.revoke()
            position = self.record(key) if revoked else 0
        return revoked, position
