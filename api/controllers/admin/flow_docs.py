"""Flow contracts and documents (console.md §8): request structs and the JSON shown for flows
and runs. camelCase; unknown fields are 400 validation_failed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request
from msgspec import UNSET, Meta, UnsetType

from api.admin_common import bad_value, iso

Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Text = Annotated[str, Meta(max_length=2000)]
Goal = Literal["activation", "conversion", "retention", "reactivation", "transactional"]


class FlowCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    slug: Slug
    name: Name
    trigger: dict[str, Any]
    description: Text = ""
    goal: Goal = "activation"


class FlowDraftPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    steps: list[Any] | UnsetType = UNSET
    trigger: dict[str, Any] | UnsetType = UNSET
    notes: Annotated[str, Meta(max_length=5000)] | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    description: Text | UnsetType = UNSET
    goal: Goal | UnsetType = UNSET


class PublishBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    enable: bool = True


class PauseBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    hold_runs: bool = False


class AbortBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    external_id: Annotated[str, Meta(min_length=1, max_length=256)]
    reason: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    match_trigger_properties: dict[str, Any] | None = None


class Answer(msgspec.Struct, frozen=True, omit_defaults=True):
    ok: bool
    slug: str | None = None
    revision: int | None = None
    version: int | None = None
    enabled: bool | None = None
    changed: bool | None = None


class AbortAnswer(msgspec.Struct, frozen=True, rename="camel"):
    aborted_runs: int
    cancelled_sends: int


def _times(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: iso(v) if k in ("at", "until") and isinstance(v, int | float) else v for k, v in entry.items()}


def flow_doc(
    slug: str,
    doc: dict[str, Any],
    created: float,
    updated: float,
    stats: dict[str, int],
    *,
    full: bool = True,
) -> dict[str, Any]:
    out = {
        "slug": slug,
        "name": doc.get("name"),
        "description": doc.get("description", ""),
        "goal": doc.get("goal"),
        "trigger": doc["trigger"],
        "enabled": doc["enabled"],
        "holdRuns": doc.get("holdRuns", False),
        "version": doc["version"],
        "stats": stats,
        "publishedAt": iso(doc.get("publishedAt")),
        "createdAt": iso(created),
        "updatedAt": iso(updated),
    }
    if full:
        out.update(steps=doc["steps"], draft=doc["draft"])
    return out


def run_doc(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "runId": row["run_id"],
        "flow": row["flow_slug"],
        "externalId": row["external_id"],
        "status": row["status"],
        "version": row["version"],
        "currentPath": row["current_path"],
        "waitingUntil": iso(row["waiting_until"]),
        "enteredAt": iso(row["entered_at"]),
        "exitedAt": iso(row["exited_at"]),
        "exitReason": row["exit_reason"],
        "history": [_times(h) for h in row["history"]],
    }


def recent_flows(container: Any, tenant_id: str, now: float, limit: int = 5) -> list[dict[str, Any]]:
    """The newest-updated flows with live stats (the dashboard's ``recentFlows``)."""
    view = container.projections["flows"].view
    rows = view.list(tenant_id, before=None, limit=limit)
    return [
        flow_doc(r.slug, r.doc, r.created_ts, r.updated_ts, view.stats(tenant_id, r.slug, now), full=False)
        for r in rows
    ]


def if_match(request: Request[Any, Any, Any]) -> int | None:
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    raw = raw.strip().strip('"').removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise bad_value("If-Match", "the draft revision, an integer")
    return int(raw)
