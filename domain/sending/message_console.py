"""Console sends' own states: held (a set of holds), released, suppressed (console.md §2.3).

A hold (``health:<bucketId>`` while a health bucket is tripped, ``broadcast:<id>`` while a
broadcast is paused) keeps a waiting send from being claimed; holds form a set and the send
is released to its queue when the set empties. A send the decision table refuses (a
suppression, no consent) ends ``suppressed`` and never reaches SMTP. These happen at
enqueue, when a bucket trips or a broadcast pauses, and again right before an attempt
(the re-check of rules 4-7), which is why ``hold`` and ``suppress`` accept the attempt in
flight: the attempt ends without an SMTP transaction and counts no retry.
"""

from __future__ import annotations

from typing import Any, ClassVar

from domain.errors import NotDispatchable
from domain.sending.message_state import WAITING, MessageEvent

HOLDABLE = (*WAITING, "held")


class Held(MessageEvent, frozen=True, kw_only=True):
    """`hold` now keeps the send from being claimed; `holds` is the whole set after it. An
    attempt in flight (`attempt`, else null) ended here, before any SMTP transaction."""

    TOPIC: ClassVar[str] = "Message.Held"
    hold: str
    holds: list[str]
    attempt: int | None = None

    def apply(self, msg: Any) -> None:
        msg.holds = list(self.holds)
        msg.status, msg.lease = "held", None


class Released(MessageEvent, frozen=True, kw_only=True):
    """`hold` was lifted; `holds` is the set left. An empty set puts the send back in its
    queue (pending, or deferred until its own not-before time)."""

    TOPIC: ClassVar[str] = "Message.Released"
    hold: str
    holds: list[str]

    def apply(self, msg: Any) -> None:
        msg.holds = list(self.holds)
        if not self.holds:
            waiting = msg.deferred_until is not None and msg.deferred_until > self.timestamp
            msg.status = "deferred" if waiting else "pending"
            if not waiting:
                msg.deferred_until = msg.deferred_reason = None


class Suppressed(MessageEvent, frozen=True, kw_only=True):
    """Refused by the console's decision table (terminal, never sent): `status_reason`
    `suppressed:<reason>` (a suppression of scope all or the send's kind) or
    `not_subscribed` (marketing without consent); `attempt` as for `Held`."""

    TOPIC: ClassVar[str] = "Message.Suppressed"
    status_reason: str
    attempt: int | None = None

    def apply(self, msg: Any) -> None:
        msg.status, msg.lease, msg.holds = "suppressed", None, []
        msg.deferred_until = msg.deferred_reason = None
        msg.error_code, msg.error = "suppressed", self.status_reason


class ConsoleCommands:
    """Mixed into ``Message``; state and events are reached through ``self``."""

    def hold(self: Any, hold: str, *, attempt: int | None = None) -> bool:
        """Add ``hold``; False (nothing appended) when the send already has it. With
        ``attempt`` the attempt in flight ends held; without, the send must be waiting."""
        if attempt is not None:
            self._in_flight(attempt)
        elif self.status not in HOLDABLE:
            raise NotDispatchable(f"message {self.client_id} is {self.status}: only a waiting send is held")
        if hold in self.holds and attempt is None:
            return False
        holds = sorted({*self.holds, hold})
        self.trigger_event(self.Held, hold=hold, holds=holds, attempt=attempt)
        return True

    def release(self: Any, hold: str) -> bool:
        """Lift ``hold``; False when the send does not have it (or is no longer held)."""
        if hold not in self.holds or self.status != "held":
            return False
        self.trigger_event(self.Released, hold=hold, holds=sorted(set(self.holds) - {hold}))
        return True

    def suppress(self: Any, status_reason: str, *, attempt: int | None = None) -> None:
        if attempt is not None:
            self._in_flight(attempt)
        elif self.status not in HOLDABLE:
            raise NotDispatchable(f"message {self.client_id} is {self.status}: too late to suppress it")
        self.trigger_event(self.Suppressed, status_reason=status_reason, attempt=attempt)
