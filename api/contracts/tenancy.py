"""Tenant, key and suspension contracts (proxy.md §4.1, §4.4)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from domain.tenancy.ids import ID_PATTERN

TenantId = Annotated[str, Meta(pattern=ID_PATTERN)]
Url = Annotated[str, Meta(pattern=r"^https?://[^\s/?#]+[^\s]*$", max_length=2000)]
Path = Annotated[str, Meta(pattern=r"^/[^\s]*$", max_length=500)]
Limit = Annotated[int, Meta(ge=0)] | None


class ClientAuthIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    method: Literal["none", "bearer", "basic"] = "none"
    token: Annotated[str, Meta(min_length=1, max_length=4096)] | None = None
    user: Annotated[str, Meta(min_length=1, max_length=512)] | None = None
    password: Annotated[str, Meta(min_length=1, max_length=1024)] | None = None


class RateLimitsIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    per_minute: Limit = None
    per_hour: Limit = None
    per_day: Limit = None
    behavior: Literal["defer", "reject"] = "defer"


class LargeFileConfigIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    enabled: bool = False
    max_size_mb: Annotated[float, Meta(ge=0.1, le=1024)] = 10.0
    action: Literal["warn", "reject", "rewrite"] = "warn"
    file_ttl_days: Annotated[int, Meta(ge=1, le=365)] = 30


class _TenantFields(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)] | UnsetType = UNSET
    client_base_url: Url | UnsetType | None = UNSET
    client_sync_path: Path | UnsetType = UNSET
    client_attachment_path: Path | UnsetType = UNSET
    client_auth: ClientAuthIn | UnsetType = UNSET
    rate_limits: RateLimitsIn | UnsetType = UNSET
    large_file_config: LargeFileConfigIn | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class TenantCreate(_TenantFields, frozen=True, forbid_unknown_fields=True, kw_only=True):
    id: TenantId
    api_key_expires_at: float | None = None


class TenantUpdate(_TenantFields, frozen=True, forbid_unknown_fields=True, kw_only=True):
    # Read-only: accepted by the schema only to answer 422 ``read_only`` instead of ``unknown``.
    id: Any | UnsetType = UNSET
    suspended_batches: Any | UnsetType = UNSET


class KeyRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    expires_at: float | None = None


class ClientAuthOut(msgspec.Struct, frozen=True, omit_defaults=True):
    method: str
    token: str | None = None
    user: str | None = None
    password: str | None = None


class ApiKeyInfo(msgspec.Struct, frozen=True):
    key_id: str
    expires_at: float | None


class TenantInfo(msgspec.Struct, frozen=True, omit_defaults=True):
    id: str
    name: str
    client_base_url: str | None
    client_sync_path: str
    client_attachment_path: str
    client_auth: ClientAuthOut
    rate_limits: RateLimitsIn
    large_file_config: LargeFileConfigIn
    active: bool
    suspended_batches: list[str]
    api_key: ApiKeyInfo | None
    created_ts: float
    updated_ts: float
    deleted: bool = False
    deleted_ts: float | None = None


class TenantCreated(msgspec.Struct, frozen=True):
    ok: bool
    tenant: TenantInfo
    api_key: str


class TenantAnswer(msgspec.Struct, frozen=True):
    ok: bool
    tenant: TenantInfo


class TenantList(msgspec.Struct, frozen=True):
    ok: bool
    tenants: list[TenantInfo]


class TenantDeleted(msgspec.Struct, frozen=True):
    ok: bool
    cancelled: int


class KeyIssued(msgspec.Struct, frozen=True):
    ok: bool
    tenant_id: str
    api_key: str
    key_id: str
    expires_at: float | None


class KeyRevoked(msgspec.Struct, frozen=True):
    ok: bool
    revoked: bool


class SyncState(msgspec.Struct, frozen=True):
    id: str
    name: str
    active: bool
    client_base_url: str | None
    last_sync_ts: float | None
    last_attempt_ts: float | None
    last_status: int | None
    last_error: str | None
    consecutive_failures: int
    next_attempt_ts: float | None
    dnd_until: float | None
    in_dnd: bool
    next_sync_due: bool
    pending_reports: int


class SyncStatus(msgspec.Struct, frozen=True):
    ok: bool
    sync_interval_seconds: int
    tenants: list[SyncState]


class SuspensionState(msgspec.Struct, frozen=True):
    ok: bool
    tenant_id: str
    batch_code: str | None
    suspended_batches: list[str]
    pending_messages: int


class BatchRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    tenant_id: TenantId | None = None
    batch_code: Annotated[str, Meta(pattern=r"^[A-Za-z0-9._:-]{1,64}$")] | None = None


class RunNow(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    tenant_id: TenantId | None = None


class Ok(msgspec.Struct, frozen=True):
    ok: bool = True
