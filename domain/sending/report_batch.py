"""One POST of delivery reports to a tenant's sync endpoint, and its answer (proxy.md §8).

One aggregate per POST (uuid4) keeps every stream a single event long: a batch is either
acknowledged (any 2xx) or failed (anything else). ``NudgeRequested`` is the run-now of a
tenant: it clears its DND and makes a heartbeat due at once.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import uuid4

from domain.model import Aggregate


class ReportBatch(Aggregate):
    TOPIC = "ReportBatch"

    class Acknowledged(Aggregate.Created, frozen=True, kw_only=True):
        """The client answered `status` (2xx) to a POST of the items `event_ids` (empty: a
        heartbeat): they are reported. `next_sync_after`: no heartbeats before then (a past
        value clears DND; null leaves it); `queued` > 0: post again at once."""

        TOPIC: ClassVar[str] = "ReportBatch.Acknowledged"
        tenant_id: str
        event_ids: list[str]
        next_sync_after: float | None
        queued: int | None
        status: int

        def apply(self, batch: Any) -> None:
            batch.tenant_id = self.tenant_id

    class Failed(Aggregate.Created, frozen=True, kw_only=True):
        """A POST of `event_ids` was not acknowledged: `status` is the non-2xx answer (null
        for a timeout or connection error), `error` what happened. The items stay pending;
        the next try waits min(`retry_cap_seconds`, 5 x 2^(failures-1)) s +- 10 %."""

        TOPIC: ClassVar[str] = "ReportBatch.Failed"
        tenant_id: str
        event_ids: list[str]
        status: int | None
        error: str
        retry_cap_seconds: float

        def apply(self, batch: Any) -> None:
            batch.tenant_id = self.tenant_id

    class NudgeRequested(Aggregate.Created, frozen=True, kw_only=True):
        """run-now for `tenant_id`: its DND ends and a heartbeat is due now."""

        TOPIC: ClassVar[str] = "ReportBatch.NudgeRequested"
        tenant_id: str

        def apply(self, batch: Any) -> None:
            batch.tenant_id = self.tenant_id

    tenant_id: str

    @classmethod
    def acknowledged(cls, tenant_id: str, event_ids: list[str], *, status: int,
                     next_sync_after: float | None = None, queued: int | None = None) -> ReportBatch:
        return cls._create(cls.Acknowledged, id=uuid4(), tenant_id=tenant_id, event_ids=event_ids,
                           status=status, next_sync_after=next_sync_after, queued=queued)

    @classmethod
    def failed(cls, tenant_id: str, event_ids: list[str], *, status: int | None, error: str,
               retry_cap_seconds: float) -> ReportBatch:
        return cls._create(cls.Failed, id=uuid4(), tenant_id=tenant_id, event_ids=event_ids,
                           status=status, error=error[:500], retry_cap_seconds=retry_cap_seconds)

    @classmethod
    def nudge(cls, tenant_id: str) -> ReportBatch:
        return cls._create(cls.NudgeRequested, id=uuid4(), tenant_id=tenant_id)
