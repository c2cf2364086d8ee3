"""Contact contracts (console.md §4). camelCase; unset fields are left as they are."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

Tag = Annotated[str, Meta(min_length=1, max_length=64)]


class ContactPut(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    email: Annotated[str, Meta(min_length=3, max_length=254)]
    tags: Annotated[list[Tag], Meta(max_length=200)] | UnsetType = UNSET
    fields: dict[str, Any] | UnsetType = UNSET
    timezone: str | UnsetType | None = UNSET
    locale: str | UnsetType | None = UNSET


class ImportSubscribe(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    source: Annotated[str, Meta(min_length=1, max_length=200)]
    consent_timestamp: str | None = None


class ContactImportBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    contacts: Annotated[list[Any], Meta(min_length=1, max_length=10_000)]
    subscribe: ImportSubscribe | None = None
    add_tags: Annotated[list[Tag], Meta(max_length=200)] = msgspec.field(default_factory=list)


class TagsBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    add: Annotated[list[Tag], Meta(max_length=200)] = msgspec.field(default_factory=list)
    remove: Annotated[list[Tag], Meta(max_length=200)] = msgspec.field(default_factory=list)


class SubscribeBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    source: Annotated[str, Meta(min_length=1, max_length=200)]
    double_opt_in: bool = False
    consent_timestamp: str | None = None
    consent_ip: Annotated[str, Meta(max_length=64)] | None = None
    consent_user_agent: Annotated[str, Meta(max_length=1000)] | None = None


class UnsubscribeBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    scope: Literal["marketing", "all"] = "marketing"
    reason: Literal["user_request", "manual"] = "user_request"
    source: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


class SubscriptionOut(msgspec.Struct, frozen=True, rename="camel"):
    status: str
    subscribed_at: str | None
    unsubscribed_at: str | None
    unsubscribe_reason: str | None
    source: str | None
    doi_requested_at: str | None
    doi_confirmed_at: str | None


class ContactOut(msgspec.Struct, frozen=True, rename="camel"):
    contact_id: str
    external_id: str
    email: str | None
    tags: list[str]
    fields: dict[str, Any]
    timezone: str | None
    locale: str | None
    subscription: SubscriptionOut | None
    created_at: str | None
    updated_at: str | None
    erased: bool = False


class ContactAnswer(msgspec.Struct, frozen=True):
    contact: ContactOut
    created: bool


class ContactCounts(msgspec.Struct, frozen=True):
    subscribed: int
    pending_doi: int
    unsubscribed: int
    bounced: int
    complained: int
    total: int


class ContactPage(msgspec.Struct, frozen=True, omit_defaults=True, rename="camel"):
    contacts: list[ContactOut]
    counts: ContactCounts
    next_cursor: str | None = None


class ImportFailureOut(msgspec.Struct, frozen=True, omit_defaults=True, rename="camel"):
    index: int
    error: str
    message: str
    external_id: str | None = None


class ImportAnswer(msgspec.Struct, frozen=True, rename="camel"):
    import_id: str
    received: int
    created: int
    updated: int
    unchanged: int
    subscribed: int
    failed: list[ImportFailureOut]


class TagsAnswer(msgspec.Struct, frozen=True):
    ok: bool
    tags: list[str]


class SubscribeAnswer(msgspec.Struct, frozen=True, omit_defaults=True, rename="camel"):
    status: str
    doi_send_id: str | None = None


class UnsubscribeAnswer(msgspec.Struct, frozen=True, rename="camel"):
    status: str
    suppression_created: bool


class ForgetAnswer(msgspec.Struct, frozen=True, rename="camel"):
    ok: bool
    contact_id: str
    already_forgotten: bool
    suppressions_added: int
    runs_exited: int
    sends_cancelled: int


class ContactDetail(msgspec.Struct, frozen=True, rename="camel"):
    contact: ContactOut
    subscription: SubscriptionOut | None
    suppressions: list[Any]
    recent_events: list[Any]
    recent_sends: list[Any]
    active_runs: list[Any]


class ContactExport(msgspec.Struct, frozen=True, rename="camel"):
    contact: ContactOut
    subscription: SubscriptionOut | None
    events: list[Any]
    flow_runs: list[Any]
    sends: list[Any]
    suppressions: list[Any]
