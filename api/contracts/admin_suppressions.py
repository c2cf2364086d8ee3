"""Suppression contracts (console.md §7). camelCase."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

Scope = Literal["all", "marketing", "transactional"]
Reason = Literal["unsubscribed", "hard_bounce", "complaint", "manual", "list_cleaning", "gdpr_forget"]


class SuppressionAdd(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    email: Annotated[str, Meta(min_length=3, max_length=254)]
    scope: Scope
    reason: Reason
    source: Annotated[str, Meta(min_length=1, max_length=200)] = "manual"
    notes: Annotated[str, Meta(max_length=500)] | None = None
    expires_at: str | None = None


class SuppressionLift(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Annotated[str, Meta(min_length=3, max_length=254)]
    note: Annotated[str, Meta(min_length=3, max_length=500)]
    scope: Scope | None = None
    force: bool = False


class SuppressionAdded(msgspec.Struct, frozen=True):
    ok: bool
    created: bool
    suppression: dict[str, Any]


class SuppressionLifted(msgspec.Struct, frozen=True):
    ok: bool
    lifted: int


class SuppressionPage(msgspec.Struct, frozen=True, omit_defaults=True, rename="camel"):
    suppressions: list[dict[str, Any]]
    next_cursor: str | None = None
