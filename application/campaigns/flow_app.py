"""The flows Application (log ``flows``): flow definitions, runs, and entering a run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from application.ports import Clock
from domain.campaigns.flow import Flow
from domain.campaigns.flow_ids import flow_contact_uuid, flow_run_uuid, flow_uuid
from domain.campaigns.flow_paths import first
from domain.campaigns.flow_rules import FlowHasRuns
from domain.campaigns.flow_run import FlowContact, FlowRun
from domain.errors import NotFound
from domain.templates.rules import TemplateNotPublished


class FlowApplication(LedgerApplication):
    name: ClassVar[str] = "flows"

    def __init__(self, env: dict[str, Any], clock: Clock | None = None) -> None:
        super().__init__(env, clock)

    def _get(self, ident: UUID) -> Any:
        try:
            return self.repository.get(ident)
        except AggregateNotFoundError:
            return None

    def find_flow(self, tenant_id: str, slug: str) -> Flow | None:
        found: Flow | None = self._get(flow_uuid(tenant_id, slug))
        return found

    def flow(self, tenant_id: str, slug: str) -> Flow:
        found = self.find_flow(tenant_id, slug)
        if found is None or found.deleted:
            raise NotFound(f"flow {slug} not found")
        return found

    def run(self, run_id: UUID) -> FlowRun | None:
        found: FlowRun | None = self._get(run_id)
        return found

    # --- definitions ----------------------------------------------------------------------
    def create_flow(
        self,
        tenant_id: str,
        slug: str,
        fields: dict[str, Any],
        trigger: dict[str, Any],
        meta: CommandMeta = SYSTEM,
    ) -> int:
        existing = self.find_flow(tenant_id, slug)
        with self.under(meta, tenant_id):
            return self.record(Flow.create(tenant_id, slug, fields, trigger, existing))

    def save_flow_draft(
        self,
        tenant_id: str,
        slug: str,
        draft: dict[str, Any],
        fields: dict[str, Any],
        if_match: int | None,
        meta: CommandMeta = SYSTEM,
    ) -> tuple[bool, int, int]:
        """(changed, revision, position)."""
        flow = self.flow(tenant_id, slug)
        with self.under(meta, tenant_id):
            changed = flow.save_draft(draft, fields, if_match)
            position = self.record(flow) if changed else 0
        revision = (flow.draft or {}).get("revision", flow.last_revision)
        return changed, revision, position

    def publish_flow(
        self,
        tenant_id: str,
        slug: str,
        enable: bool,
        published: Callable[[str], bool],
        meta: CommandMeta = SYSTEM,
    ) -> tuple[int, bool, int]:
        """(version, enabled, position); every send step's template must be published."""
        flow = self.flow(tenant_id, slug)
        for template in send_templates((flow.draft or {}).get("steps", [])):
            if not published(template):
                raise TemplateNotPublished(f"template {template} is not published", field="templateSlug")
        with self.under(meta, tenant_id):
            version = flow.publish(enable)
            return version, flow.enabled, self.record(flow)

    def pause_flow(
        self, tenant_id: str, slug: str, hold_runs: bool, run_ids: Sequence[UUID], meta: CommandMeta = SYSTEM
    ) -> tuple[bool, int]:
        flow = self.flow(tenant_id, slug)
        with self.under(meta, tenant_id):
            changed = flow.pause(hold_runs)
            if not changed:
                return False, 0
            position = self.record(flow)
            if hold_runs:  # the engine holds any run this misses (it checks the flow first)
                position = max(position, self._each_run(run_ids, FlowRun.hold))
        return True, position

    def resume_flow(
        self, tenant_id: str, slug: str, run_ids: Sequence[UUID], meta: CommandMeta = SYSTEM
    ) -> tuple[bool, int]:
        flow = self.flow(tenant_id, slug)
        with self.under(meta, tenant_id):
            if not flow.resume():
                return False, 0
            position = self.record(flow)
            return True, max(position, self._each_run(run_ids, FlowRun.release))

    def release_runs(self, run_ids: Sequence[UUID]) -> int:
        return self._each_run(run_ids, FlowRun.release)

    def _each_run(self, run_ids: Sequence[UUID], change: Callable[[FlowRun], bool]) -> int:
        """Apply ``change`` to each run in one save; a conflict retries once per run."""
        for _ in range(3):
            runs = [r for r in (self.run(i) for i in run_ids) if r is not None and change(r)]
            try:
                return self.record(*runs) if runs else 0
            except IntegrityError:
                continue
        return 0

    def delete_flow(
        self, tenant_id: str, slug: str, has_runs: Callable[[], bool], meta: CommandMeta = SYSTEM
    ) -> int:
        """``has_runs`` asks the runs view (caught up by the caller) whether any run exists."""
        flow = self.flow(tenant_id, slug)
        if flow.published_version and has_runs():
            raise FlowHasRuns(f"flow {slug} has runs")
        with self.under(meta, tenant_id):
            flow.delete()
            return self.record(flow)

    # --- runs -----------------------------------------------------------------------------
    def enter_flow(
        self,
        flow: Flow,
        contact_id: str,
        external_id: str,
        entry_key: str,
        trigger: dict[str, Any],
        at: float,
        *,
        once: bool,
        version: int | None = None,
        meta: CommandMeta = SYSTEM,
    ) -> FlowRun | None:
        """Start a run unless (flow, entryKey) has one, or ``once`` and the contact had one."""
        run_id = flow_run_uuid(flow.tenant_id, flow.slug, entry_key)
        if run_id in self.repository:
            return None
        marker: FlowContact | None = self._get(flow_contact_uuid(flow.tenant_id, flow.slug, contact_id))
        if once and marker is not None:
            return None
        version = version or flow.version_at(at)
        steps = flow.versions[version]["steps"]
        with self.under(meta, flow.tenant_id):
            run = FlowRun.start(
                flow.tenant_id,
                flow.slug,
                version,
                contact_id,
                external_id,
                entry_key,
                trigger,
                at,
                first(steps),
            )
            marker = FlowContact.enter(marker, flow.tenant_id, flow.slug, contact_id, str(run.id))
            try:
                self.record(run, marker)
            except IntegrityError:  # a racing entry of the same key or contact won
                return None
        return run

    def end_runs(
        self,
        run_ids: Sequence[UUID],
        status: str,
        reason: str,
        meta: CommandMeta = SYSTEM,
        tenant_id: str | None = None,
    ) -> tuple[list[FlowRun], int]:
        """End these runs (abort, forget); returns the runs that were still going."""
        with self.under(meta, tenant_id):
            for _ in range(3):
                runs = [r for r in (self.run(i) for i in run_ids) if r is not None and r.end(status, reason)]
                try:
                    return runs, self.record(*runs) if runs else 0
                except IntegrityError:
                    continue
        return [], 0


def send_templates(steps: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for step in steps:
        if step.get("type") == "send":
            out.append(step["templateSlug"])
        elif step.get("type") == "branch":
            out += send_templates(step.get("ifTrue", [])) + send_templates(step.get("ifFalse", []))
    return list(dict.fromkeys(out))
