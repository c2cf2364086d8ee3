"""Which attempt failures retry and which end the message (spec proxy.md §6.4), and how an
SMTP reply reads in an error text (``SMTP 550 5.1.1 user unknown``)."""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from domain.sending.failure import AttemptFailure, FailureKind

ErrorCode = Literal[
    "account_not_found",  # the account was deleted after enqueue (§6.3 step 1)
    "recipient_suppressed",  # every recipient is on the tenant's suppression list
    "attachment_failed",  # permanent attachment fetch failure (§6.4 rule 7)
    "attachment_too_large",  # over the tenant's large-file reject limit or attachments.max_bytes
    "build_failed",  # the MIME message could not be built
    "vars_invalid",  # a console send's variables break its template's schema (console.md §2.3 rule 3)
    "render_failed",  # a console send's template failed to render at its attempt
    "contact_forgotten",  # a console send's contact was forgotten: nothing can be opened to send
    "tls_certificate",
    "tls_unavailable",
    "smtp_auth",  # 530, 534, 535
    "smtp_permanent",  # any other 5xx
    "retries_exhausted",  # a temporary failure with no retry left
    "rate_limit_exceeded",  # a limit in ``reject`` mode was full at claim time
]

AUTH_REPLIES = frozenset({530, 534, 535})

# Kinds that end the message whatever the details (rules 1, 2, 7 and the pipeline's own).
_PERMANENT_KINDS: dict[FailureKind, ErrorCode] = {
    "tls_certificate": "tls_certificate",
    "tls_unavailable": "tls_unavailable",
    "attachment_permanent": "attachment_failed",
    "attachment_too_large": "attachment_too_large",
    "build": "build_failed",
}

_ENHANCED = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})(?=\s|$)")


class Classification(NamedTuple):
    temporary: bool
    error_code: ErrorCode  # the code the message fails with (for a temporary one: once exhausted)


def classify(failure: AttemptFailure) -> Classification:
    """Rules of §6.4 in order; the first match wins. Unknown or code-less failures retry."""
    permanent = _PERMANENT_KINDS.get(failure.kind)
    if permanent is not None:
        return Classification(False, permanent)
    if failure.kind == "smtp_reply" and failure.code is not None:
        if failure.code in AUTH_REPLIES:
            return Classification(False, "smtp_auth")
        if 500 <= failure.code <= 599:
            return Classification(False, "smtp_permanent")
    # 4xx replies, network errors, temporary attachment failures and anything else (rules 4, 6, 8, 9)
    return Classification(True, "retries_exhausted")


def is_temporary_reply(failure: AttemptFailure) -> bool:
    """A 4xx SMTP reply: the only failure whose text may carry a retry hint."""
    return failure.kind == "smtp_reply" and failure.code is not None and 400 <= failure.code <= 499


def enhanced_code(text: str) -> str | None:
    """The enhanced status code (RFC 3463) a reply text starts with, e.g. ``5.1.1``."""
    found = _ENHANCED.match(text.strip())
    return found.group(1) if found else None


def smtp_error_text(code: int, text: str, enhanced: str | None = None) -> str:
    """``SMTP <code> [<enhanced>] <text>`` on one line. A multi-line reply repeats its enhanced
    code on every line; it is shown once, so error texts stay readable in reports."""
    enhanced = enhanced or enhanced_code(text)
    lines = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if enhanced and enhanced_code(line) == enhanced:
            line = line[len(enhanced):].lstrip()
        if line:
            lines.append(line)
    return " ".join(["SMTP", str(code), *([enhanced] if enhanced else []), *lines])
