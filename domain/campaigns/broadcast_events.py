"""The Broadcast's events (stored schema: topics never change). Kept apart from the
aggregate's commands so both stay small; ``Broadcast`` inherits them."""

from __future__ import annotations

from typing import Any, ClassVar

from domain.model import Aggregate


class BroadcastEvent(Aggregate.Event, frozen=True, kw_only=True):
    """Every later event names its broadcast's slug too (the audit log shows it)."""

    slug: str = ""


class BroadcastEvents:
    class Created(Aggregate.Created, frozen=True, kw_only=True):
        """Broadcast `slug` on template `template_slug` exists as a draft with `settings`
        (segment, recipient_cap, order, rate_per_minute, respect_recipient_timezone,
        schedule_timezone, stop_rules)."""

        TOPIC: ClassVar[str] = "Broadcast.Created"
        tenant_id: str
        slug: str
        name: str
        template_slug: str
        settings: dict[str, Any]

        def apply(self, b: Any) -> None:
            b.tenant_id, b.slug, b.name = self.tenant_id, self.slug, self.name
            b.template_slug = self.template_slug
            b.settings, b.status, b.confirmation = dict(self.settings), "draft", None
            b.scheduled_at = b.started_at = b.completed_at = b.template_version = None
            b.cursor, b.sent_total, b.wave_sends, b.mark, b.pause_reason = None, 0, 0, None, None
            b.walked = 0

    class Updated(BroadcastEvent, frozen=True, kw_only=True):
        """A draft's `changes` (name, template_slug or settings keys); the confirmation is cleared."""

        TOPIC: ClassVar[str] = "Broadcast.Updated"
        changes: dict[str, Any]

        def apply(self, b: Any) -> None:
            for key, value in self.changes.items():
                if key in ("name", "template_slug"):
                    setattr(b, key, value)
                else:
                    b.settings[key] = value
            b.confirmation = None

    class Confirmed(BroadcastEvent, frozen=True, kw_only=True):
        """The operator confirmed `confirmed_count`, equal to the live `recipient_count`."""

        TOPIC: ClassVar[str] = "Broadcast.Confirmed"
        confirmed_count: int
        recipient_count: int

        def apply(self, b: Any) -> None:
            b.confirmation = {"confirmed_count": self.confirmed_count, "confirmed_at": self.timestamp,
                              "confirmed_by": self.meta.actor, "recipient_count": self.recipient_count}

    class Scheduled(BroadcastEvent, frozen=True, kw_only=True):
        """Dispatch starts at `scheduled_at` (a past time: the next tick)."""

        TOPIC: ClassVar[str] = "Broadcast.Scheduled"
        scheduled_at: float
        schedule_timezone: str
        respect_recipient_timezone: bool

        def apply(self, b: Any) -> None:
            b.status, b.scheduled_at = "scheduled", self.scheduled_at
            b.settings["schedule_timezone"] = self.schedule_timezone
            b.settings["respect_recipient_timezone"] = self.respect_recipient_timezone

    class Unscheduled(BroadcastEvent, frozen=True, kw_only=True):
        """Back to draft; the confirmation is cleared."""

        TOPIC: ClassVar[str] = "Broadcast.Unscheduled"

        def apply(self, b: Any) -> None:
            b.status, b.scheduled_at, b.confirmation = "draft", None, None

    class Started(BroadcastEvent, frozen=True, kw_only=True):
        """Dispatch began: template version `template_version` is pinned; `eligible` is the
        recipient count found at the start."""

        TOPIC: ClassVar[str] = "Broadcast.Started"
        template_version: int
        eligible: int

        def apply(self, b: Any) -> None:
            b.status, b.template_version, b.started_at = "sending", self.template_version, self.timestamp
            b.mark, b.wave_sends = self.timestamp, 0

    class PageDispatched(BroadcastEvent, frozen=True, kw_only=True):
        """One fan-out page committed: `count` new sends, `walked` recipients looked at,
        `cursor` the order key of the last one ([rank, value, contactId]; value null when the order
        is by a personal field: the address or a field is never stored in clear)."""

        TOPIC: ClassVar[str] = "Broadcast.PageDispatched"
        cursor: list[Any]
        count: int
        walked: int

        def apply(self, b: Any) -> None:
            b.cursor, b.sent_total, b.wave_sends = list(self.cursor), b.sent_total + self.count, (
                b.wave_sends + self.count)
            b.walked = getattr(b, "walked", 0) + self.walked

    class Paused(BroadcastEvent, frozen=True, kw_only=True):
        """Fan-out stopped and waiting sends held: `code` manual|cap_reached|stop_rule|
        circuit_breaker|count_drift."""

        TOPIC: ClassVar[str] = "Broadcast.Paused"
        code: str
        message: str

        def apply(self, b: Any) -> None:
            b.status = "paused"
            b.pause_reason = {"code": self.code, "message": self.message, "at": self.timestamp}

    class Resumed(BroadcastEvent, frozen=True, kw_only=True):
        """Sending again with holds released; a new `recipient_cap` or `confirmed_count` if given.
        The throttle and the stop-rule sample start afresh."""

        TOPIC: ClassVar[str] = "Broadcast.Resumed"
        recipient_cap: int | None = None
        confirmed_count: int | None = None

        def apply(self, b: Any) -> None:
            b.status, b.pause_reason, b.mark, b.wave_sends = "sending", None, self.timestamp, 0
            if self.recipient_cap is not None:
                b.settings["recipient_cap"] = self.recipient_cap
            if self.confirmed_count is not None and b.confirmation is not None:
                b.confirmation = {**b.confirmation, "confirmed_count": self.confirmed_count}

    class StopRuleBreached(BroadcastEvent, frozen=True, kw_only=True):
        """A stop rule's rate went strictly above its threshold (`finding`); `paused` false when
        nothing was left to hold (recorded only)."""

        TOPIC: ClassVar[str] = "Broadcast.StopRuleBreached"
        finding: dict[str, Any]
        paused: bool

        def apply(self, b: Any) -> None:
            b.breaches = [*getattr(b, "breaches", []), {**self.finding, "at": self.timestamp}]

    class Cancelled(BroadcastEvent, frozen=True, kw_only=True):
        """Cancelled: `cancelled_sends` waiting sends were cancelled; in-flight ones finish."""

        TOPIC: ClassVar[str] = "Broadcast.Cancelled"
        cancelled_sends: int

        def apply(self, b: Any) -> None:
            b.status, b.completed_at = "cancelled", self.timestamp

    class Completed(BroadcastEvent, frozen=True, kw_only=True):
        """Every eligible recipient has its send: `recipient_count` sends in all."""

        TOPIC: ClassVar[str] = "Broadcast.Completed"
        recipient_count: int

        def apply(self, b: Any) -> None:
            b.status, b.completed_at, b.pause_reason = "sent", self.timestamp, None

    class Failed(BroadcastEvent, frozen=True, kw_only=True):
        """Dispatch raised `error`; nothing more is sent."""

        TOPIC: ClassVar[str] = "Broadcast.Failed"
        error: str

        def apply(self, b: Any) -> None:
            b.status, b.completed_at = "failed", self.timestamp
