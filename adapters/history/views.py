"""A read model as of a past position: replayed into a scratch copy of its view, then dropped.

The scratch copy has a prefix of its own per call (``asof_<hex>_``), so replays of one view
can run side by side and never touch the live tables or the live tracking rows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from adapters.bootstrap import Container
from adapters.runner import Source
from projections.base import View


class ViewAsOf(msgspec.Struct, frozen=True):
    view: str
    positions: dict[str, int]  # the cut the replay stopped at, per followed application
    tables: dict[str, dict[str, Any]]  # table -> {"columns", "rows", "total"}
    events: int
    seconds: float


def position_at(source: Source, ts: float) -> int:
    """The last position whose event has ``timestamp <= ts``, by bisection over the log.

    Service-clock times grow with positions within one process; writers in several processes
    can interleave by a few milliseconds, so a cut by time is exact to that resolution.
    """
    low, high = 0, source.max_position()  # invariant: event at low is <= ts (0: before all)
    while low < high:
        mid = (low + high + 1) // 2
        found = source.select(mid - 1, 1, None)  # the first notification at or after mid
        if not found or found[0].id > high:
            high = mid - 1
            continue
        if source.mapper.to_domain_event(found[0]).timestamp <= ts:
            low = found[0].id
        else:
            high = mid - 1
    return low


def positions_at(container: Container, ts: float) -> dict[str, int]:
    return {name: position_at(source, ts) for name, source in container.sources().items()}


def columns(view: View, table: str) -> list[str]:
    name = view.t(table)
    with view.db.transaction(write=False) as tx:
        if view.db.dialect == "postgresql":
            rows = tx.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND table_schema = current_schema() ORDER BY ordinal_position",
                (name,),
            )
        else:
            rows = tx.execute("SELECT name FROM pragma_table_info(?) ORDER BY cid", (name,))
    return [str(r[0]) for r in rows]


def view_as_of(
    container: Container,
    name: str,
    stop_at: Mapping[str, int],
    *,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ViewAsOf:
    """Replay view ``name`` from position 0 up to ``stop_at`` (per application) and read it."""
    started = time.perf_counter()
    live = container.projections[name].view
    scratch = type(live)(container.db, prefix=f"asof_{uuid.uuid4().hex[:8]}_")
    scratch.create()
    try:
        runner = container.runner(name, view=scratch, leader=False)
        cut = {app: int(stop_at.get(app, 0)) for app in runner.sources}
        events = runner.catch_up(stop_at=cut, progress=progress)
        with container.db.transaction(write=False) as tx:
            rows = scratch.rows(tx)
        tables = {
            table: {
                "columns": columns(scratch, table),
                "rows": [list(map(_cell, r)) for r in (got if limit is None else got[:limit])],
                "total": len(got),
            }
            for table, got in rows.items()
        }
    finally:
        scratch.drop()
    return ViewAsOf(name, cut, tables, events, round(time.perf_counter() - started, 3))


def _cell(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return msgspec.to_builtins(value, enc_hook=str)
