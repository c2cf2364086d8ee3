"""Console identity contracts: /me and console keys (console.md §1.1, §1.2, §3). camelCase."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Scope = Literal["publish", "broadcasts", "suppressions", "admin-read"]


class TokenCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    label: Annotated[str, Meta(min_length=1, max_length=200)]
    scopes: Annotated[list[Scope], Meta(min_length=1, max_length=4)]
    expires_at: str | None = None


class TokenInfo(msgspec.Struct, frozen=True, rename="camel"):
    key_id: str
    label: str
    scopes: list[str]
    expires_at: str | None
    created_at: str | None


class TokenCreated(msgspec.Struct, frozen=True, rename="camel"):
    key_id: str
    token: str
    label: str
    scopes: list[str]
    expires_at: str | None


class TokenList(msgspec.Struct, frozen=True):
    tokens: list[TokenInfo]


class TokenRevoked(msgspec.Struct, frozen=True):
    ok: bool
    revoked: bool


class Permissions(msgspec.Struct, frozen=True, rename="camel"):
    can_read: bool
    can_publish: bool
    can_send_broadcasts: bool
    can_manage_suppressions: bool


class Counts(msgspec.Struct, frozen=True):
    flows: int
    templates: int
    broadcasts: int
    contacts: int
    suppressions: int


class HealthStatus(msgspec.Struct, frozen=True):
    status: str | None


class Accounts(msgspec.Struct, frozen=True, rename="camel"):
    names: list[str]
    default_marketing: str | None
    default_transactional: str | None


class Me(msgspec.Struct, frozen=True, rename="camel"):
    actor: str
    tenant_id: str
    key_id: str | None
    scopes: list[str]
    permissions: Permissions
    counts: Counts
    health: HealthStatus
    accounts: Accounts
    broadcast_confirmation_threshold: int
