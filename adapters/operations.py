"""Commands that span two applications or need a read model to find their targets.

Applications never read views (the dependency rule), so the composition layer does the
finding and then calls each application's command: tenant deletion (tenancy + sending)
and message purges (the ``messages`` view picks the candidates).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from application.base import SYSTEM, CommandMeta

if TYPE_CHECKING:
    from adapters.bootstrap import Container

PURGE_PAGE = 5000
ACTIVE = ["pending", "deferred"]


def purge_messages(container: Container, tenant_id: str, older_than_seconds: float, *,
                   automatic: bool, meta: CommandMeta = SYSTEM) -> int:
    """Remove the tenant's terminal, fully reported messages older than the cutoff from the
    read models (a ``Cleanup`` event; nothing is deleted from the store). Returns how many."""
    view: Any = container.projections["messages"].view
    cutoff = container.clock.now() - older_than_seconds
    removed = 0
    while True:
        pks = view.purgeable(tenant_id, cutoff, PURGE_PAGE)
        if not pks:
            return removed
        count, position = container.sending.cleanup_messages(tenant_id, cutoff, pks, automatic=automatic,
                                                             meta=meta)
        container.wait_for({"sending": position}, ["messages"])
        removed += count
        if len(pks) < PURGE_PAGE:
            return removed


def delete_tenant(container: Container, tenant_id: str, meta: CommandMeta = SYSTEM) -> tuple[int, int]:
    """Delete a tenant: cancel its unattempted messages, delete its accounts, revoke its key.
    Returns (cancelled, tenancy position). Its events stay for audit."""
    container.tenancy.get_tenant(tenant_id)  # NotFound before anything changes
    messages: Any = container.projections["messages"].view
    cancelled = 0
    after = None
    while True:
        rows, after = messages.list(tenant_id, statuses=ACTIVE, batch_code=None, account_id=None,
                                    since_ts=None, until_ts=None, limit=1000, after=after)
        ids = [r.client_id for r in rows if r.status in ACTIVE]
        if ids:
            done = container.sending.cancel_messages(tenant_id, ids, meta, reason="tenant_deleted")
            cancelled += done.removed
        if after is None:
            break
    accounts = [a.account_id for a in container.projections["accounts"].view.list(tenant_id)]
    position = container.tenancy.delete_tenant(tenant_id, accounts, meta)
    return cancelled, position
