"""Rebuild read models from the event store, and verify a rebuild equals the live view.

A rebuild replays into a scratch copy (``rebuild_<view>``) and swaps it in atomically, so
readers never see a half-built view and a live runner can keep going; ``verify`` replays
up to the live view's own positions and compares every row without swapping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec

from adapters.bootstrap import Container
from adapters.history.pg_select import history_sources
from adapters.history.reader import rare_collections
from adapters.registry import PROJECTIONS
from adapters.runner import ProjectionRunner
from adapters.runner_group import ProjectionGroup
from adapters.wake import WakeHub
from projections.base import View

Progress = Callable[[str, int], Callable[[int], None]]


class RebuildReport(msgspec.Struct):
    view: str
    rows: int
    events: int
    seconds: float
    verified: bool | None = None  # None: not a verify run
    differences: list[str] = []


def _scratch(container: Container, name: str, prefix: str):  # type: ignore[no-untyped-def]
    projection = container.projections[name]
    scratch = type(projection.view)(container.db, prefix=prefix)
    scratch.drop()
    scratch.create()
    return scratch


REPLAY_PAGE = 5000  # a replay is one long catch-up: fewer, bigger pages fold more per upsert


def _replayer(container: Container, name: str, scratch: View) -> ProjectionRunner:
    """A non-leader runner for a scratch copy, reading through the history reader's sources
    (binary tuples on PostgreSQL, ADR 0015) in pages of at least ``REPLAY_PAGE``."""
    page = max(container.settings.projection_page_size, REPLAY_PAGE)
    return ProjectionRunner(PROJECTIONS[name](scratch), history_sources(container.sources(), container.db),
                            page_size=page)


def rebuild_view(container: Container, name: str, *, progress: Progress | None = None) -> RebuildReport:
    started = time.perf_counter()
    live = container.projections[name].view
    scratch = _scratch(container, name, "rebuild_")
    runner = _replayer(container, name, scratch)
    stop_at = {n: s.max_position() for n, s in runner.sources.items()}
    tick = progress(name, sum(stop_at.values())) if progress else None
    with rare_collections():
        events = runner.catch_up(stop_at=stop_at, progress=tick)
    live.replace_with(scratch)
    with container.db.transaction(write=False) as tx:
        rows = sum(len(v) for v in live.rows(tx).values())
    return RebuildReport(name, rows, events, round(time.perf_counter() - started, 3))


def verify_view(container: Container, name: str, *, progress: Progress | None = None) -> RebuildReport:
    started = time.perf_counter()
    live = container.projections[name].view
    with container.db.transaction(write=False) as tx:  # one snapshot: rows and positions agree
        positions = live.positions(tx)
        live_rows = live.rows(tx)
    scratch = _scratch(container, name, "verify_")
    runner = _replayer(container, name, scratch)
    tick = progress(name, sum(positions.values())) if progress else None
    with rare_collections():
        events = runner.catch_up(stop_at=positions, progress=tick)
    with container.db.transaction(write=False) as tx:
        scratch_rows = scratch.rows(tx)
    scratch.drop()
    differences = _differences(live_rows, scratch_rows)
    return RebuildReport(
        name,
        sum(len(v) for v in live_rows.values()),
        events,
        round(time.perf_counter() - started, 3),
        verified=not differences,
        differences=differences,
    )


def _replay_together(container: Container, scratches: dict[str, View], stops: dict[str, dict[str, int]],
                     progress: Progress | None) -> int:
    """Every scratch view from one read of each page (``ProjectionGroup``): the logs are
    read and decoded once for all views instead of once per view."""
    runners = [_replayer(container, name, scratch) for name, scratch in scratches.items()]
    stops = {scratches[name].name: stop for name, stop in stops.items()}  # scratch copies track as such
    page = max(container.settings.projection_page_size, REPLAY_PAGE)
    group = ProjectionGroup(runners, container.db, hub=WakeHub(), page_size=page, stops=stops)
    total = sum(s.max_position() for s in group.sources.values())
    tick = progress("all views", total) if progress else None
    events = 0
    with rare_collections():
        while read := group.run_page():
            events += read
            if tick is not None:
                tick(read)
    return events


def rebuild_all(container: Container, names: list[str], *,
                progress: Progress | None = None) -> list[RebuildReport]:
    """Rebuild ``names`` in one replay, then swap each scratch copy in."""
    started = time.perf_counter()
    scratches = {n: _scratch(container, n, "rebuild_") for n in names}
    ends = {app: source.max_position() for app, source in container.sources().items()}
    stops = {n: {app: ends[app] for app in container.projections[n].FOLLOWS if app in ends} for n in names}
    events = _replay_together(container, scratches, stops, progress)
    reports = []
    for name, scratch in scratches.items():
        live = container.projections[name].view
        live.replace_with(scratch)
        with container.db.transaction(write=False) as tx:
            rows = sum(len(v) for v in live.rows(tx).values())
        reports.append(RebuildReport(name, rows, events, round(time.perf_counter() - started, 3)))
    return reports


def verify_all(container: Container, names: list[str], *,
               progress: Progress | None = None) -> list[RebuildReport]:
    """Replay ``names`` together up to each live view's positions, then compare rows. A view
    that moved on meanwhile (a live runner) is verified again on its own."""
    started = time.perf_counter()
    stops = {n: container.projections[n].view.positions() for n in names}
    scratches = {n: _scratch(container, n, "verify_") for n in names}
    events = _replay_together(container, scratches, stops, progress)
    reports = []
    for name, scratch in scratches.items():
        live = container.projections[name].view
        with container.db.transaction(write=False) as tx:
            positions, live_rows = live.positions(tx), live.rows(tx)
            scratch_rows = scratch.rows(tx)
        scratch.drop()
        if positions != stops[name]:
            reports.append(verify_view(container, name))
            continue
        differences = _differences(live_rows, scratch_rows)
        reports.append(RebuildReport(name, sum(len(v) for v in live_rows.values()), events,
                                     round(time.perf_counter() - started, 3), verified=not differences,
                                     differences=differences))
    return reports


def _differences(live_rows: dict[str, list[Any]], scratch_rows: dict[str, list[Any]]) -> list[str]:
    differences = []
    for table, rows in live_rows.items():
        other = scratch_rows.get(table, [])
        if rows != other:
            missing = len(set(rows) - set(other))
            extra = len(set(other) - set(rows))
            differences.append(f"{table}: {missing} live rows not rebuilt, {extra} rebuilt rows not live")
    return differences
