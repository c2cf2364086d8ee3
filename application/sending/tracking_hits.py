"""Tracking hits and one-click unsubscribes on a message (console.md §10).

The caller (the public ``/t`` routes) has checked the signature; this loads the message,
judges bots against its ``sent_ts`` and appends the event. A hit on a message that was
never sent, or past the link lifetime, records nothing.
"""

from __future__ import annotations

from uuid import UUID

from application.base import CommandMeta
from application.sending.app import SendingApplication
from domain.errors import RuleViolation
from domain.sending.bots import BotRules, bot_reason
from domain.sending.message import Message

LIFETIME_SECONDS = 365 * 86400


class TrackingRecorder:
    def __init__(self, sending: SendingApplication, rules: BotRules = BotRules()) -> None:
        self.sending, self.rules = sending, rules

    def message(self, pk: UUID) -> Message | None:
        found = self.sending.get_messages([pk])
        return found[0] if found else None

    def live(self, message: Message, now: float) -> bool:
        sent = message.sent_ts
        return sent is not None and now - sent <= LIFETIME_SECONDS

    def hit(
        self,
        message: Message,
        kind: str,
        meta: CommandMeta,
        *,
        user_agent: str | None,
        sealed_ua: str | None,
        sealed_ip: str | None,
        ip: str | None,
        link_id: str | None = None,
        url: str | None = None,
    ) -> int:
        """Record an open or a click; returns the position (0: nothing recorded)."""
        now = self.sending.clock.now()
        if not self.live(message, now):
            return 0
        reason = bot_reason(kind, user_agent, ip, message.sent_ts, now, self.rules)  # type: ignore[arg-type]
        try:
            with self.sending.under(meta, message.tenant_id):
                if kind == "open":
                    message.record_open(at=now, bot_reason=reason, user_agent=sealed_ua, ip=sealed_ip)
                else:
                    message.record_click(
                        at=now,
                        link_id=link_id,
                        url=url,
                        bot_reason=reason,
                        user_agent=sealed_ua,
                        ip=sealed_ip,
                    )
                return self.sending.record(message)
        except RuleViolation:
            return 0

    def unsubscribed(self, message: Message, source: str, meta: CommandMeta) -> int:
        try:
            with self.sending.under(meta, message.tenant_id):
                changed = message.record_unsubscribe(source)
                return self.sending.record(message) if changed else 0
        except RuleViolation:
            return 0
