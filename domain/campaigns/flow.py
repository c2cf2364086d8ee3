"""The Flow aggregate: a draft that changes and numbered versions that never do (console.md §8).

Enabling is kept as periods of the service clock, so "a trigger fired while the flow was
enabled" is decided from the flow's own history whenever the trigger is processed: a slow
or restarted follower starts exactly the runs a live one would have, and triggers that came
while it was paused stay dropped for good.
"""

from __future__ import annotations

from typing import Any, ClassVar

from domain.campaigns.flow_ids import flow_uuid
from domain.campaigns.flow_rules import EmptyFlow, FlowSlugTaken, StaleFlowRevision
from domain.model import Aggregate
from domain.templates.rules import NoDraft

GOALS = ("activation", "conversion", "retention", "reactivation", "transactional")
FIELDS = ("name", "description", "goal")


class Flow(Aggregate):
    TOPIC = "Flow"

    class Created(Aggregate.Created, frozen=True, kw_only=True):
        """Flow `slug` exists, disabled, version 0, with `trigger` and an empty draft."""

        TOPIC: ClassVar[str] = "Flow.Created"
        tenant_id: str
        slug: str
        fields: dict[str, Any]
        trigger: dict[str, Any]

        def apply(self, f: Any) -> None:
            f.tenant_id, f.slug, f.fields, f.trigger = (
                self.tenant_id,
                self.slug,
                dict(self.fields),
                self.trigger,
            )
            f.draft = {"steps": [], "trigger": self.trigger, "notes": "", "revision": 1}
            f.versions, f.periods, f.enabled, f.hold_runs, f.deleted = {}, [], False, False, False
            f.last_revision = 1

    class DraftSaved(Aggregate.Event, frozen=True, kw_only=True):
        """The draft reached `revision`: `draft` holds its changed parts, `fields` the changed
        name/description/goal."""

        TOPIC: ClassVar[str] = "Flow.DraftSaved"
        slug: str
        draft: dict[str, Any]
        fields: dict[str, Any]
        revision: int

        def apply(self, f: Any) -> None:
            if f.draft is None:
                f.draft = f.seed_draft()
            f.draft.update(self.draft)
            f.draft["revision"] = f.last_revision = self.revision
            f.fields.update(self.fields)

    class Published(Aggregate.Event, frozen=True, kw_only=True):
        """Version `version` (steps + trigger, frozen) was published from the draft; `enabled`
        says whether the flow takes entries from now on."""

        TOPIC: ClassVar[str] = "Flow.Published"
        slug: str
        version: int
        steps: list[dict[str, Any]]
        trigger: dict[str, Any]
        enabled: bool

        def apply(self, f: Any) -> None:
            f.versions[self.version] = {
                "steps": self.steps,
                "trigger": self.trigger,
                "publishedAt": self.timestamp,
                "publishedBy": self.meta.actor,
                "mark": [self.timestamp, self.meta.recorded_at],
            }
            f.trigger, f.draft = self.trigger, None
            f.set_enabled(self.enabled, [self.timestamp, self.meta.recorded_at])
            f.hold_runs = False

    class Paused(Aggregate.Event, frozen=True, kw_only=True):
        """No more entries; `hold_runs` also freezes the flow's runs until it resumes."""

        TOPIC: ClassVar[str] = "Flow.Paused"
        slug: str
        hold_runs: bool

        def apply(self, f: Any) -> None:
            f.set_enabled(False, [self.timestamp, self.meta.recorded_at])
            f.hold_runs = self.hold_runs

    class Resumed(Aggregate.Event, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Flow.Resumed"
        slug: str

        def apply(self, f: Any) -> None:
            f.set_enabled(True, [self.timestamp, self.meta.recorded_at])
            f.hold_runs = False

    class Deleted(Aggregate.Event, frozen=True, kw_only=True):
        """Deleted before any run existed; the slug stays taken."""

        TOPIC: ClassVar[str] = "Flow.Deleted"
        slug: str

        def apply(self, f: Any) -> None:
            f.deleted = True
            f.set_enabled(False, [self.timestamp, self.meta.recorded_at])

    tenant_id: str
    slug: str
    fields: dict[str, Any]
    trigger: dict[str, Any]
    draft: dict[str, Any] | None
    versions: dict[int, dict[str, Any]]
    periods: list[list[Any]]  # [[start, end | None]], each mark [service time, wall time]
    enabled: bool
    hold_runs: bool
    deleted: bool
    last_revision: int

    @classmethod
    def create(
        cls, tenant_id: str, slug: str, fields: dict[str, Any], trigger: dict[str, Any], existing: Flow | None
    ) -> Flow:
        if existing is not None:
            raise FlowSlugTaken(f"flow {slug} exists", field="slug")
        return cls._create(
            cls.Created,
            id=flow_uuid(tenant_id, slug),
            tenant_id=tenant_id,
            slug=slug,
            fields=fields,
            trigger=trigger,
        )

    # --- state helpers (used by the events' apply) ----------------------------------------
    def set_enabled(self, on: bool, at: list[float]) -> None:
        """``at`` = [service time, wall time]: the wall time orders two events of one fake-clock instant."""
        if on and not self.enabled:
            self.periods.append([at, None])
        elif not on and self.enabled:
            self.periods[-1][1] = at
        self.enabled = on

    def seed_draft(self) -> dict[str, Any]:
        latest = self.versions.get(self.published_version, {})
        return {
            "steps": list(latest.get("steps", [])),
            "trigger": latest.get("trigger", self.trigger),
            "notes": "",
            "revision": self.last_revision,
        }

    @property
    def published_version(self) -> int:
        return max(self.versions, default=0)

    def enabled_at(self, t: float, wall: float = float("inf")) -> bool:
        mark = [t, wall]
        return any(start <= mark and (end is None or mark < end) for start, end in self.periods)

    @property
    def enabled_since(self) -> float:
        """Service time the current enabled period began (0 when disabled)."""
        return float(self.periods[-1][0][0]) if self.enabled else 0.0

    def version_at(self, t: float, wall: float = float("inf")) -> int:
        """The version current at ``t`` (what a run entering then keeps)."""
        found = [n for n, v in self.versions.items() if v["mark"] <= [t, wall]]
        return max(found, default=self.published_version)

    # --- commands -------------------------------------------------------------------------
    def save_draft(self, draft: dict[str, Any], fields: dict[str, Any], if_match: int | None) -> bool:
        current = self.draft if self.draft is not None else self.seed_draft()
        if if_match is not None and if_match != current["revision"]:
            raise StaleFlowRevision(f"draft is at revision {current['revision']}, not {if_match}")
        draft = {k: v for k, v in draft.items() if current.get(k) != v}
        fields = {k: v for k, v in fields.items() if self.fields.get(k) != v}
        if not draft and not fields:
            return False
        self.trigger_event(
            self.DraftSaved, slug=self.slug, draft=draft, fields=fields, revision=current["revision"] + 1
        )
        return True

    def publish(self, enable: bool) -> int:
        if self.draft is None:
            raise NoDraft(f"flow {self.slug} has no draft to publish")
        if not self.draft["steps"]:
            raise EmptyFlow(f"flow {self.slug} has no steps")
        self.trigger_event(
            self.Published,
            slug=self.slug,
            version=self.published_version + 1,
            steps=self.draft["steps"],
            trigger=self.draft["trigger"],
            enabled=enable,
        )
        return self.published_version

    def pause(self, hold_runs: bool) -> bool:
        if not self.enabled and (self.hold_runs or not hold_runs):
            return False
        self.trigger_event(self.Paused, slug=self.slug, hold_runs=hold_runs)
        return True

    def resume(self) -> bool:
        if self.deleted or self.published_version == 0 or (self.enabled and not self.hold_runs):
            return False
        self.trigger_event(self.Resumed, slug=self.slug)
        return True

    def delete(self) -> None:
        self.trigger_event(self.Deleted, slug=self.slug)
