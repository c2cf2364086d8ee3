"""The Tenant: its client settings, one API key, and which batches are suspended."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from domain.errors import NotFound, SuspensionConflict
from domain.model import Aggregate
from domain.tenancy.ids import tenant_uuid
from domain.tenancy.settings import TenantSettings

ALL = "*"


class ApiKey(msgspec.Struct, frozen=True):
    key_id: str
    salt: str  # hex
    digest: str  # HMAC-SHA256 under the instance token key
    expires_at: float | None = None


class Tenant(Aggregate):
    TOPIC = "Tenant"

    class Created(Aggregate.Created, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Tenant.Created"
        tenant_id: str
        settings: TenantSettings

        def apply(self, tenant: Any) -> None:
            tenant.tenant_id = self.tenant_id
            tenant.settings = self.settings
            tenant.suspended = []
            tenant.api_key = None
            tenant.deleted = False
            tenant.deleted_ts = None

    class Updated(Aggregate.Event, frozen=True, kw_only=True):
        """``settings`` is the whole new state; ``changed`` names what the call changed."""

        TOPIC: ClassVar[str] = "Tenant.Updated"
        settings: TenantSettings
        changed: list[str]

        def apply(self, tenant: Any) -> None:
            tenant.settings = self.settings

    class BatchSuspended(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Tenant.BatchSuspended"
        batch_code: str | None  # None: every batch ("*")
        suspended: list[str]

        def apply(self, tenant: Any) -> None:
            tenant.suspended = list(self.suspended)

    class BatchActivated(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Tenant.BatchActivated"
        batch_code: str | None
        suspended: list[str]

        def apply(self, tenant: Any) -> None:
            tenant.suspended = list(self.suspended)

    class ApiKeyIssued(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Tenant.ApiKeyIssued"
        key_id: str
        salt: str
        digest: str
        expires_at: float | None

        def apply(self, tenant: Any) -> None:
            tenant.api_key = ApiKey(self.key_id, self.salt, self.digest, self.expires_at)

    class ApiKeyRevoked(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Tenant.ApiKeyRevoked"
        key_id: str

        def apply(self, tenant: Any) -> None:
            tenant.api_key = None

    class Deleted(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Tenant.Deleted"

        def apply(self, tenant: Any) -> None:
            tenant.deleted = True
            tenant.deleted_ts = self.timestamp
            tenant.api_key = None

    tenant_id: str
    settings: TenantSettings
    suspended: list[str]
    api_key: ApiKey | None
    deleted: bool
    deleted_ts: float | None

    @classmethod
    def create(cls, tenant_id: str, settings: TenantSettings) -> Tenant:
        return cls._create(cls.Created, id=tenant_uuid(tenant_id), tenant_id=tenant_id, settings=settings)

    def _live(self) -> None:
        if self.deleted:
            raise NotFound(f"tenant {self.tenant_id} not found")

    def update(self, settings: TenantSettings, changed: list[str]) -> None:
        self._live()
        if settings != self.settings:
            self.trigger_event(self.Updated, settings=settings, changed=sorted(changed))

    def suspend(self, batch_code: str | None) -> None:
        """Suspend one batch, or all (``None``). Suspending a batch while all are is a no-op."""
        self._live()
        if batch_code is None:
            new = [ALL]
        elif self.suspended == [ALL]:
            return
        else:
            new = sorted({*self.suspended, batch_code})
        if new != self.suspended:
            self.trigger_event(self.BatchSuspended, batch_code=batch_code, suspended=new)

    def activate(self, batch_code: str | None) -> None:
        """Activate one batch, or all (``None``). One batch while all are suspended: conflict."""
        self._live()
        if batch_code is None:
            new: list[str] = []
        elif self.suspended == [ALL]:
            raise SuspensionConflict(
                f"all batches are suspended; activate all before activating batch {batch_code}"
            )
        else:
            new = sorted(set(self.suspended) - {batch_code})
        if new != self.suspended:
            self.trigger_event(self.BatchActivated, batch_code=batch_code, suspended=new)

    def issue_key(self, key_id: str, salt: str, digest: str, expires_at: float | None) -> None:
        self._live()
        self.trigger_event(self.ApiKeyIssued, key_id=key_id, salt=salt, digest=digest,
                           expires_at=expires_at)

    def revoke_key(self) -> bool:
        self._live()
        if self.api_key is None:
            return False
        self.trigger_event(self.ApiKeyRevoked, key_id=self.api_key.key_id)
        return True

    def delete(self) -> None:
        self._live()
        self.trigger_event(self.Deleted)
