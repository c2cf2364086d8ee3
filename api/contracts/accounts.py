"""SMTP account contracts (proxy.md §4.3)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from domain.tenancy.ids import ID_PATTERN

Limit = Annotated[int, Meta(ge=0)] | None


class AccountPayload(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Upsert by (tenant, id): omitted fields keep their value (update) or default (create)."""

    id: Annotated[str, Meta(pattern=ID_PATTERN)]
    tenant_id: Annotated[str, Meta(pattern=ID_PATTERN)] | None = None
    host: Annotated[str, Meta(min_length=1, max_length=253)] | UnsetType = UNSET
    port: Annotated[int, Meta(ge=1, le=65535)] | UnsetType = UNSET
    user: Annotated[str, Meta(max_length=512)] | UnsetType | None = UNSET
    password: Annotated[str, Meta(max_length=1024)] | UnsetType | None = UNSET
    use_tls: bool | UnsetType = UNSET
    tls_verify: bool | UnsetType = UNSET
    batch_size: Annotated[int, Meta(ge=1, le=1000)] | UnsetType = UNSET
    max_concurrency: Annotated[int, Meta(ge=1, le=100)] | UnsetType = UNSET
    ttl: Annotated[int, Meta(ge=10, le=3600)] | UnsetType = UNSET
    limit_per_minute: Limit | UnsetType = UNSET
    limit_per_hour: Limit | UnsetType = UNSET
    limit_per_day: Limit | UnsetType = UNSET
    limit_behavior: Literal["defer", "reject"] | UnsetType = UNSET


class AccountInfo(msgspec.Struct, frozen=True):
    id: str
    tenant_id: str
    host: str
    port: int
    user: str | None
    password: str | None  # "***" when set
    use_tls: bool
    tls_verify: bool
    batch_size: int
    max_concurrency: int
    ttl: int
    limit_per_minute: int | None
    limit_per_hour: int | None
    limit_per_day: int | None
    limit_behavior: str
    created_ts: float
    updated_ts: float


class AccountSaved(msgspec.Struct, frozen=True):
    ok: bool
    created: bool
    account: AccountInfo


class AccountList(msgspec.Struct, frozen=True):
    ok: bool
    accounts: list[AccountInfo]
