"""Audit entries of the ``broadcasts`` log (console.md §1.5): one per lifecycle change,
named after its endpoint (``broadcast.create|update|confirm|schedule|unschedule|pause|
resume|cancel``), plus the automatic ``broadcast.start``, ``broadcast.auto_pause`` (stop
rules, the circuit breaker, the cap, count drift), ``broadcast.stop_rule`` (a breach with
nothing left to hold), ``broadcast.complete`` and ``broadcast.fail``. Pages dispatched make
no entry. Pure functions of one event, in the shape ``console_audit_map.Entry`` takes."""

from __future__ import annotations

from typing import Any

from domain.campaigns.broadcast import Broadcast

SETTINGS = {"segment": "segment", "recipient_cap": "recipientCap", "order": "order",
            "rate_per_minute": "ratePerMinute", "respect_recipient_timezone": "respectRecipientTimezone",
            "schedule_timezone": "scheduleTimezone", "stop_rules": "stopRules", "name": "name",
            "template_slug": "templateSlug"}
BROADCAST_TOPICS = frozenset(cls.TOPIC for cls in (
    Broadcast.Created, Broadcast.Updated, Broadcast.Confirmed, Broadcast.Scheduled, Broadcast.Unscheduled,
    Broadcast.Started, Broadcast.Paused, Broadcast.Resumed, Broadcast.StopRuleBreached, Broadcast.Cancelled,
    Broadcast.Completed, Broadcast.Failed))


def _camel(values: dict[str, Any]) -> dict[str, Any]:
    return {SETTINGS.get(k, k): v for k, v in values.items()}


def _simple(e: Any) -> tuple[str, dict[str, Any] | None, dict[str, Any]] | None:
    if isinstance(e, Broadcast.Created):
        return "broadcast.create", None, {"name": e.name, "templateSlug": e.template_slug,
                                          **_camel(e.settings), "status": "draft"}
    if isinstance(e, Broadcast.Updated):
        return "broadcast.update", None, _camel(e.changes)
    if isinstance(e, Broadcast.Confirmed):
        return "broadcast.confirm", None, {"confirmedCount": e.confirmed_count}
    if isinstance(e, Broadcast.Scheduled):
        return "broadcast.schedule", {"status": "draft"}, {"status": "scheduled",
                                                           "scheduledAt": e.scheduled_at}
    if isinstance(e, Broadcast.Unscheduled):
        return "broadcast.unschedule", {"status": "scheduled"}, {"status": "draft"}
    if isinstance(e, Broadcast.Started):
        return "broadcast.start", {"status": "scheduled"}, {"status": "sending",
                                                            "templateVersion": e.template_version}
    if isinstance(e, Broadcast.Resumed):
        return "broadcast.resume", {"status": "paused"}, {"status": "sending",
                                                          "recipientCap": e.recipient_cap}
    if isinstance(e, Broadcast.Cancelled):
        return "broadcast.cancel", None, {"status": "cancelled", "cancelledSends": e.cancelled_sends}
    if isinstance(e, Broadcast.Completed):
        return "broadcast.complete", None, {"status": "sent", "recipientCount": e.recipient_count}
    if isinstance(e, Broadcast.Failed):
        return "broadcast.fail", None, {"status": "failed", "error": e.error[:200]}
    return None


def broadcast_entry(e: Any) -> dict[str, Any] | None:
    base = dict(resource_type="broadcast", resource_id=str(e.originator_id),
                resource_slug=getattr(e, "slug", None) or None)
    if isinstance(e, Broadcast.Paused):
        manual = e.code == "manual"
        return dict(action="broadcast.pause" if manual else "broadcast.auto_pause", before=None,
                    after={"status": "paused", "pauseReason": e.code, "message": e.message[:200]}, **base)
    if isinstance(e, Broadcast.StopRuleBreached):
        if e.paused:
            return None  # its Paused event is the broadcast.auto_pause entry
        finding = {k: e.finding.get(k) for k in ("rule", "rate", "sample")}
        return dict(action="broadcast.stop_rule", after=finding, **base)
    found = _simple(e)
    if found is None:
        return None
    action, before, after = found
    return dict(action=action, before=before, after=after, **base)
