"""What a parser reads out of one inbound report mail (spec proxy.md §10.2), before it is
correlated to a message. Plain values: the parsers (``adapters.bounces``) build them, the
intake (``application.sending.bounce_intake``) classifies and correlates them."""

from __future__ import annotations

from typing import Literal

import msgspec

from domain.bounces.classify import BounceVerdict, classify_bounce

ReportKind = Literal["bounce", "complaint", "ignored"]
ReportFormat = Literal["dsn", "arf", "other", "none"]  # how it was recognised
COMPLAINT_TYPES = frozenset({"abuse", "fraud", "virus", "other"})  # not-spam is ignored
REASON_MAX = 500


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One recipient of a bounce: a DSN block, or what a heuristic found in a plain mail."""

    email: str
    status: str | None = None  # enhanced status code, e.g. "5.1.1"
    reply: int | None = None  # SMTP reply code in the diagnostic, e.g. 550
    action: str | None = None  # DSN Action (failed, delayed)
    reason: str = ""  # the diagnostic text, at most REASON_MAX characters

    def verdict(self) -> BounceVerdict:
        return classify_bounce(self.status, self.reply, self.reason, delayed=self.action == "delayed")


class References(msgspec.Struct, frozen=True, kw_only=True):
    """Everything that can tie a report to the message it is about (spec §10.3), in order."""

    ledgermail_ids: list[str] = msgspec.field(default_factory=list)  # X-Ledgermail-Id values
    envelope_to: list[str] = msgspec.field(default_factory=list)  # Delivered-To, X-Original-To, To, ...
    message_ids: list[str] = msgspec.field(default_factory=list)  # the original's Message-ID


class ParsedReport(msgspec.Struct, frozen=True, kw_only=True):
    kind: ReportKind
    format: ReportFormat
    identity: str  # the report's Message-ID, else "sha256:<hex of its raw bytes>"
    findings: list[Finding] = msgspec.field(default_factory=list)  # bounces
    complaint_type: str | None = None  # ARF Feedback-Type, lower-cased
    complainants: list[str] = msgspec.field(default_factory=list)  # ARF Original-Rcpt-To, else To
    references: References = msgspec.field(default_factory=References)
    why: str = ""  # for an ignored mail: why it is not a report
