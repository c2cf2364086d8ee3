"""SMTP account commands: register (upsert) and delete."""

from __future__ import annotations

from typing import Any

import msgspec
from eventsourcing.application import AggregateNotFoundError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from application.ports import SecretBox
from application.tenancy.merge import seal
from domain.errors import InvalidValue, NotFound
from domain.tenancy.account import Account
from domain.tenancy.ids import account_uuid
from domain.tenancy.settings import AccountSettings
from domain.tenancy.tenant import Tenant


class AccountCommands(LedgerApplication):
    secret_box: SecretBox

    def get_tenant(self, tenant_id: str, *, include_deleted: bool = False) -> Tenant:
        raise NotImplementedError

    def get_account(self, tenant_id: str, account_id: str) -> Account | None:
        try:
            return self.repository.get(account_uuid(tenant_id, account_id))  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            return None

    def register_account(self, tenant_id: str, account_id: str, fields: dict[str, Any],
                         meta: CommandMeta = SYSTEM) -> tuple[Account, bool, int]:
        """Upsert by (tenant, id): omitted fields keep their value, or take the default."""
        self.get_tenant(tenant_id)
        account = self.get_account(tenant_id, account_id)
        live = account is not None and not account.deleted
        base: dict[str, Any] = msgspec.to_builtins(account.settings) if live and account else {}
        changes = dict(fields)
        if "password" in changes or not live:
            stored = account.settings.password if live and account else None
            changes["password"] = seal(changes.get("password"), stored, self.secret_box)
        try:
            settings = msgspec.convert(base | changes, AccountSettings)
        except msgspec.ValidationError as exc:
            raise InvalidValue(str(exc)) from exc
        with self.under(meta, tenant_id):
            if account is None:
                account = Account.register(tenant_id, account_id, settings)
            elif not live:
                account.register_again(settings)
            else:
                account.update(settings, list(fields))
            position = self.record(account)
        return account, not live, position

    def delete_account(self, tenant_id: str, account_id: str, meta: CommandMeta = SYSTEM) -> int:
        self.get_tenant(tenant_id)
        account = self.get_account(tenant_id, account_id)
        if account is None or account.deleted:
            raise NotFound(f"account {account_id} not found")
        with self.under(meta, tenant_id):
            account.delete()
            return self.record(account)
