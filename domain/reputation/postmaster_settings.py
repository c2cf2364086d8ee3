"""The tenant settings of the provider feeds and of hygiene (console.md §14, §15, §16).

They live in the console settings document under ``postmaster``, ``snds`` and ``hygiene``.
Secrets (``clientId``, ``clientSecret``, ``refreshToken``, ``key``) are sealed (``enc:v1:``)
before they enter an event; ``SECRETS`` names them for the settings code that seals and masks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec


class PostmasterSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    domains: list[str] | None = None  # None: the registry's registrable domains
    interval_hours: float = 24.0
    spam_rate_pct_trip: float = 0.3
    spam_rate_pct_review: float = 0.1

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret and self.refresh_token)


class SndsSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    key: str | None = None
    interval_hours: float = 24.0
    ips: list[str] | None = None  # None: every IP of the feed
    trip_on_red: bool = False

    @property
    def configured(self) -> bool:
        return bool(self.key)


class HygieneSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    sunset_days: int = 180
    count_apple_mpp_opens: bool = False


# (section, camelCase field) of every secret: sealed on PATCH, "***" on GET
SECRETS: tuple[tuple[str, str], ...] = (
    ("postmaster", "clientId"),
    ("postmaster", "clientSecret"),
    ("postmaster", "refreshToken"),
    ("snds", "key"),
)

SECRET = "***"


def seal_secrets(change: dict[str, Any], current: dict[str, Any],
                 encrypt: Callable[[str], str]) -> dict[str, Any]:
    """A PATCH change with each feed secret sealed; ``"***"`` keeps the stored value."""
    out = dict(change)
    for section, name in SECRETS:
        part = out.get(section)
        if not isinstance(part, dict) or not isinstance(part.get(name), str):
            continue
        part = dict(part)
        if part[name] == SECRET:
            part[name] = (current.get(section) or {}).get(name)
        elif part[name]:
            part[name] = encrypt(part[name])
        out[section] = part
    return out


def mask_secrets(document: dict[str, Any]) -> dict[str, Any]:
    """The settings as GET shows them: secrets ``"***"`` (or null), plus ``configured`` flags."""
    for section, name in SECRETS:
        part = document.get(section)
        if isinstance(part, dict):
            part[name] = SECRET if part.get(name) else None
    for section, names in (("postmaster", ("clientId", "clientSecret", "refreshToken")), ("snds", ("key",))):
        part = document.get(section)
        if isinstance(part, dict):
            part["configured"] = all(part.get(n) for n in names)
    return document
