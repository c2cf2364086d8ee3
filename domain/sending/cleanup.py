"""A purge run: which terminal messages left the hot read models, and why (proxy.md §4.2).

Events are never deleted: a purge is itself an event, so a rebuild reproduces it and the
purged messages still answer from the event store. One aggregate per run and tenant keeps
every stream short; a run of more than 1000 messages appends one event per 1000.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import uuid4

from domain.model import Aggregate

MAX_PKS_PER_EVENT = 1000


class Cleanup(Aggregate):
    TOPIC = "Cleanup"

    class MessagesCleanedUp(Aggregate.Created, frozen=True, kw_only=True):
        """These messages (`message_pks`, at most 1000 per event) of `tenant_id` left the read
        models: terminal, nothing left to report, last event older than `cutoff_ts`.
        `automatic`: the retention job did it, not a client's cleanup call. The first event
        starts the run; a run of more than 1000 messages appends more of them."""

        TOPIC: ClassVar[str] = "Cleanup.MessagesCleanedUp"
        tenant_id: str
        cutoff_ts: float
        automatic: bool
        message_pks: list[str]

        def apply(self, cleanup: Any) -> None:
            cleanup.tenant_id = self.tenant_id
            cleanup.cutoff_ts = self.cutoff_ts
            cleanup.automatic = self.automatic

    tenant_id: str
    cutoff_ts: float
    automatic: bool

    @classmethod
    def run(cls, tenant_id: str, cutoff_ts: float, message_pks: list[str], *, automatic: bool) -> Cleanup:
        """One purge run; ``message_pks`` must not be empty (a run that removes nothing appends
        nothing)."""
        if not message_pks:
            raise ValueError("a cleanup run needs at least one message")
        chunks = [message_pks[i:i + MAX_PKS_PER_EVENT] for i in range(0, len(message_pks), MAX_PKS_PER_EVENT)]
        fields = dict(tenant_id=tenant_id, cutoff_ts=cutoff_ts, automatic=automatic)
        cleanup = cls._create(cls.MessagesCleanedUp, id=uuid4(), message_pks=chunks[0], **fields)
        for chunk in chunks[1:]:
            cleanup.trigger_event(cls.MessagesCleanedUp, message_pks=chunk, **fields)
        return cleanup
