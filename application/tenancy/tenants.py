"""Tenant commands: create, update, keys, suspension, deletion."""

from __future__ import annotations

import hmac
import secrets as pysecrets
from typing import Any

import msgspec
from eventsourcing.application import AggregateNotFoundError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from application.ports import SecretBox
from application.tenancy.merge import MASK, seal
from domain.errors import AlreadyExists, InvalidValue, NotFound
from domain.instance_config import InstanceConfig
from domain.tenancy.account import Account
from domain.tenancy.ids import account_uuid, tenant_uuid
from domain.tenancy.settings import ClientAuth, TenantSettings
from domain.tenancy.tenant import Tenant


class IssuedKey(msgspec.Struct, frozen=True):
    api_key: str  # shown once, never stored
    key_id: str
    expires_at: float | None
    position: int


class TenantCommands(LedgerApplication):
    secret_box: SecretBox

    def instance_config(self) -> InstanceConfig:
        raise NotImplementedError

    def get_tenant(self, tenant_id: str, *, include_deleted: bool = False) -> Tenant:
        try:
            tenant: Tenant = self.repository.get(tenant_uuid(tenant_id))
        except AggregateNotFoundError:
            raise NotFound(f"tenant {tenant_id} not found") from None
        if tenant.deleted and not include_deleted:
            raise NotFound(f"tenant {tenant_id} not found")
        return tenant

    def create_tenant(self, tenant_id: str, fields: dict[str, Any], key_expires_at: float | None,
                      meta: CommandMeta = SYSTEM) -> tuple[Tenant, IssuedKey]:
        if tenant_uuid(tenant_id) in self.repository:
            raise AlreadyExists(f"tenant {tenant_id} exists or existed (ids are never reused)")
        self._check_expiry(key_expires_at)
        settings = self._settings(TenantSettings(name=tenant_id), fields)
        with self.under(meta, tenant_id):
            tenant = Tenant.create(tenant_id, settings)
            key = self._new_key(tenant, key_expires_at)
            position = self.record(tenant)
        return tenant, msgspec.structs.replace(key, position=position)

    def update_tenant(self, tenant_id: str, fields: dict[str, Any],
                      meta: CommandMeta = SYSTEM) -> tuple[Tenant, int]:
        tenant = self.get_tenant(tenant_id)
        settings = self._settings(tenant.settings, fields)
        with self.under(meta, tenant_id):
            tenant.update(settings, list(fields))
            position = self.record(tenant)
        return tenant, position

    def issue_api_key(self, tenant_id: str, expires_at: float | None,
                      meta: CommandMeta = SYSTEM) -> IssuedKey:
        tenant = self.get_tenant(tenant_id)
        self._check_expiry(expires_at)
        with self.under(meta, tenant_id):
            key = self._new_key(tenant, expires_at)
            position = self.record(tenant)
        return msgspec.structs.replace(key, position=position)

    def revoke_api_key(self, tenant_id: str, meta: CommandMeta = SYSTEM) -> tuple[bool, int]:
        tenant = self.get_tenant(tenant_id)
        with self.under(meta, tenant_id):
            revoked = tenant.revoke_key()
            position = self.record(tenant)
        return revoked, position

    def suspend(self, tenant_id: str, batch_code: str | None,
                meta: CommandMeta = SYSTEM) -> tuple[Tenant, int]:
        tenant = self.get_tenant(tenant_id)
        with self.under(meta, tenant_id):
            tenant.suspend(batch_code)
            position = self.record(tenant)
        return tenant, position

    def activate(self, tenant_id: str, batch_code: str | None,
                 meta: CommandMeta = SYSTEM) -> tuple[Tenant, int]:
        tenant = self.get_tenant(tenant_id)
        with self.under(meta, tenant_id):
            tenant.activate(batch_code)
            position = self.record(tenant)
        return tenant, position

    def delete_tenant(self, tenant_id: str, account_ids: list[str],
                      meta: CommandMeta = SYSTEM) -> int:
        """Delete the tenant and the accounts named (the caller lists them from its view)."""
        tenant = self.get_tenant(tenant_id)
        accounts = []
        for account_id in account_ids:
            try:
                account: Account = self.repository.get(account_uuid(tenant_id, account_id))
            except AggregateNotFoundError:
                continue
            if not account.deleted:
                accounts.append(account)
        with self.under(meta, tenant_id):
            tenant.delete()
            for account in accounts:
                account.delete()
            return self.record(tenant, *accounts)

    def verify_key_secret(self, salt_hex: str, digest: str, secret: str) -> bool:
        return hmac.compare_digest(digest, self.secret_box.token_digest(bytes.fromhex(salt_hex), secret))

    # --- helpers ------------------------------------------------------------------------
    def _new_key(self, tenant: Tenant, expires_at: float | None) -> IssuedKey:
        key_id = pysecrets.token_hex(8)
        secret = pysecrets.token_urlsafe(32)
        salt = pysecrets.token_bytes(16)
        tenant.issue_key(key_id, salt.hex(), self.secret_box.token_digest(salt, secret), expires_at)
        return IssuedKey(f"lmk_{key_id}_{secret}", key_id, expires_at, 0)

    def _check_expiry(self, expires_at: float | None) -> None:
        if expires_at is not None and expires_at <= self.clock.now():
            raise InvalidValue("expires_at must be in the future", field="expires_at")

    def _settings(self, current: TenantSettings, fields: dict[str, Any]) -> TenantSettings:
        changes = dict(fields)
        if "client_auth" in changes:
            changes["client_auth"] = self._client_auth(changes["client_auth"], current.client_auth)
        if changes.get("client_base_url"):
            changes["client_base_url"] = str(changes["client_base_url"]).rstrip("/")
        try:
            settings = msgspec.convert(
                msgspec.to_builtins(current) | msgspec.to_builtins(changes), TenantSettings
            )
        except msgspec.ValidationError as exc:
            raise InvalidValue(str(exc)) from exc
        lfc = settings.large_file_config
        if lfc.enabled and lfc.action == "rewrite" and not self.instance_config().public_base_url:
            raise InvalidValue("large_file_config action rewrite needs the instance public_base_url",
                               field="large_file_config.action")
        return settings

    def _client_auth(self, given: Any, stored: ClientAuth) -> ClientAuth:
        auth = given if isinstance(given, dict) else msgspec.to_builtins(given)
        method = auth.get("method", "none")
        same = stored.method == method
        if method == "bearer":
            if not auth.get("token"):
                raise InvalidValue("bearer client_auth needs a token", field="client_auth.token")
            return ClientAuth("bearer", token=seal(auth["token"], stored.token if same else None,
                                                   self.secret_box))
        if method == "basic":
            if not auth.get("user") or not auth.get("password"):
                raise InvalidValue("basic client_auth needs user and password", field="client_auth")
            password = seal(auth["password"], stored.password if same else None, self.secret_box)
            return ClientAuth("basic", user=auth["user"], password=password)
        return ClientAuth("none")


__all__ = ["MASK", "IssuedKey", "TenantCommands"]
