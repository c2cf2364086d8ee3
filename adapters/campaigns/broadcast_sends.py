"""``ConsoleSendQueue``: the fan-out's SendQueue over the lead's console sends
(``adapters/console_sends.py``) and the sends read model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.campaigns.broadcast_facts import facts_queries
from adapters.console_sends import ConsoleSend, cancel_sends, enqueue_sends, hold_sends, release_sends
from application.base import CommandMeta
from application.campaigns.broadcast_ports import OutgoingSend

if TYPE_CHECKING:
    from adapters.bootstrap import Container

PRIORITY = 3  # console.md §2.3: broadcasts


class ConsoleSendQueue:
    def __init__(self, container: Container) -> None:
        self.c = container
        self.queries = facts_queries(container)

    def enqueue(self, tenant_id: str, sends: list[OutgoingSend], actor: str) -> list[str]:
        batch = [ConsoleSend(origin="broadcast", dedupe_key=s.dedupe_key, slug=s.slug, version=s.version,
                             external_id=s.external_id, batch_code=s.batch_code, priority=PRIORITY,
                             not_before=s.not_before, campaign=s.campaign, holds=s.holds) for s in sends]
        results = enqueue_sends(self.c, tenant_id, batch, CommandMeta(actor=actor))
        return [r.status for r in results]

    def hold(self, tenant_id: str, hold: str, batch_code: str, actor: str) -> int:
        return hold_sends(self.c, tenant_id, hold, batch_code=batch_code, meta=CommandMeta(actor=actor))

    def release(self, tenant_id: str, hold: str, actor: str) -> int:
        return release_sends(self.c, tenant_id, hold, CommandMeta(actor=actor))

    def cancel(self, tenant_id: str, batch_code: str, actor: str) -> int:
        return cancel_sends(self.c, tenant_id, batch_code=batch_code, meta=CommandMeta(actor=actor))

    def waiting(self, tenant_id: str, slug: str) -> int:
        self.c.catch_up(["sends"])
        return self.queries.waiting(tenant_id, slug)

    def outcomes_seen(self) -> int:
        return int(self.c.projections["sends"].view.positions().get("sending", 0))

    def sent_contacts(self, tenant_id: str, slug: str) -> set[str]:
        self.c.catch_up(["sends"])
        return self.queries.sent_contacts(tenant_id, slug)

    def sample(self, tenant_id: str, slug: str, since: float) -> tuple[int, dict[str, int]]:
        return self.queries.sample(tenant_id, slug, since)
