"""The measurements: append rate, catch-up rate (paged and library), save-to-view latency."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from adapters.bootstrap import Container
from adapters.runner import ProjectionRunner
from application.base import LedgerApplication
from projections.base import Projection
from projections.event_stats import EventStatsProjection, EventStatsView
from scripts.bench.library import library_catch_up
from scripts.bench.model import BenchRowsProjection, BenchRowsView, items

Progress = Callable[[int], None]
TENANTS = 10
WARM_UP = 5  # latency samples taken but not counted


class Numbering:
    """Hands out item numbers, so every aggregate of a run has its own client id."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, count: int) -> int:
        start, self.next = self.next, self.next + count
        return start


def save_batch(app: LedgerApplication, numbers: Numbering, size: int) -> tuple[int, float, float]:
    """One ``record()`` of ``size`` one-event aggregates: (position, save start, save end)."""
    start = numbers.take(size)
    with app.command(actor="bench", tenant_id=f"t{start % TENANTS}"):
        aggregates = items(start, size)
        began = time.perf_counter()
        position = app.record(*aggregates)
    return position, began, time.perf_counter()


def append_rounds(app: LedgerApplication, numbers: Numbering, batch: int, events: int,
                  rounds: int, progress: Progress) -> tuple[list[float], int]:
    """Events/s of each round and the events saved; only the saves are timed."""
    saves = max(rounds, -(-events // batch))
    per_round = [saves // rounds + (1 if r < saves % rounds else 0) for r in range(rounds)]
    rates = []
    for count in per_round:
        spent = 0.0
        for _ in range(count):
            _, began, ended = save_batch(app, numbers, batch)
            spent += ended - began
            progress(batch)
        rates.append(count * batch / spent)
    return rates, saves * batch


def _paged_runner(container: Container, projection: Projection[Any]) -> ProjectionRunner:
    return ProjectionRunner(projection, container.sources(),
                            page_size=container.settings.projection_page_size)


def paged_catch_up(container: Container, kind: str, stop: int, run: int,
                   progress: Progress) -> float:
    """Events/s of one catch-up from zero to ``stop`` into a fresh scratch copy of a view."""
    prefix = f"bench{run}_"
    projection: Projection[Any]
    if kind == "event_stats":
        projection = EventStatsProjection(EventStatsView(container.db, prefix=prefix))
    else:
        projection = BenchRowsProjection(BenchRowsView(container.db, prefix=prefix))
    projection.view.create()
    runner = _paged_runner(container, projection)
    began = time.perf_counter()
    done = runner.catch_up(stop_at={"tenancy": stop}, progress=progress)
    seconds = time.perf_counter() - began
    written = projection.view.count() if isinstance(projection.view, BenchRowsView) else stop
    if done != stop or written != stop:
        raise RuntimeError(f"{kind}: read {done} and wrote {written} events, expected {stop}")
    projection.view.drop()
    return stop / seconds


def library_rate(container: Container, events: int, progress: Progress) -> float:
    return events / library_catch_up(container.settings, events, progress)


class CommitWatch:
    """Wraps a runner's ``on_commit``: when did the view commit which position."""

    def __init__(self, inner: Callable[[str, dict[str, int]], None] | None) -> None:
        self._inner = inner
        self._cond = threading.Condition()
        self._position = 0
        self._at = 0.0

    def __call__(self, view: str, positions: dict[str, int]) -> None:
        now = time.perf_counter()
        with self._cond:
            self._position = max(self._position, positions.get("tenancy", 0))
            self._at = now
            self._cond.notify_all()
        if self._inner is not None:
            self._inner(view, positions)

    def committed_at(self, position: int, timeout: float = 10.0) -> float:
        with self._cond:
            if not self._cond.wait_for(lambda: self._position >= position, timeout=timeout):
                raise TimeoutError(f"view did not reach position {position} in {timeout}s")
            return self._at


def live_latency(reader: Container, writer: Container, samples: int, batch: int,
                 numbers: Numbering, progress: Progress) -> list[float]:
    """Seconds from the start of a save to the live event_stats runner committing it.

    The registered view must be caught up first, so each sample starts from an idle runner.
    ``reader`` runs the projections (``start_projections``: WakeHub, and on PostgreSQL
    LISTEN/NOTIFY). When ``writer`` is another container nothing wakes the reader in
    process, so the figure is the NOTIFY path (or the poll, on SQLite).
    """
    reader.start_projections(["event_stats"])
    runner = reader.runners["event_stats"]
    watch = CommitWatch(runner.on_commit)
    runner.on_commit = watch
    time.sleep(0.2)  # let the runner take its lock and the listener LISTEN
    out = []
    for n in range(WARM_UP + samples):
        position, began, _ = save_batch(writer.tenancy, numbers, batch)
        seconds = watch.committed_at(position) - began
        if n >= WARM_UP:  # the first saves also pay for connections and statement plans
            out.append(seconds)
            progress(1)
        time.sleep(0.01)  # an idle runner between saves, as in a live system
    return out


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def best_median(rates: list[float]) -> tuple[float, float]:
    return max(rates), statistics.median(rates)

