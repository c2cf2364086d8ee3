"""One ``add-messages`` entry checked against the contract (spec proxy.md §5.1, §5.3, §9).

``validate_entry`` takes the decoded JSON value as it came (any type) and returns either a
``ValidMessage`` ready to queue or the first ``Rejection`` found. Checks run in a fixed order,
``id`` first so that a usable id can be recorded with the rejection, then unknown keys (a
misspelt key explains a "missing" one), then the fields as §5.1 lists them.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal
from uuid import uuid4

import msgspec

from domain.sending.addresses import DOT_ATOM, AddressError, domain_of, parse_mailbox, split_address_list
from domain.sending.attachment_entry import attachments
from domain.sending.content import MessageContent, QueueFields
from domain.sending.entry_fields import Problem, known_keys, optional_str, required_str
from domain.tenancy.ids import BATCH_CODE_PATTERN

RejectionReason = Literal[
    "invalid_payload", "missing_field", "invalid_field", "unknown_field", "account_not_found",
    "attachment_invalid", "attachment_too_large", "tenant_not_found", "duplicate_id",
    "already_sent", "in_progress",
]  # fmt: skip

RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        "From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "Reply-To", "Return-Path",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "X-Ledgermail-Id",
    )
)  # fmt: skip
PRIORITY_LABELS = {"immediate": 0, "high": 1, "medium": 2, "low": 3}
MAX_HEADERS = 50
MAX_DEFER_SECONDS = 366 * 86_400
MAX_SUBJECT = 998

_KEYS = frozenset({
    "id", "tenant_id", "account_id", "from", "from_addr", "to", "cc", "bcc", "reply_to",
    "return_path", "message_id", "subject", "body", "content_type", "html", "text", "headers",
    "attachments", "priority", "deferred_ts", "batch_code",
})  # fmt: skip
_CLIENT_ID = re.compile(r"[\x21-\x7e]{1,256}")
_FIELD_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+")  # printable ASCII minus ':' (RFC 5322 §3.6.8)
_MESSAGE_ID = re.compile(rf"<{DOT_ATOM}@(?:{DOT_ATOM}|\[[\x21-\x5a\x5e-\x7e]*\])>")
_MAX_MESSAGE_ID = 998 - len("Message-ID: ")  # one unfolded header line
_BATCH_CODE = re.compile(BATCH_CODE_PATTERN)


class ValidationContext(msgspec.Struct, frozen=True, kw_only=True):
    """What validation needs to know about the caller's tenant and the instance."""

    tenant_id: str
    account_ids: frozenset[str]
    now: float  # service clock
    default_priority: int = 2  # the request's default_priority, else the instance's
    max_recipients_per_message: int = 100
    max_body_bytes: int = 10 * 1024 * 1024
    has_client_base_url: bool = False  # endpoint attachments need it
    filesystem_roots: dict[str, str] = {}  # root name -> absolute dir, {tenant_id} substituted
    reject_limit_mb: float | None = None  # large_file_config reject limit, when enabled


class ValidMessage(msgspec.Struct, frozen=True, kw_only=True):
    client_id: str
    tenant_id: str
    queue: QueueFields
    content: MessageContent
    message_id: str | None  # "<local@domain>"; None: generate one (new_message_id)


class Rejection(msgspec.Struct, frozen=True, omit_defaults=True):
    id: str | None
    reason: RejectionReason
    message: str
    field: str | None = None


def named_tenant(entry: object) -> str | None:
    """The tenant an entry names, if any: the caller answers 403 before validating anything."""
    if isinstance(entry, dict):
        value = entry.get("tenant_id")
        if isinstance(value, str):
            return value
    return None


def validate_entry(entry: object, ctx: ValidationContext) -> ValidMessage | Rejection:
    if not isinstance(entry, dict):
        return Rejection(None, "invalid_payload", "a message must be a JSON object")
    try:
        client_id = _client_id(entry)
    except Problem as problem:
        return Rejection(None, problem.reason, problem.message, problem.field)
    try:
        return _validate(entry, client_id, ctx)
    except Problem as problem:
        return Rejection(client_id, problem.reason, problem.message, problem.field)


def new_message_id(from_addr: str, message_id_domain: str | None = None) -> str:
    """``<uuid4-hex@domain>``, domain = the instance's message_id_domain or the From domain."""
    domain = message_id_domain or domain_of(parse_mailbox(from_addr).addr_spec)
    return f"<{uuid4().hex}@{domain}>"


def _validate(entry: dict[str, Any], client_id: str, ctx: ValidationContext) -> ValidMessage:
    known_keys(entry, _KEYS)
    tenant_id = optional_str(entry, "tenant_id")
    if tenant_id is not None and tenant_id != ctx.tenant_id:
        raise Problem.invalid("tenant_id", "names another tenant")
    account_id = required_str(entry, "account_id")
    if account_id not in ctx.account_ids:
        raise Problem("account_not_found", "account_id", f"no account {account_id!r} in this tenant")
    content, message_id = _content(entry, ctx)
    queue = QueueFields(
        account_id=account_id,
        priority=_priority(entry.get("priority"), ctx.default_priority),
        deferred_ts=_deferred_ts(entry.get("deferred_ts"), ctx.now),
        batch_code=_batch_code(entry),
    )
    return ValidMessage(
        client_id=client_id, tenant_id=ctx.tenant_id, queue=queue, content=content, message_id=message_id
    )


def _content(entry: dict[str, Any], ctx: ValidationContext) -> tuple[MessageContent, str | None]:
    from_addr = _from(entry)
    recipients = _recipients(entry, ctx.max_recipients_per_message)
    reply_to = optional_str(entry, "reply_to")
    return_path = optional_str(entry, "return_path")
    envelope = {
        "reply_to": None if reply_to is None else _mailbox(reply_to, "reply_to"),
        "return_path": None if return_path is None else _addr_spec(return_path, "return_path"),
    }
    message_id = _message_id(entry)
    content = MessageContent(
        from_addr=from_addr,
        subject=_subject(entry),
        **recipients,
        **envelope,
        **_body(entry, ctx.max_body_bytes),
        headers=_headers(entry),
        attachments=attachments(entry, ctx),
    )
    return content, message_id


def _client_id(entry: dict[str, Any]) -> str:
    value = entry.get("id")
    if value is None:
        raise Problem("missing_field", "id", "is required")
    if not isinstance(value, str) or not _CLIENT_ID.fullmatch(value):
        raise Problem.invalid("id", "must be 1-256 visible ASCII characters")
    return value


def _from(entry: dict[str, Any]) -> str:
    plain, alias = optional_str(entry, "from"), optional_str(entry, "from_addr")
    if plain is not None and alias is not None and plain != alias:
        raise Problem.invalid("from", "from and from_addr differ")
    raw = plain if plain is not None else alias
    if raw is None:
        raise Problem("missing_field", "from", "is required")
    return _mailbox(raw, "from")


def _recipients(entry: dict[str, Any], limit: int) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    total = 0
    for key in ("to", "cc", "bcc"):
        value = entry.get(key)
        if value is None and key == "to":
            raise Problem("missing_field", "to", "is required")
        found[key] = _address_list(value, key)
        if key == "to" and not found[key]:
            raise Problem.invalid("to", "needs at least one address")
        total += len(found[key])
        if total > limit:
            raise Problem.invalid(key, f"to, cc and bcc together exceed {limit} addresses")
    return found


def _address_list(value: object, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items = split_address_list(value)
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = value
    else:
        raise Problem.invalid(field, "must be a string or a list of strings")
    return [_mailbox(item, field) for item in items]


def _mailbox(text: str, field: str) -> str:
    try:
        return str(parse_mailbox(text))
    except AddressError as exc:
        raise Problem.invalid(field, str(exc)) from exc


def _addr_spec(text: str, field: str) -> str:
    """An envelope address: a display name is tolerated but dropped, SMTP has no room for it."""
    try:
        return parse_mailbox(text).addr_spec
    except AddressError as exc:
        raise Problem.invalid(field, str(exc)) from exc


def _message_id(entry: dict[str, Any]) -> str | None:
    raw = optional_str(entry, "message_id")
    if raw is None:
        return None
    value = raw.strip()
    if not value.startswith("<") and not value.endswith(">"):
        value = f"<{value}>"
    if len(value) > _MAX_MESSAGE_ID or not _MESSAGE_ID.fullmatch(value):
        raise Problem.invalid("message_id", "must look like <local@domain>")
    return value


def _subject(entry: dict[str, Any]) -> str:
    subject = required_str(entry, "subject")
    if not 1 <= len(subject) <= MAX_SUBJECT:
        raise Problem.invalid("subject", f"must be 1-{MAX_SUBJECT} characters")
    if "\r" in subject or "\n" in subject:
        raise Problem.invalid("subject", "must not contain CR or LF")
    return subject


def _body(entry: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    parts = {key: optional_str(entry, key) for key in ("body", "content_type", "html", "text")}
    content_type = parts.pop("content_type") or "plain"
    if content_type not in ("plain", "html"):
        raise Problem.invalid("content_type", "must be plain or html")
    for key, value in parts.items():
        # Sizes count UTF-8 bytes: that is what goes over the wire (before transfer encoding).
        if value is not None and len(value.encode("utf-8", "surrogatepass")) > max_bytes:
            raise Problem.invalid(key, f"larger than {max_bytes} bytes")
    for key in ("html", "text"):
        if parts["body"] and parts[key] is not None:
            raise Problem.invalid(key, f"{key} cannot be combined with a non-empty body")
    return {**parts, "body": parts["body"] or "", "content_type": content_type}


def _headers(entry: dict[str, Any]) -> list[tuple[str, str]]:
    value = entry.get("headers")
    if value is None:
        return []
    if not isinstance(value, dict):
        raise Problem.invalid("headers", "must be an object of strings")
    if len(value) > MAX_HEADERS:
        raise Problem.invalid("headers", f"at most {MAX_HEADERS} headers")
    for name, text in value.items():
        field = f"headers.{name}"
        if not _FIELD_NAME.fullmatch(name):
            raise Problem.invalid(field, "not an RFC 5322 header name")
        if name.lower() in RESERVED_HEADERS:
            raise Problem.invalid(field, "reserved header: set it with its own field")
        if not isinstance(text, str) or "\r" in text or "\n" in text:
            raise Problem.invalid(field, "must be a string without CR or LF")
    return list(value.items())


def _priority(value: object, default: int) -> int:
    if value is None:
        return default
    # bool is an int in Python, but true is not a priority.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        return value
    if isinstance(value, str) and value.lower() in PRIORITY_LABELS:
        return PRIORITY_LABELS[value.lower()]
    raise Problem.invalid("priority", "must be 0-3 or immediate, high, medium, low")


def _deferred_ts(value: object, now: float) -> float | None:
    """Not before this time. A time already past means "now", stored as no deferral at all."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Problem.invalid("deferred_ts", "must be a unix time (number) or null")
    if isinstance(value, float) and not math.isfinite(value):
        raise Problem.invalid("deferred_ts", "must be a finite number")
    if value > now + MAX_DEFER_SECONDS:
        raise Problem.invalid("deferred_ts", "at most 366 days ahead")
    return float(value) if value > now else None


def _batch_code(entry: dict[str, Any]) -> str | None:
    value = optional_str(entry, "batch_code")
    if value is not None and not _BATCH_CODE.fullmatch(value):
        raise Problem.invalid("batch_code", f"must match {BATCH_CODE_PATTERN}")
    return value
