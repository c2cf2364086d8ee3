"""Audit log contracts (console.md §1.5, §16). camelCase."""

from __future__ import annotations

from typing import Any

import msgspec


class Resource(msgspec.Struct, frozen=True, omit_defaults=True):
    type: str
    id: str
    slug: str | None = None


class AuditEntry(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    occurred_at: str | None
    actor: str
    action: str
    category: str
    resource: Resource
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    diff_summary: str
    request_id: str
    ip: str | None = None
    user_agent: str | None = None


class AuditPage(msgspec.Struct, frozen=True, omit_defaults=True, rename="camel"):
    entries: list[AuditEntry]
    next_cursor: str | None = None
