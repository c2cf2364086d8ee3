"""The one bounce classification table (spec proxy.md §10.2), shared by every intake path.

SMTP refusals at RCPT (the dispatcher), DSN recipient blocks, heuristic bounce mails and
the console's normalised webhooks all reduce to (enhanced status, SMTP reply code, text)
and go through ``classify_bounce``, so one address never reads hard on one path and soft
on another.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from domain.sending.classify import enhanced_code
from domain.sending.message_state import BounceCategory, BounceType

HARD_RECIPIENT = frozenset({"5.1.1", "5.1.2", "5.1.3", "5.1.10", "5.5.0"})
UNKNOWN_RECIPIENT_REPLIES = frozenset({550, 551, 553})
_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY = re.compile(r"(?<![\d.])([45]\d\d)(?=[\s\-])")
_UNKNOWN_USER = re.compile(
    r"\b(?:user|mailbox|recipient|address|account)\b.{0,40}?"
    r"\b(?:unknown|invalid|nonexistent|non-existent|does not exist|doesn't exist|not found|disabled)\b"
    r"|\b(?:unknown|invalid|nonexistent|non-existent|no such)\s+(?:user|mailbox|recipient|address|account)\b"
    r"|\bno mailbox here\b|\bno such (?:user|person|mailbox)\b"
    r"|\b(?:user|recipient) doesn't have an? \S+ account\b",
    re.IGNORECASE)
_MAILBOX_FULL = re.compile(r"\b(?:mailbox|inbox|mail ?box|account)\b.{0,30}?\b(?:full|over ?quota)\b"
                           r"|\bquota exceeded\b|\bover quota\b|\binsufficient (?:disk )?space\b",
                           re.IGNORECASE)


class BounceVerdict(NamedTuple):
    bounce_type: BounceType
    bounce_code: str | None  # the enhanced status code, e.g. ``5.1.1``
    category: BounceCategory

    @property
    def suppresses(self) -> bool:
        """Only a bad address suppresses it; policy, mailbox and system failures never do."""
        return self.bounce_type == "hard"


def find_enhanced(text: str) -> str | None:
    """The first RFC 3463 enhanced status code (``[245].d.d``) in ``text``."""
    found = _ENHANCED.search(text)
    return ".".join(found.groups()) if found else None


def find_reply(text: str) -> int | None:
    """The first SMTP reply code (``[45]dd``) in ``text``."""
    found = _REPLY.search(text)
    return int(found.group(1)) if found else None


def classify_bounce(status: str | None, reply: int | None, text: str = "", *,
                    delayed: bool = False) -> BounceVerdict:
    """First match wins, in the order of the spec's table. ``status``: the enhanced code
    (None when there is none); ``reply``: the SMTP reply code; ``text``: the diagnostic.
    ``delayed``: a DSN ``Action: delayed`` block, never worse than soft."""
    if status is None and _MAILBOX_FULL.search(text):
        # "mailbox full" without a code still reads as 5.2.2 (4.2.2 while it is retried)
        status = "4.2.2" if delayed or (reply is not None and 400 <= reply <= 499) else "5.2.2"
    verdict = _table(status, reply, text)
    if delayed and verdict.bounce_type == "hard":
        return BounceVerdict("soft", verdict.bounce_code, "transient")
    return verdict


def _table(status: str | None, reply: int | None, text: str) -> BounceVerdict:
    klass, subject = (status.split(".")[:2] if status else (None, None))
    if status in HARD_RECIPIENT:
        return BounceVerdict("hard", status, "recipient")
    if subject == "7":
        return BounceVerdict("soft", status, "policy")
    if status == "5.2.2":
        return BounceVerdict("soft", status, "mailbox")
    if status in (None, "5.0.0") and (reply in UNKNOWN_RECIPIENT_REPLIES or _UNKNOWN_USER.search(text)):
        return BounceVerdict("hard", status, "recipient")
    if klass == "5" or (status is None and reply is not None and 500 <= reply <= 599):
        return BounceVerdict("soft", status, "other")
    if klass == "4" or (status is None and reply is not None and 400 <= reply <= 499):
        return BounceVerdict("soft", status, "transient")
    return BounceVerdict("soft", status, "unknown")


def classify_refusal(code: int, text: str) -> BounceVerdict:
    """An SMTP reply (``550``, ``5.1.1 user unknown``) refusing one recipient at RCPT."""
    return classify_bounce(enhanced_code(text), code, text)
