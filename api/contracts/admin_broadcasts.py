"""Broadcast contracts (console.md §9.2). camelCase; unknown fields are 400 validation_failed.

Segments, orders and stop rules are plain JSON here: their rules (and the codes
``invalid_segment``, ``invalid_order``, ``invalid_recipient_cap``) are the domain's.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]
Name = Annotated[str, Meta(min_length=1, max_length=200)]


class BroadcastCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    slug: Slug
    name: Name
    template_slug: Slug
    segment: dict[str, Any] | None = None
    recipient_cap: Any = None  # checked by the domain: invalid_recipient_cap
    order: Any = None
    rate_per_minute: int | None = None
    respect_recipient_timezone: bool = False
    schedule_timezone: str = "UTC"
    stop_rules: dict[str, Any] | None = None


class BroadcastPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    name: Name | UnsetType = UNSET
    template_slug: Slug | UnsetType = UNSET
    segment: dict[str, Any] | UnsetType | None = UNSET
    recipient_cap: Any = UNSET
    order: Any = UNSET
    rate_per_minute: int | UnsetType | None = UNSET
    respect_recipient_timezone: bool | UnsetType = UNSET
    schedule_timezone: str | UnsetType = UNSET
    stop_rules: dict[str, Any] | UnsetType | None = UNSET


class CountBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    segment: dict[str, Any] | None = None


class ConfirmBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    confirmed_count: Annotated[int, Meta(ge=0)]


class ScheduleBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    scheduled_at: Annotated[str, Meta(min_length=10, max_length=40)]
    schedule_timezone: str | None = None
    respect_recipient_timezone: bool | None = None


class PauseBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    reason: Annotated[str, Meta(max_length=500)] | None = None


class ResumeBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    recipient_cap: Any = None
    confirmed_count: Annotated[int, Meta(ge=0)] | None = None


class CountAnswer(msgspec.Struct, frozen=True, rename="camel"):
    matched: int
    eligible: int
    already_sent: int
    recipient_count: int
    cap: int | None
    computed_ms: int


class ConfirmAnswer(msgspec.Struct, frozen=True, rename="camel"):
    confirmed_count: int
    recipient_count: int
    confirmed_at: str | None


class CancelAnswer(msgspec.Struct, frozen=True, rename="camel"):
    ok: bool
    cancelled_sends: int
