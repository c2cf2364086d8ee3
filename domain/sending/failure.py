"""What went wrong in one delivery attempt, described without any I/O library's types.

Adapters (SMTP transport, attachment fetchers, MIME builder) turn their exceptions into an
``AttemptFailure``; ``domain.sending.classify`` decides from it whether the message retries
or fails, and with which ``error_code`` (spec proxy.md §6.4).
"""

from __future__ import annotations

from typing import Literal

import msgspec

FailureKind = Literal[
    "tls_certificate",  # certificate verification failed (expired, self-signed, unknown CA, name)
    "tls_unavailable",  # TLS protocol mismatch, or STARTTLS required and not offered
    "smtp_reply",  # the server answered with a 4xx/5xx reply (``code``, ``enhanced``)
    "network",  # DNS, refused, reset, timeout, pool wait timeout, aborted at the deadline
    "attachment_permanent",  # source 4xx (not 408/429), file missing, checksum, policy refusal
    "attachment_temporary",  # source 5xx/408/429, timeout, connection failure
    "attachment_too_large",  # over the tenant's reject limit or attachments.max_bytes
    "build",  # the MIME message could not be built
    "other",  # anything else (temporary)
]


class AttemptFailure(msgspec.Struct, frozen=True, omit_defaults=True):
    kind: FailureKind
    text: str  # human text, e.g. "SMTP 550 5.1.1 user unknown"; never contains secrets
    code: int | None = None  # SMTP reply code
    enhanced: str | None = None  # enhanced status code, e.g. "5.1.1"
