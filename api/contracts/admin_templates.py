"""Template contracts (console.md §5.2). camelCase; unknown fields are 400 validation_failed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

Kind = Literal["marketing", "transactional"]
Format = Literal["mjml", "html"]
Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]
Short = Annotated[str, Meta(max_length=998)]
Body = Annotated[str, Meta(max_length=1_000_000)]
Tag = Annotated[str, Meta(min_length=1, max_length=64)]


class TemplateCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    slug: Slug
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    kind: Kind
    subject: Short = ""
    preheader: Short = ""
    from_name: Annotated[str, Meta(max_length=200)] | None = None
    from_email: Annotated[str, Meta(max_length=254)] | None = None
    reply_to: Annotated[str, Meta(max_length=254)] | None = None
    account_id: str | None = None
    format: Format = "mjml"


class DraftPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    subject: Short | UnsetType = UNSET
    preheader: Short | UnsetType = UNSET
    format: Format | UnsetType = UNSET
    mjml: Body | UnsetType = UNSET
    html: Body | UnsetType = UNSET
    text: Body | UnsetType | None = UNSET
    notes: Annotated[str, Meta(max_length=5000)] | UnsetType = UNSET
    name: Annotated[str, Meta(min_length=1, max_length=200)] | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=2000)] | UnsetType = UNSET
    from_name: Annotated[str, Meta(max_length=200)] | UnsetType | None = UNSET
    from_email: Annotated[str, Meta(max_length=254)] | UnsetType | None = UNSET
    reply_to: Annotated[str, Meta(max_length=254)] | UnsetType | None = UNSET
    account_id: str | UnsetType | None = UNSET
    kind: Kind | UnsetType = UNSET
    body_format: Literal["multipart", "text_only"] | UnsetType = UNSET
    track_opens: bool | UnsetType = UNSET
    track_clicks: bool | UnsetType = UNSET
    variables_schema: dict[str, Any] | UnsetType | None = UNSET
    tags: Annotated[list[Tag], Meta(max_length=200)] | UnsetType = UNSET


class LintBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    subject: Short | UnsetType = UNSET
    preheader: Short | UnsetType = UNSET
    mjml: Body | UnsetType = UNSET
    html: Body | UnsetType = UNSET
    text: Body | UnsetType = UNSET
    from_email: str | UnsetType = UNSET
    kind: Kind | UnsetType = UNSET
    editor_json: dict[str, Any] | UnsetType | None = UNSET  # the seed's visual-editor state: ignored


class PreviewBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    use_draft: bool = True
    external_id: Annotated[str, Meta(min_length=1, max_length=256)] | None = None
    sample_contact: dict[str, Any] | None = None
    vars: dict[str, Any] | None = None
    event: dict[str, Any] | None = None
    mjml: Body | None = None
    html: Body | None = None


class PublishBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    bypass_mail_tester: bool = False


class SendTestBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    to: Annotated[str, Meta(min_length=3, max_length=254)]
    external_id: Annotated[str, Meta(min_length=1, max_length=256)] | None = None
    vars: dict[str, Any] | None = None
    use_draft: bool = False


class OneOffBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    template_slug: Slug
    dedupe_key: Annotated[str, Meta(min_length=1, max_length=200)]
    external_id: Annotated[str, Meta(min_length=1, max_length=256)] | None = None
    to: Annotated[str, Meta(min_length=3, max_length=254)] | None = None  # an address without a contact
    vars: dict[str, Any] | None = None
    account_id: str | None = None


class Ok(msgspec.Struct, frozen=True, omit_defaults=True):
    ok: bool
    slug: str | None = None
    revision: int | None = None
    changed: bool | None = None


class SendAnswer(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    send_id: str
    status: str | None = None
    duplicate: bool | None = None
    status_reason: str | None = None
