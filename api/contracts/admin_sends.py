"""Sends and outcome-feed contracts (console.md §6). camelCase."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

OutcomeType = Literal["delivered", "open", "click", "bounce", "complaint", "unsubscribe"]


class OutcomeBounce(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    type: Literal["hard", "soft"] | None = None
    code: Annotated[str, Meta(max_length=16)] | None = None
    smtp_reply: Annotated[str, Meta(max_length=1000)] | None = None
    diagnostic: Annotated[str, Meta(max_length=1000)] | None = None


class OutcomeIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    id: Annotated[str, Meta(min_length=1, max_length=256)]
    type: OutcomeType
    occurred_at: str
    message_id: Annotated[str, Meta(min_length=1, max_length=998)] | None = None
    email: Annotated[str, Meta(max_length=254)] | None = None
    bounce: OutcomeBounce | None = None
    url: Annotated[str, Meta(max_length=4096)] | None = None
    user_agent: Annotated[str, Meta(max_length=1000)] | None = None
    ip: Annotated[str, Meta(max_length=64)] | None = None


class OutcomeFeed(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    source: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
    events: Annotated[list[dict[str, Any]], Meta(min_length=1, max_length=500)]


class OutcomeAnswer(msgspec.Struct, frozen=True):
    accepted: int
    duplicates: int
    unmatched: int
    invalid: int
    results: list[dict[str, Any]]


class SendPage(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    sends: list[dict[str, Any]]
    next_cursor: str | None = None


class SendDetail(msgspec.Struct, frozen=True, rename="camel"):
    send: dict[str, Any]
    timeline: list[dict[str, Any]]
    webhook_events: list[dict[str, Any]]
