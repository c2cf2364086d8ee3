"""Suppression checks of concurrent attempts, coalesced into one look-up (spec proxy.md §6.3).

Every attempt re-checks its recipients right before it is sent. One blocking look-up per
attempt costs a thread hop and a query each, and at a few hundred attempts a second those
hops queue behind the dispatcher's claims and saves on its few threads. So checks are
group-committed like saves: an attempt that asks while no look-up runs starts one; those
that ask meanwhile wait for the next one, which then checks all of them together (one
query per tenant). A look-up always begins after the attempt asked, so no check answers
from anything older than the request: the re-check is exactly as fresh as one of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection

from application.sending.ports import SuppressionList


class _Ask:
    __slots__ = ("addresses", "answer", "tenant_id")

    def __init__(self, tenant_id: str, addresses: Collection[str], answer: asyncio.Future[set[str]]) -> None:
        self.tenant_id, self.addresses, self.answer = tenant_id, addresses, answer


class SuppressionChecks:
    """One per event loop (a ``run_cycle``): asks from the loop, looks up in a thread."""

    def __init__(self, suppressions: SuppressionList) -> None:
        self.suppressions = suppressions
        self._waiting: list[_Ask] = []
        self._running: asyncio.Task[None] | None = None  # referenced: the loop keeps tasks weakly

    async def suppressed(self, tenant_id: str, addresses: Collection[str]) -> set[str]:
        """As ``SuppressionList.suppressed``: the lower-cased ``addresses`` suppressed."""
        if not addresses:
            return set()
        ask = _Ask(tenant_id, addresses, asyncio.get_running_loop().create_future())
        self._waiting.append(ask)
        if self._running is None:
            self._running = asyncio.get_running_loop().create_task(self._look_up())
        return await ask.answer

    async def _look_up(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    hits = await asyncio.to_thread(self._query, batch)
                except Exception as exc:  # every waiter fails as its own look-up would have
                    for ask in batch:
                        if not ask.answer.done():
                            ask.answer.set_exception(exc)
                    continue
                for ask in batch:
                    if not ask.answer.done():  # an attempt cut off at its deadline
                        ask.answer.set_result(_own(hits.get(ask.tenant_id, set()), ask.addresses))
        finally:
            self._running = None

    def _query(self, batch: list[_Ask]) -> dict[str, set[str]]:
        by_tenant: dict[str, set[str]] = {}
        for ask in batch:
            by_tenant.setdefault(ask.tenant_id, set()).update(ask.addresses)
        return {tenant: self.suppressions.suppressed(tenant, addresses)
                for tenant, addresses in by_tenant.items()}


def _own(hits: set[str], addresses: Collection[str]) -> set[str]:
    """The hits among one attempt's addresses (a look-up of many answers for all of them)."""
    if not hits:
        return set()
    mine = {a.strip().lower() for a in addresses}
    return {hit for hit in hits if hit in mine}
