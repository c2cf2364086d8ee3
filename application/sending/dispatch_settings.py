"""What the dispatcher reads from the tenancy write model, cached for one cycle.

Tenants, accounts and the instance configuration change rarely and are read per message;
one cycle loads each at most once (the write model, never a lagging view: a deleted account
must fail its messages at once). The instance configuration is kept a little longer: spec
proxy.md §14 allows 5 s for a PUT to take effect.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from application.sending.dispatch_plan import account_scope, tenant_scope
from application.sending.ports import DispatchLimits
from domain.errors import NotFound
from domain.instance_config import InstanceConfig
from domain.sending.limits import account_limits, tenant_limits
from domain.tenancy.account import Account
from domain.tenancy.settings import AccountSettings
from domain.tenancy.tenant import Tenant

CONFIG_SECONDS = 2.0
UNKNOWN = object()  # ``cached_*``: not read yet this cycle
_DEFAULT_ACCOUNT = AccountSettings(host="", port=25)


class Tenancy(Protocol):
    """The part of ``TenancyApplication`` the dispatcher uses."""

    def get_tenant(self, tenant_id: str, *, include_deleted: bool = False) -> Tenant: ...

    def get_account(self, tenant_id: str, account_id: str) -> Account | None: ...

    def instance_config(self) -> InstanceConfig: ...


class InstanceSettings:
    """The instance configuration, re-read at most every ``CONFIG_SECONDS``."""

    def __init__(self, tenancy: Tenancy) -> None:
        self._tenancy = tenancy
        self._config: InstanceConfig | None = None
        self._read_at = 0.0

    def get(self) -> InstanceConfig:
        if self._config is None or time.monotonic() - self._read_at > CONFIG_SECONDS:
            self._config = self._tenancy.instance_config()
            self._read_at = time.monotonic()
        return self._config


class CycleSettings:
    """Tenants and accounts as of this cycle. Used from the loop and from claim threads."""

    def __init__(self, tenancy: Tenancy, config: InstanceConfig) -> None:
        self._tenancy = tenancy
        self.config = config
        self._tenants: dict[str, Tenant | None] = {}
        self._accounts: dict[tuple[str, str], Account | None] = {}
        self._limits: dict[tuple[str, str], DispatchLimits] = {}
        self._lock = threading.Lock()

    def tenant(self, tenant_id: str) -> Tenant | None:
        """None once the tenant is deleted."""
        with self._lock:
            if tenant_id in self._tenants:
                return self._tenants[tenant_id]
        try:
            found: Tenant | None = self._tenancy.get_tenant(tenant_id)
        except NotFound:
            found = None
        with self._lock:
            self._tenants[tenant_id] = found
        return found

    def cached_account(self, tenant_id: str, account_id: str) -> Account | object | None:
        """As ``account`` if this cycle read it already, else ``UNKNOWN`` (never blocks: the
        event loop asks this first and goes to a thread only for a first read)."""
        with self._lock:
            return self._accounts.get((tenant_id, account_id), UNKNOWN)

    def account(self, tenant_id: str, account_id: str) -> Account | None:
        """None when the account does not exist or was deleted."""
        key = (tenant_id, account_id)
        with self._lock:
            if key in self._accounts:
                return self._accounts[key]
        found = self._tenancy.get_account(tenant_id, account_id)
        if found is not None and found.deleted:
            found = None
        with self._lock:
            self._accounts[key] = found
        return found

    def report(self, tenant_id: str) -> bool:
        """Outcomes are reported while the tenant has a client_base_url (spec §8.1)."""
        tenant = self.tenant(tenant_id)
        return tenant is not None and bool(tenant.settings.client_base_url)

    def limits_of(self, tenant_id: str, account_id: str) -> DispatchLimits:
        """A deleted account still gets claimed (its messages fail account_not_found), with
        the default batch and concurrency and no limits of its own."""
        known = self._limits.get((tenant_id, account_id))
        if known is not None:
            return known
        account = self.account(tenant_id, account_id)
        settings = account.settings if account is not None else _DEFAULT_ACCOUNT
        limits = account_limits(settings, account_scope(tenant_id, account_id))
        tenant = self.tenant(tenant_id)
        if tenant is not None:
            limits += tenant_limits(tenant.settings.rate_limits, tenant_scope(tenant_id))
        found = DispatchLimits(batch_size=settings.batch_size, max_concurrency=settings.max_concurrency,
                               limits=tuple(limits))
        self._limits[(tenant_id, account_id)] = found
        return found
