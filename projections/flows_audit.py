"""Audit entries of the ``flows`` log (console.md §1.5, §8): ``flow.create``, ``flow.draft``,
``flow.publish``, ``flow.pause``, ``flow.resume``, ``flow.delete`` and ``flow.abort`` (one per
run an operator aborted). A run's own steps are not audited: its history is in the runs view.
Pure functions of one event, in the shape ``console_audit_map.Entry`` takes."""

from __future__ import annotations

from typing import Any

from domain.campaigns.flow import Flow
from domain.campaigns.flow_run import FlowRun

FLOW_TOPICS = frozenset(
    cls.TOPIC
    for cls in (
        Flow.Created,
        Flow.DraftSaved,
        Flow.Published,
        Flow.Paused,
        Flow.Resumed,
        Flow.Deleted,
        FlowRun.Ended,
    )
)


def flow_entry(e: Any) -> dict[str, Any] | None:
    base = dict(
        resource_type="flow", resource_id=str(e.originator_id), resource_slug=getattr(e, "slug", None)
    )
    if isinstance(e, Flow.Created):
        return dict(
            action="flow.create",
            after={"name": e.fields.get("name"), "trigger": e.trigger, "enabled": False},
            **base,
        )
    if isinstance(e, Flow.DraftSaved):
        changed = {
            **e.fields,
            **{
                k: ({"count": len(v)} if isinstance(v, list) and len(v) > 20 else v)
                for k, v in e.draft.items()
            },
        }
        return dict(action="flow.draft", after={**changed, "revision": e.revision}, **base)
    if isinstance(e, Flow.Published):
        return dict(action="flow.publish", after={"version": e.version, "enabled": e.enabled}, **base)
    if isinstance(e, Flow.Paused):
        return dict(
            action="flow.pause",
            before={"enabled": True},
            after={"enabled": False, "holdRuns": e.hold_runs} if e.hold_runs else {"enabled": False},
            **base,
        )
    if isinstance(e, Flow.Resumed):
        return dict(action="flow.resume", before={"enabled": False}, after={"enabled": True}, **base)
    if isinstance(e, Flow.Deleted):
        return dict(action="flow.delete", before={"deleted": False}, after={"deleted": True}, **base)
    if isinstance(e, FlowRun.Ended) and (e.reason or "").startswith("aborted"):
        return dict(
            action="flow.abort",
            resource_type="flow_run",
            resource_id=str(e.originator_id),
            before={"status": "active"},
            after={"status": e.status, "reason": e.reason},
        )
    return None
