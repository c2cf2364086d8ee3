"""Event registry and contact event contracts (console.md §3). camelCase."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from domain.console.contact_event import NAME_PATTERN

Policy = Literal["once-per-contact", "once-per-day", "every-time"]
Name = Annotated[str, Meta(pattern=NAME_PATTERN)]


class RegistryPut(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    dedupe_policy: Policy


class FireEvent(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    name: Name
    external_id: Annotated[str, Meta(min_length=1, max_length=256)]
    properties: dict[str, Any] | None = None
    dedupe_key: Annotated[str, Meta(min_length=1, max_length=512)] | None = None
    occurred_at: str | None = None


class Registered(msgspec.Struct, frozen=True, rename="camel"):
    name: str
    dedupe_policy: str
    registered_at: str | None


class Stats(msgspec.Struct, frozen=True, rename="camel"):
    total: int
    last7d: int
    last30d: int
    first_at: str | None
    last_at: str | None


class EventsDoc(msgspec.Struct, frozen=True):
    registered: list[Registered]
    seen: list[str]
    stats: dict[str, Stats]


class RegistryAnswer(msgspec.Struct, frozen=True, omit_defaults=True):
    ok: bool
    created: bool | None = None
    removed: bool | None = None


class FiredAnswer(msgspec.Struct, frozen=True, rename="camel"):
    ok: bool
    event_id: str
    dedupe_key: str
    duplicate: bool
