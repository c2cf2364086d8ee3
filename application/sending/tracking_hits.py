"""Tracking hits and one-click unsubscribes on a message (console.md §10).

The caller (the public ``/t`` routes) has checked the signature; this loads the message,
judges bots against its ``sent_ts`` and appends the event. A hit on a message that was
never sent, or past the link lifetime, records nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.base import CommandMeta
from application.sending.app import SendingApplication
from domain.errors import RuleViolation
from domain.sending.bots import BotRules, bot_reason
from domain.sending.message import Message

LIFETIME_SECONDS = 365 * 86400
ATTEMPTS = 5  # appends racing on one message (two hits, a bounce): each retry reloads it
log = logging.getLogger(__name__)


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

        def append(msg: Message) -> int:
            if kind == "open":
                msg.record_open(at=now, bot_reason=reason, user_agent=sealed_ua, ip=sealed_ip)
            else:
                msg.record_click(at=now, link_id=link_id, url=url, bot_reason=reason,
                                 user_agent=sealed_ua, ip=sealed_ip)
            return self.sending.record(msg)

        return self._appended(message, meta, append)

    def unsubscribed(self, message: Message, source: str, meta: CommandMeta) -> int:
        return self._appended(message, meta, lambda msg: self.sending.record(msg)
                              if msg.record_unsubscribe(source) else 0)

    def _appended(self, message: Message, meta: CommandMeta, append: Callable[[Message], int]) -> int:
        """``append`` on ``message``, again on a fresh copy when another writer appended to it
        first (the load test's two API processes made pixels answer 500 on that race)."""
        for _ in range(ATTEMPTS):
            try:
                with self.sending.under(meta, message.tenant_id):
                    return append(message)
            except RuleViolation:
                return 0
            except IntegrityError:
                fresh = self.message(message.id)
                if fresh is None:
                    return 0
                message = fresh
        log.warning("tracking: message %s kept changing; hit not recorded", message.id)
        return 0
