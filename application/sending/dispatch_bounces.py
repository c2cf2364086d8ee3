"""How a recipient refused at RCPT reads as a bounce (spec proxy.md §10.2, for SMTP replies).

The bounce-intake work will own the full classification (DSNs, ARF, heuristic bounce
mails); until it lands in the domain, the SMTP-reply part of its table lives here so a
``550 5.1.1`` refusal already records a hard ``recipient`` bounce.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from domain.sending.classify import enhanced_code
from domain.sending.message_state import BounceCategory, BounceType

_HARD_RECIPIENT = frozenset({"5.1.1", "5.1.2", "5.1.3", "5.1.10", "5.5.0"})
_UNKNOWN_USER = re.compile(
    r"\b(?:user|mailbox|recipient|address)\b.{0,40}"
    r"\b(?:unknown|invalid|nonexistent|does not exist|not found)\b"
    r"|\b(?:unknown|invalid|nonexistent)\s+(?:user|mailbox|recipient|address)\b",
    re.IGNORECASE)


class BounceVerdict(NamedTuple):
    bounce_type: BounceType
    bounce_code: str | None
    category: BounceCategory


def classify_refusal(code: int, text: str) -> BounceVerdict:
    """First match wins, in the order of the spec's table."""
    enhanced = enhanced_code(text)
    if enhanced in _HARD_RECIPIENT:
        return BounceVerdict("hard", enhanced, "recipient")
    if enhanced is not None and enhanced.split(".")[1] == "7":
        return BounceVerdict("soft", enhanced, "policy")
    if enhanced == "5.2.2":
        return BounceVerdict("soft", enhanced, "mailbox")
    if enhanced in (None, "5.0.0") and (code in (550, 551, 553) or _UNKNOWN_USER.search(text)):
        return BounceVerdict("hard", enhanced, "recipient")
    if (enhanced or "").startswith("5.") or 500 <= code <= 599:
        return BounceVerdict("soft", enhanced, "other")
    if (enhanced or "").startswith("4.") or 400 <= code <= 499:
        return BounceVerdict("soft", enhanced, "transient")
    return BounceVerdict("soft", enhanced, "unknown")
