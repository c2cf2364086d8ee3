"""The Broadcast aggregate: one mailing to a segment, from draft to sent (console.md §9.2).

Status moves draft -> scheduled -> sending -> sent, with paused (manual, cap_reached,
stop_rule, circuit_breaker, count_drift), cancelled and failed on the side. The fan-out
records each committed page as ``PageDispatched {cursor, count}``: the cursor is the sort key
of the page's last recipient, so after a crash the walk resumes right after it, and the
page whose sends were saved but not recorded runs again harmlessly (deterministic dedupe
keys). ``wave_sends`` counts sends since the last start/resume (throttle offsets) and
``mark`` is that start, from which the stop-rule sample counts.
"""

from __future__ import annotations

from typing import Any, ClassVar

from domain.campaigns.broadcast_events import BroadcastEvents
from domain.campaigns.broadcast_ids import broadcast_uuid
from domain.campaigns.broadcast_rules import CONFIRMATION_MAX_AGE, refused
from domain.model import Aggregate

FINISHED = ("cancelled", "failed")


class Broadcast(Aggregate):
    TOPIC: ClassVar[str] = "Broadcast"
    # nested here so the aggregate registers them (their classes live in broadcast_events.py)
    Created = BroadcastEvents.Created
    Updated = BroadcastEvents.Updated
    Confirmed = BroadcastEvents.Confirmed
    Scheduled = BroadcastEvents.Scheduled
    Unscheduled = BroadcastEvents.Unscheduled
    Started = BroadcastEvents.Started
    PageDispatched = BroadcastEvents.PageDispatched
    Paused = BroadcastEvents.Paused
    Resumed = BroadcastEvents.Resumed
    StopRuleBreached = BroadcastEvents.StopRuleBreached
    Cancelled = BroadcastEvents.Cancelled
    Completed = BroadcastEvents.Completed
    Failed = BroadcastEvents.Failed

    tenant_id: str
    slug: str
    name: str
    template_slug: str
    settings: dict[str, Any]
    status: str
    confirmation: dict[str, Any] | None
    scheduled_at: float | None
    started_at: float | None
    completed_at: float | None
    template_version: int | None
    cursor: list[Any] | None
    sent_total: int
    wave_sends: int
    mark: float | None
    walked: int
    pause_reason: dict[str, Any] | None

    @classmethod
    def create(cls, tenant_id: str, slug: str, name: str, template_slug: str, settings: dict[str, Any],
               existing: Broadcast | None) -> Broadcast:
        if existing is not None:
            raise refused("slug_taken", f"broadcast {slug} exists")
        return cls._create(cls.Created, id=broadcast_uuid(tenant_id, slug), tenant_id=tenant_id,
                           slug=slug, name=name, template_slug=template_slug, settings=settings)

    def update(self, changes: dict[str, Any]) -> bool:
        if self.status != "draft":
            raise refused("not_draft", f"broadcast {self.slug} is {self.status}")
        current = {"name": self.name, "template_slug": self.template_slug, **self.settings}
        changes = {k: v for k, v in changes.items() if current.get(k) != v}
        if not changes:
            return False
        self.trigger_event(self.Updated, changes=changes)
        return True

    def confirm(self, confirmed: int, live: int) -> None:
        if self.status != "draft":
            raise refused("not_draft", f"broadcast {self.slug} is {self.status}")
        if confirmed != live:
            raise refused("count_mismatch", f"the live recipient count is {live}", recipientCount=live)
        if live == 0:
            raise refused("no_recipients", "the segment has no eligible recipients")
        self.trigger_event(self.Confirmed, confirmed_count=confirmed, recipient_count=live)

    def schedule(self, at: float, zone: str, respect: bool, now: float) -> None:
        confirmed = self.confirmation
        stale = confirmed is None or now - confirmed["confirmed_at"] > CONFIRMATION_MAX_AGE
        if self.status != "draft" or stale:
            raise refused("not_confirmed", "confirm the recipient count (within the last 60 minutes) first")
        self.trigger_event(self.Scheduled, scheduled_at=at, schedule_timezone=zone,
                           respect_recipient_timezone=respect)

    def unschedule(self) -> None:
        if self.status != "scheduled":
            raise refused("not_scheduled", f"broadcast {self.slug} is {self.status}")
        self.trigger_event(self.Unscheduled)

    def start(self, template_version: int, eligible: int) -> None:
        self.trigger_event(self.Started, template_version=template_version, eligible=eligible)

    def dispatched(self, cursor: list[Any], count: int, walked: int) -> None:
        self.trigger_event(self.PageDispatched, cursor=cursor, count=count, walked=walked)

    def pause(self, code: str, message: str) -> None:
        self.trigger_event(self.Paused, code=code, message=message)

    def pausable(self, waiting: int) -> bool:
        return self.status == "sending" or (self.status == "sent" and waiting > 0)

    def resume(self, recipient_cap: int | None, confirmed_count: int | None) -> None:
        self.trigger_event(self.Resumed, recipient_cap=recipient_cap, confirmed_count=confirmed_count)

    def breach(self, finding: dict[str, Any], paused: bool) -> None:
        self.trigger_event(self.StopRuleBreached, finding=finding, paused=paused)

    def cancel(self, cancelled: int) -> None:
        self.trigger_event(self.Cancelled, cancelled_sends=cancelled)

    def complete(self) -> None:
        self.trigger_event(self.Completed, recipient_count=self.sent_total)

    def fail(self, error: str) -> None:
        self.trigger_event(self.Failed, error=error[:500])

    def trigger_event(self, event_class: type[Aggregate.Event], **kwargs: Any) -> None:
        super().trigger_event(event_class, slug=self.slug, **kwargs)

    @property
    def cap(self) -> int | None:
        cap = self.settings.get("recipient_cap")
        return int(cap) if cap is not None else None

    def room(self) -> int | None:
        """Sends the cap still allows (None: no cap)."""
        cap = self.cap
        return None if cap is None else max(0, cap - self.sent_total)
