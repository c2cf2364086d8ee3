"""An SMTP account of a tenant: where and how its messages are sent."""

from __future__ import annotations

from typing import Any, ClassVar

from domain.errors import NotFound
from domain.model import Aggregate
from domain.tenancy.ids import account_uuid
from domain.tenancy.settings import AccountSettings


class Account(Aggregate):
    TOPIC = "Account"

    class Registered(Aggregate.Created, frozen=True, kw_only=True):
        """First registration, or registration again after deletion (a fresh start)."""

        TOPIC: ClassVar[str] = "Account.Registered"
        tenant_id: str
        account_id: str
        settings: AccountSettings

        def apply(self, account: Any) -> None:
            account.tenant_id = self.tenant_id
            account.account_id = self.account_id
            account.settings = self.settings
            account.deleted = False
            account.registered_ts = self.timestamp

    class Updated(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Account.Updated"
        settings: AccountSettings
        changed: list[str]

        def apply(self, account: Any) -> None:
            account.settings = self.settings

    class Deleted(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Account.Deleted"

        def apply(self, account: Any) -> None:
            account.deleted = True

    tenant_id: str
    account_id: str
    settings: AccountSettings
    deleted: bool
    registered_ts: float

    @classmethod
    def register(cls, tenant_id: str, account_id: str, settings: AccountSettings) -> Account:
        return cls._create(cls.Registered, id=account_uuid(tenant_id, account_id),
                           tenant_id=tenant_id, account_id=account_id, settings=settings)

    def register_again(self, settings: AccountSettings) -> None:
        self.trigger_event(self.Registered, tenant_id=self.tenant_id, account_id=self.account_id,
                           settings=settings)

    def update(self, settings: AccountSettings, changed: list[str]) -> None:
        if self.deleted:
            raise NotFound(f"account {self.account_id} not found")
        if settings != self.settings:
            self.trigger_event(self.Updated, settings=settings, changed=sorted(changed))

    def delete(self) -> None:
        if self.deleted:
            raise NotFound(f"account {self.account_id} not found")
        self.trigger_event(self.Deleted)
