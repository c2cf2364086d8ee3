"""Audit entries of the provider feeds and hygiene (console.md §1.5, §14, §15): a forced
``postmaster.refresh`` / ``snds.refresh`` (its answer), ``hygiene.sunset`` and
``hygiene.revert``. Trips are the health code's ``health.trip`` (actor ``system:postmaster``
or ``system:snds``). Pure functions of one event, in the shape
``projections.console_audit_map.Entry`` takes (``Entry(**found)``)."""

from __future__ import annotations

from typing import Any

from domain.reputation.hygiene import SunsetRun
from domain.reputation.postmaster import FeedRun

POSTMASTER_TOPICS = frozenset(
    (FeedRun.Completed.TOPIC, SunsetRun.Started.TOPIC, SunsetRun.Reverted.TOPIC))


def postmaster_entry(e: Any) -> dict[str, Any] | None:
    ident = str(e.originator_id)
    if isinstance(e, FeedRun.Completed):
        summary = {k: v for k, v in e.summary.items() if k != "position"}
        return dict(action=f"{e.feed}.refresh", resource_type=e.feed, resource_id=ident, after=summary)
    if isinstance(e, SunsetRun.Started):
        return dict(action="hygiene.sunset", resource_type="sunset", resource_id=ident,
                    resource_slug=e.run_id,
                    after={"scope": e.scope, "suppressed": e.suppressed, "skipped": e.skipped,
                           "notes": (e.notes or "")[:200] or None})
    if isinstance(e, SunsetRun.Reverted):
        return dict(action="hygiene.revert", resource_type="sunset", resource_id=ident,
                    before={"reverted": False},
                    after={"reverted": True, "lifted": e.lifted, "skipped": e.skipped})
    return None
