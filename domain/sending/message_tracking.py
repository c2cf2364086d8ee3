"""What happens to a message after it left: delivery reports, opens, clicks, unsubscribes.

console.md §2.1, §6, §10. The events are declared here and bound into ``Message`` (so
their topics are ``Message.*`` and the aggregate folds them); the commands are a mixin.
They never change the proxy ``status``: the console's send status is derived from them.
``at`` is when it happened (the hit, or a webhook's ``occurredAt``); ``timestamp`` when
it was recorded. User agents and IPs arrive sealed (personal data, §2.4).
"""

from __future__ import annotations

from typing import Any, ClassVar

from domain.errors import NotAttempted
from domain.model import current_context
from domain.sending.message_state import MessageEvent


class Delivered(MessageEvent, frozen=True, kw_only=True):
    """The receiving side reported delivery (`source` e.g. `webhook:mta`; `outcome_id`
    the outcome item's id)."""

    TOPIC: ClassVar[str] = "Message.Delivered"
    at: float
    source: str
    outcome_id: str | None

    def apply(self, msg: Any) -> None:
        msg.delivered_ts = self.at


class Opened(MessageEvent, frozen=True, kw_only=True):
    """The tracking pixel was loaded (or a webhook said so): `bot` with `bot_reason` when a
    scanner, privacy proxy or too-fast client did it; `user_agent`/`ip` sealed (`ip` cut to
    /24 or /48 first), null when absent."""

    TOPIC: ClassVar[str] = "Message.Opened"
    HISTORY_OMIT: ClassVar[tuple[str, ...]] = ("user_agent", "ip")
    at: float
    bot: bool
    bot_reason: str | None
    source: str  # "pixel" or "webhook:<source>"
    user_agent: str | None
    ip: str | None


class Clicked(MessageEvent, frozen=True, kw_only=True):
    """A tracked link `link_id` (to `url`) was followed; flags as for `Opened`."""

    TOPIC: ClassVar[str] = "Message.Clicked"
    HISTORY_OMIT: ClassVar[tuple[str, ...]] = ("user_agent", "ip")
    at: float
    link_id: str | None
    url: str | None
    bot: bool
    bot_reason: str | None
    source: str  # "link" or "webhook:<source>"
    user_agent: str | None
    ip: str | None


class UnsubscribeRecorded(MessageEvent, frozen=True, kw_only=True):
    """The recipient unsubscribed through this message (`source` `one_click`, `page` or
    `webhook:<source>`); recorded once per message."""

    TOPIC: ClassVar[str] = "Message.UnsubscribeRecorded"
    at: float
    source: str

    def apply(self, msg: Any) -> None:
        msg.unsubscribed_ts = self.at


class TrackingCommands:
    """Mixed into ``Message``; its state and events are reached through ``self``."""

    def record_delivered(self: Any, source: str, at: float, outcome_id: str | None = None) -> bool:
        """False when delivery was already reported (nothing appended)."""
        self._attempted()
        if getattr(self, "delivered_ts", None) is not None:
            return False
        self.trigger_event(self.Delivered, at=at, source=source, outcome_id=outcome_id)
        return True

    def record_open(
        self: Any,
        *,
        at: float,
        bot_reason: str | None,
        source: str = "pixel",
        user_agent: str | None = None,
        ip: str | None = None,
    ) -> None:
        self._attempted()
        self.trigger_event(
            self.Opened,
            at=at,
            bot=bot_reason is not None,
            bot_reason=bot_reason,
            source=source,
            user_agent=user_agent,
            ip=ip,
        )

    def record_click(
        self: Any,
        *,
        at: float,
        link_id: str | None,
        url: str | None,
        bot_reason: str | None,
        source: str = "link",
        user_agent: str | None = None,
        ip: str | None = None,
    ) -> None:
        self._attempted()
        self.trigger_event(
            self.Clicked,
            at=at,
            link_id=link_id,
            url=url,
            bot=bot_reason is not None,
            bot_reason=bot_reason,
            source=source,
            user_agent=user_agent,
            ip=ip,
        )

    def record_unsubscribe(self: Any, source: str, at: float | None = None) -> bool:
        """False when this message already recorded an unsubscribe."""
        if getattr(self, "unsubscribed_ts", None) is not None:
            return False
        if self.attempts == 0:
            raise NotAttempted(f"message {self.client_id} was never attempted")
        self.trigger_event(
            self.UnsubscribeRecorded, at=current_context().now if at is None else at, source=source
        )
        return True
