"""Flow commands that need more than the flows log: publish (templates), pause and resume
(the runs view), delete (has it runs?), abort (cancel the runs' waiting sends), forget."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.campaigns.flow_contacts import ContainerFlowContacts
from adapters.campaigns.flow_worker import settle_flows_view
from application.base import SYSTEM, CommandMeta

if TYPE_CHECKING:
    from adapters.bootstrap import Container


def template_published(container: Container, tenant_id: str, slug: str) -> bool:
    found = container.content.find_template(tenant_id, slug)
    return found is not None and not found.deleted and found.version_number > 0


def publish(
    container: Container, tenant_id: str, slug: str, enable: bool, meta: CommandMeta
) -> tuple[int, bool, int]:
    return container.flows.publish_flow(
        tenant_id, slug, enable, lambda t: template_published(container, tenant_id, t), meta
    )


def _run_ids(container: Container, tenant_id: str, slug: str, statuses: list[str]) -> list[UUID]:
    settle_flows_view(container)
    return [UUID(i) for i in container.projections["flows"].view.run_ids(tenant_id, slug, statuses)]


def pause(
    container: Container, tenant_id: str, slug: str, hold_runs: bool, meta: CommandMeta
) -> tuple[bool, int]:
    container.flows.flow(tenant_id, slug)  # 404 before reading the runs
    ids = _run_ids(container, tenant_id, slug, ["active"]) if hold_runs else []
    return container.flows.pause_flow(tenant_id, slug, hold_runs, ids, meta)


def resume(container: Container, tenant_id: str, slug: str, meta: CommandMeta) -> tuple[bool, int]:
    container.flows.flow(tenant_id, slug)
    changed, position = container.flows.resume_flow(
        tenant_id, slug, _run_ids(container, tenant_id, slug, ["held"]), meta
    )
    if changed:  # a run the engine held while this resume was reading the view: release it too
        late = _run_ids(container, tenant_id, slug, ["held"])
        if late:
            with container.flows.under(meta, tenant_id):
                position = max(position, container.flows.release_runs(late))
    return changed, position


def delete(container: Container, tenant_id: str, slug: str, meta: CommandMeta) -> int:
    def has_runs() -> bool:
        settle_flows_view(container)
        return bool(container.projections["flows"].view.count_runs(tenant_id, slug))

    return container.flows.delete_flow(tenant_id, slug, has_runs, meta)


def abort(
    container: Container,
    tenant_id: str,
    slug: str,
    external_id: str,
    reason: str | None,
    match: dict[str, Any] | None,
    meta: CommandMeta,
) -> tuple[int, int, int]:
    """(abortedRuns, cancelledSends, position): the contact's live runs of the flow end
    ``exited aborted[:reason]``; with ``match``, only runs whose trigger properties match."""
    from adapters.console_sends import cancel_sends

    container.flows.flow(tenant_id, slug)
    settle_flows_view(container)
    rows = [
        r
        for r in container.projections["flows"].view.runs(
            tenant_id, slug, status=None, before=None, limit=1000, external_id=external_id
        )
        if r["status"] in ("active", "held")
    ]
    if match:
        contacts = ContainerFlowContacts(container)
        rows = [r for r in rows if _matches(container, contacts, tenant_id, r, match)]
    ended, position = container.flows.end_runs(
        [UUID(r["run_id"]) for r in rows],
        "exited",
        f"aborted:{reason}" if reason else "aborted",
        meta,
        tenant_id,
    )
    cancelled = 0
    if ended:
        cancelled = cancel_sends(
            container, tenant_id, batch_code=f"f:{slug}", contact_id=ended[0].contact_id, meta=meta
        )
    return len(ended), cancelled, position


def _matches(
    container: Container,
    contacts: ContainerFlowContacts,
    tenant_id: str,
    row: dict[str, Any],
    match: dict[str, Any],
) -> bool:
    run = container.flows.run(UUID(row["run_id"]))
    props = contacts.open(tenant_id, row["external_id"], run.trigger.get("properties")) if run else None
    return all((props or {}).get(k) == v for k, v in match.items())


def exit_contact_runs(
    container: Container, tenant_id: str, contact_id: str, meta: CommandMeta = SYSTEM
) -> int:
    """§2.4 step 3: a forgotten contact's live runs end ``exited gdpr_forget``."""
    settle_flows_view(container)
    rows = container.projections["flows"].view.runs_of_contact(
        tenant_id, contact_id, live_only=True, limit=1000
    )
    ended, _ = container.flows.end_runs(
        [UUID(r["run_id"]) for r in rows], "exited", "gdpr_forget", meta, tenant_id
    )
    return len(ended)
