"""The sunset and its revert as the API runs them (console.md §15): find the candidates in the
read models (caught up first), check the caller's ``confirmCount``, then the sending-log
commands (``application/reputation/hygiene_sunset.py``); the hygiene cache is dropped after."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.reputation.hygiene_report import candidates
from application.base import CommandMeta
from application.reputation.hygiene_sunset import RevertDone, SunsetDone
from domain.errors import NotFound
from domain.reputation.hygiene import CountMismatch, SunsetScope

if TYPE_CHECKING:
    from adapters.bootstrap import Container

VIEWS = ["contacts", "suppressions", "hygiene"]
ALL_ROWS = 10_000_000


def sunset(container: Container, tenant_id: str, confirm_count: int, scope: SunsetScope, notes: str | None,
           meta: CommandMeta) -> SunsetDone:
    container.catch_up(VIEWS)
    found = candidates(container, tenant_id, container.clock.now())
    if confirm_count != len(found):
        raise CountMismatch(f"confirmCount {confirm_count} but {len(found)} sunset candidates", len(found))
    if not found:  # console.md §1.4: a write that changes nothing appends nothing
        return SunsetDone("", 0, 0, 0)
    done = container.sunsets.sunset(tenant_id, found.values(), scope, notes, meta)
    container.hygiene_cache.drop(tenant_id)
    return done  # type: ignore[no-any-return]


def revert(container: Container, tenant_id: str, run_id: str, meta: CommandMeta) -> RevertDone:
    if container.sunsets.run(tenant_id, run_id) is None:
        raise NotFound(f"sunset {run_id} not found")
    container.catch_up(["suppressions"])
    rows = container.projections["suppressions"].view.list(tenant_id, source=f"sunset:{run_id}",
                                                           limit=ALL_ROWS)
    done = container.sunsets.revert(tenant_id, run_id, [r.id for r in rows], meta)
    container.hygiene_cache.drop(tenant_id)
    return done  # type: ignore[no-any-return]
