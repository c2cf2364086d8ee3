"""The provider-feeds Application (log ``postmaster``): Google Postmaster Tools and Microsoft
SNDS snapshots, the once-per-snapshot verdicts and the forced refresh runs (console.md §14).

The I/O happens before a command: a pull fetches, then ``record_postmaster`` /
``record_snds`` append in one save only the snapshots whose values changed.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from domain.model import Aggregate
from domain.reputation.postmaster import (
    FeedRun,
    FeedVerdict,
    PostmasterSnapshot,
    Verdict,
    feed_verdict_uuid,
    postmaster_snapshot_uuid,
)
from domain.reputation.snds import SndsSnapshot, snds_snapshot_uuid


class PostmasterApplication(LedgerApplication):
    name: ClassVar[str] = "postmaster"

    def _get(self, ident: UUID) -> Any:
        try:
            return self.repository.get(ident)
        except AggregateNotFoundError:
            return None

    def record_postmaster(self, tenant_id: str, domain: str, days: list[tuple[str, dict[str, Any]]],
                          meta: CommandMeta = SYSTEM) -> tuple[int, int]:
        """Append the changed (date, values) of ``domain``: (how many changed, position)."""
        with self.under(meta, tenant_id):
            now = self.clock.now()
            changed: list[Aggregate] = []
            for date, values in days:
                existing = self._get(postmaster_snapshot_uuid(tenant_id, domain, date))
                done = PostmasterSnapshot.record(tenant_id, domain, date, values, now, existing)
                if done is not None:
                    changed.append(done)
            return len(changed), self.record(*changed) if changed else 0

    def record_snds(self, tenant_id: str, rows: list[dict[str, Any]],
                    meta: CommandMeta = SYSTEM) -> tuple[int, int]:
        with self.under(meta, tenant_id):
            now = self.clock.now()
            changed: dict[UUID, Aggregate] = {}
            for values in rows:
                ident = snds_snapshot_uuid(tenant_id, values["ip"], values["activityStart"])
                existing = changed.get(ident) or self._get(ident)
                done = SndsSnapshot.record(tenant_id, values, now, existing)
                if done is not None:
                    changed[ident] = done
            return len(changed), self.record(*changed.values()) if changed else 0

    def verdict(self, tenant_id: str, feed: str, target: str, period: str) -> FeedVerdict | None:
        return self._get(feed_verdict_uuid(tenant_id, feed, target, period))  # type: ignore[no-any-return]

    def reach_verdict(self, tenant_id: str, feed: str, target: str, period: str, verdict: Verdict,
                      reason: str | None, tripped: list[str], meta: CommandMeta = SYSTEM) -> int:
        with self.under(meta, tenant_id):
            return self.record(FeedVerdict.reach(tenant_id, feed, target, period, verdict, reason, tripped))

    def complete_run(self, tenant_id: str, feed: str, run_id: str, summary: dict[str, Any],
                     meta: CommandMeta = SYSTEM) -> int:
        with self.under(meta, tenant_id):
            return self.record(FeedRun.complete(tenant_id, feed, run_id, summary))
