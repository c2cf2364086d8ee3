"""A message as accepted: what to send (content) and how to queue it (the rest).

These value objects are stored whole inside ``Message.Queued`` / ``Message.Updated``: their
field names are stored schema. Secrets inside (attachment ``auth``) are ``enc:v1:``
ciphertext by the time they get here.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

FetchMode = Literal["endpoint", "http_url", "base64", "filesystem"]


class AttachmentAuth(msgspec.Struct, frozen=True, omit_defaults=True):
    method: Literal["none", "bearer", "basic"] = "none"
    token: str | None = None  # ciphertext
    user: str | None = None
    password: str | None = None  # ciphertext


class Attachment(msgspec.Struct, frozen=True, omit_defaults=True):
    filename: str  # as submitted (may hold an {MD5:...} marker)
    storage_path: str  # for base64: the base64 text, prefix removed
    fetch_mode: FetchMode
    mime_type: str | None = None
    content_md5: str | None = None  # lower-case hex
    auth: AttachmentAuth | None = None


class MessageContent(msgspec.Struct, frozen=True, omit_defaults=True):
    """Everything that ends up in the MIME message or the SMTP envelope."""

    from_addr: str  # one mailbox, "Name <addr>" allowed
    to: list[str]  # addr-specs or "Name <addr>" mailboxes, at least one
    subject: str
    cc: list[str] = []
    bcc: list[str] = []
    reply_to: str | None = None
    return_path: str | None = None  # envelope sender when set
    body: str = ""
    content_type: Literal["plain", "html"] = "plain"
    html: str | None = None
    text: str | None = None
    headers: list[tuple[str, str]] = []  # custom headers, in the order given
    attachments: list[Attachment] = []


class QueueFields(msgspec.Struct, frozen=True, omit_defaults=True):
    """How a message waits in the queue: everything an upsert may change besides content."""

    account_id: str
    priority: int = 2  # 0 immediate, 1 high, 2 medium, 3 low
    batch_code: str | None = None
    deferred_ts: float | None = None  # not before this time


class TemplateRef(msgspec.Struct, frozen=True):
    slug: str
    version: int


class RenderRecipe(msgspec.Struct, frozen=True, omit_defaults=True, kw_only=True):
    """How a console send to a contact is rendered at each attempt (console.md §2.3): the
    template version, and the recipient and variables sealed with the contact's key (§2.4),
    so a forgotten contact's sends never open again. Stored inside ``Message.Queued``."""

    slug: str
    version: int
    to: str | None = None  # enc:c1: the recipient address at enqueue
    vars: str | None = None  # enc:c1: the template variables (JSON)
    event: str | None = None  # enc:c1: the trigger event of a flow send (JSON)
    campaign: str | None = None  # the Feedback-ID campaign (broadcast or flow slug)


class ConsoleOrigin(msgspec.Struct, frozen=True, omit_defaults=True, kw_only=True):
    """What the console knows of a send it queued (console.md §2.1): stored on
    ``Message.Queued`` as optional fields, absent on proxy messages (origin ``api``)."""

    origin: str  # oneoff | flow | broadcast | test
    kind: str  # marketing | transactional
    dedupe_key: str
    contact_id: str | None = None  # attributes opens, clicks and unsubscribes to the recipient
    template: TemplateRef | None = None
    recipe: RenderRecipe | None = None  # rendered at each attempt; None: content is final


def console_fields(console: ConsoleOrigin | None) -> dict[str, Any]:
    """The optional console fields of ``Message.Queued`` (none for a proxy message)."""
    if console is None:
        return {}
    return {name: getattr(console, name) for name in console.__struct_fields__}
