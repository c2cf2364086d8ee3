"""Rebuild read models from the event store, and verify a rebuild equals the live view.

A rebuild replays into a scratch copy (``rebuild_<view>``) and swaps it in atomically, so
readers never see a half-built view and a live runner can keep going; ``verify`` replays
up to the live view's own positions and compares every row without swapping.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import msgspec

from adapters.bootstrap import Container
from adapters.history.pg_select import history_sources
from adapters.history.reader import rare_collections
from adapters.registry import PROJECTIONS
from adapters.runner import ProjectionRunner
from adapters.runner_group import ProjectionGroup
from adapters.settings import Settings
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
    scratch.secondary_indexes = False  # the swap builds them (``View.replace_with``); verify drops it
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
    return RebuildReport(name, _count(container, live), events, round(time.perf_counter() - started, 3))


def _count(container: Container, view: View) -> int:
    """Rows of every table of ``view``: counted by the database (``View.rows`` would fetch and
    sort them all, a quarter of a rebuild's time)."""
    with container.db.transaction(write=False) as tx:
        return sum(int(tx.execute(f"SELECT COUNT(*) FROM {view.t(table)}")[0][0]) for table in view.TABLES)


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


# Seconds each view's replay took alone over the history benchmark's 1,000,000 events
# (docs/benchmarks.md): what splitting the views between processes balances. Others: ~0.
COSTS = {"sends": 27.0, "health": 23.0, "messages": 21.0, "reports": 17.0, "send_metrics": 16.0,
         "hygiene": 6.7, "audit": 4.5, "event_stats": 4.0, "suppressions": 2.6}


def split(names: list[str], parts: int) -> list[list[str]]:
    """``names`` in ``parts`` groups of about equal cost (largest first, into the lightest)."""
    groups: list[list[str]] = [[] for _ in range(max(1, parts))]
    loads = [0.0] * len(groups)
    for name in sorted(names, key=lambda n: -COSTS.get(n, 0.1)):
        i = loads.index(min(loads))
        groups[i].append(name)
        loads[i] += COSTS.get(name, 0.1)
    return [g for g in groups if g]


def _processes(container: Container, processes: int | None) -> int:
    """Two on PostgreSQL (the folds are Python under one GIL; a second process uses the second
    core); one on SQLite, whose single writer would only make the two wait for each other."""
    if processes is not None:
        return processes
    return 2 if container.db.dialect == "postgresql" else 1


def _replay_child(settings: Settings, names: list[str], prefix: str, stops: dict[str, dict[str, int]],
                  out: Connection) -> None:
    """A forked process replaying ``names`` into the scratch copies the parent created."""
    container = Container(settings)
    try:
        scratches = {n: type(container.projections[n].view)(container.db, prefix=prefix) for n in names}
        out.send(_replay_together(container, scratches, stops, None))
    finally:
        container.close()


def _replay(container: Container, scratches: dict[str, View], stops: dict[str, dict[str, int]],
            progress: Progress | None, prefix: str, processes: int) -> int:
    """The scratch copies replayed by ``processes`` processes, each a group (``split``): the
    others forked, one here. Each process reads and decodes the logs for its own views."""
    parts = split(list(scratches), processes) if "fork" in multiprocessing.get_all_start_methods() else []
    if len(parts) < 2:
        return _replay_together(container, scratches, stops, progress)
    # forked: event classes registered at run time (tests, plugins) decode there too; the child
    # builds a container of its own and never touches this one's pools
    context = multiprocessing.get_context("fork")
    children = []
    for part in parts[1:]:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_replay_child, name="rebuild-replay", daemon=True,
                                args=(container.settings, part, prefix, {n: stops[n] for n in part}, send))
        child.start()
        send.close()
        children.append((child, receive, part))
    try:
        here = parts[0]
        events = _replay_together(container, {n: scratches[n] for n in here}, {n: stops[n] for n in here},
                                  progress)
        for child, receive, part in children:
            got = receive.recv() if receive.poll(None) else None
            child.join()
            if child.exitcode != 0 or got is None:
                raise RuntimeError(f"the replay of {', '.join(part)} failed (exit code {child.exitcode})")
            events = max(events, got)
    except EOFError as exc:
        raise RuntimeError("a replay process ended without a result") from exc
    finally:
        for child, receive, _ in children:
            if child.is_alive():
                child.terminate()
            child.join()
            receive.close()
    return events


def rebuild_all(container: Container, names: list[str], *, progress: Progress | None = None,
                processes: int | None = None) -> list[RebuildReport]:
    """Rebuild ``names`` in one replay (split between ``processes``), then swap each scratch
    copy in, one view at a time (each swap atomic, as ``rebuild_view``'s)."""
    started = time.perf_counter()
    scratches = {n: _scratch(container, n, "rebuild_") for n in names}
    ends = {app: source.max_position() for app, source in container.sources().items()}
    stops = {n: {app: ends[app] for app in container.projections[n].FOLLOWS if app in ends} for n in names}
    events = _replay(container, scratches, stops, progress, "rebuild_", _processes(container, processes))
    reports = []
    for name, scratch in scratches.items():
        live = container.projections[name].view
        live.replace_with(scratch)
        reports.append(RebuildReport(name, _count(container, live), events,
                                     round(time.perf_counter() - started, 3)))
    return reports


def verify_all(container: Container, names: list[str], *, progress: Progress | None = None,
               processes: int | None = None) -> list[RebuildReport]:
    """Replay ``names`` together up to each live view's positions, then compare rows. A view
    that moved on meanwhile (a live runner) is verified again on its own."""
    started = time.perf_counter()
    stops = {n: container.projections[n].view.positions() for n in names}
    scratches = {n: _scratch(container, n, "verify_") for n in names}
    events = _replay(container, scratches, stops, progress, "verify_", _processes(container, processes))
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
