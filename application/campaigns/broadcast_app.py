"""The broadcasts Application (log ``broadcasts``): the Broadcast aggregate's command API.

Commands here touch one aggregate each; what spans logs (holding sends, counting
recipients, the fan-out) lives in ``broadcast_fanout.py`` and ``adapters/campaigns``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from domain.campaigns.broadcast import Broadcast
from domain.campaigns.broadcast_ids import broadcast_uuid
from domain.errors import NotFound


class VersionConflict(Exception):
    """The broadcast changed between load and save (a pause racing a page)."""


class BroadcastApplication(LedgerApplication):
    name: ClassVar[str] = "broadcasts"

    def find(self, tenant_id: str, slug: str) -> Broadcast | None:
        try:
            return self.repository.get(broadcast_uuid(tenant_id, slug))  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            return None

    def broadcast(self, tenant_id: str, slug: str) -> Broadcast:
        found = self.find(tenant_id, slug)
        if found is None:
            raise NotFound(f"broadcast {slug} not found")
        return found

    def create_broadcast(self, tenant_id: str, slug: str, name: str, template_slug: str,
                         settings: dict[str, Any], meta: CommandMeta = SYSTEM) -> int:
        existing = self.find(tenant_id, slug)
        with self.under(meta, tenant_id):
            return self.record(Broadcast.create(tenant_id, slug, name, template_slug, settings, existing))

    def change(self, tenant_id: str, slug: str, fn: Callable[[Broadcast], Any],
               meta: CommandMeta = SYSTEM, broadcast: Broadcast | None = None) -> tuple[Any, int]:
        """Run ``fn`` on the broadcast (fresh, or the one given) and save what it triggered:
        (fn's answer, position; 0 when nothing changed). A concurrent change raises
        ``VersionConflict`` so the caller can reload and decide again."""
        target = broadcast or self.broadcast(tenant_id, slug)
        with self.under(meta, tenant_id):
            answer = fn(target)
            if not target.pending_events:
                return answer, 0
            try:
                return answer, self.record(target)
            except IntegrityError as exc:
                raise VersionConflict(str(exc)) from exc

    def active(self, ids: list[Any]) -> list[Broadcast]:
        out = []
        for ident in ids:
            try:
                out.append(self.repository.get(ident))
            except AggregateNotFoundError:
                continue
        return out
