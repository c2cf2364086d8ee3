"""Tenant and account settings: value objects stored whole in their events."""

from __future__ import annotations

from typing import Literal

import msgspec

MASK = "***"


class ClientAuth(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """How ledgermail authenticates to the client app. Secrets are ``enc:v1:`` ciphertext."""

    method: Literal["none", "bearer", "basic"] = "none"
    token: str | None = None
    user: str | None = None
    password: str | None = None


class RateLimits(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    per_minute: int | None = None
    per_hour: int | None = None
    per_day: int | None = None
    behavior: Literal["defer", "reject"] = "defer"


class LargeFileConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    enabled: bool = False
    max_size_mb: float = 10.0
    action: Literal["warn", "reject", "rewrite"] = "warn"
    file_ttl_days: int = 30


class TenantSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    client_base_url: str | None = None
    client_sync_path: str = "/mail-proxy/sync"
    client_attachment_path: str = "/mail-proxy/attachments"
    client_auth: ClientAuth = ClientAuth()
    rate_limits: RateLimits = RateLimits()
    large_file_config: LargeFileConfig = LargeFileConfig()
    active: bool = True


class AccountSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    host: str
    port: int
    user: str | None = None
    password: str | None = None  # ``enc:v1:`` ciphertext
    use_tls: bool = True
    tls_verify: bool = True
    batch_size: int = 50
    max_concurrency: int = 3
    ttl: int = 300
    limit_per_minute: int | None = None
    limit_per_hour: int | None = None
    limit_per_day: int | None = None
    limit_behavior: Literal["defer", "reject"] = "defer"
