"""Benchmark the event store and read models on SQLite and PostgreSQL.

Measures append events/s per batch size (one ``record()`` per batch), projection
catch-up events/s with the paged runner (the registered ``event_stats`` view and a
per-event row view) beside eventsourcing's own per-event runner, and save-to-view latency
of a live runner. Every run uses throwaway stores (a temp dir; a fresh PostgreSQL
database, dropped afterwards).

    .venv/bin/python -m scripts.bench.eventstore [--backend both] [--events 100000] [--markdown]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from adapters.bootstrap import Container
from adapters.settings import Settings
from scripts.bench import phases, report, stores
from scripts.bench.report import Figure

BATCHES = (1000, 100, 10, 1)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Plan:
    events: int
    rounds: int
    library_events: int
    samples: int
    latency_batch: int
    progress: bool

    def append_events(self, batch: int) -> int:
        # Small batches are slow by design (one transaction each): fewer events keep the
        # run short while still spanning many saves.
        share = {1000: 1, 100: 5, 10: 20, 1: 100}[batch]
        return max(batch * self.rounds, self.events // share)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.bench.eventstore",
                                description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--events", type=int, default=100_000,
                   help="events appended at batch 1000 and projected per catch-up (100000)")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds per rate (3)")
    p.add_argument("--library-events", type=int, default=None,
                   help="events for the library's per-event runner (default events/20)")
    p.add_argument("--samples", type=int, default=200, help="latency samples per mode (200)")
    args = stores.parse_common(p, argv)
    if min(args.events, args.rounds, args.samples, args.library_events or 1) < 1:
        p.error("--events, --rounds, --samples and --library-events must be at least 1")
    return args


def plan_of(args: argparse.Namespace) -> Plan:
    if args.quick:
        return Plan(events=2000, rounds=2, library_events=200, samples=20, latency_batch=10,
                    progress=not args.no_progress)
    return Plan(events=args.events, rounds=args.rounds,
                library_events=args.library_events or max(100, args.events // 20),
                samples=args.samples, latency_batch=10, progress=not args.no_progress)


@contextmanager
def bar(plan: Plan, desc: str, total: int, unit: str = "ev") -> Iterator[Callable[[int], None]]:
    with tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr,
              disable=not plan.progress, dynamic_ncols=True) as progress:
        yield progress.update


def run_appends(backend: str, c: Container, numbers: phases.Numbering, plan: Plan) -> list[Figure]:
    figures = []
    for batch in BATCHES:
        events = plan.append_events(batch)
        with bar(plan, f"{backend} append batch {batch}", events) as progress:
            rates, saved = phases.append_rounds(c.tenancy, numbers, batch, events, plan.rounds,
                                                progress)
        best, median = phases.best_median(rates)
        figures.append(Figure(backend, "append", f"batch {batch}", saved, best, median,
                              len(rates)))
    return figures


def run_catch_ups(backend: str, c: Container, plan: Plan) -> list[Figure]:
    figures = []
    for kind, case in (("event_stats", report.PAGED_CASES[0]), ("rows", report.PAGED_CASES[1])):
        rates = []
        for run in range(plan.rounds):
            with bar(plan, f"{backend} catch-up {kind} #{run + 1}", plan.events) as progress:
                rates.append(phases.paged_catch_up(c, kind, plan.events, run, progress))
        best, median = phases.best_median(rates)
        figures.append(Figure(backend, "catch-up", case, plan.events, best, median, len(rates)))
    with bar(plan, f"{backend} catch-up library per-event", plan.library_events) as progress:
        rate = phases.library_rate(c, plan.library_events, progress)
    figures.append(Figure(backend, "catch-up", "per-event rows (library)", plan.library_events,
                          rate, rate))
    return figures


def run_latency(backend: str, settings: Settings, numbers: phases.Numbering,
                plan: Plan) -> list[Figure]:
    modes = [("in-process wake", False)]
    if settings.database_url:
        modes.append(("LISTEN/NOTIFY (writer in another container)", True))
    figures = []
    with closing(Container(settings)) as c, bar(plan, f"{backend} catch-up before latency",
                                                c.tenancy.max_position()) as progress:
        c.runner("event_stats", leader=False).catch_up(progress=progress)
    for label, separate in modes:
        reader = Container(settings)
        writer = Container(settings) if separate else reader
        try:
            with bar(plan, f"{backend} latency {label}", plan.samples, "save") as progress:
                got = phases.live_latency(reader, writer, plan.samples, plan.latency_batch,
                                          numbers, progress)
        finally:
            if writer is not reader:
                writer.close()
            reader.close()
        case = f"{label}, {plan.latency_batch} ev/save"
        figures.append(Figure(backend, "latency", case, len(got),
                              phases.percentile(got, 50), phases.percentile(got, 99)))
    return figures


def run_backend(backend: str, store: AbstractContextManager[Settings], plan: Plan) -> list[Figure]:
    with store as settings:
        numbers = phases.Numbering()
        container = Container(settings, create_tables=True)
        try:
            figures = run_appends(backend, container, numbers, plan)
            figures += run_catch_ups(backend, container, plan)
        finally:
            container.close()
        return figures + run_latency(backend, settings, numbers, plan)


def stores_for(args: argparse.Namespace) -> list[tuple[str, AbstractContextManager[Settings]]]:
    chosen: list[tuple[str, AbstractContextManager[Settings]]] = []
    if args.backend in ("sqlite", "both"):
        chosen.append(("sqlite", stores.sqlite_store()))
    if args.backend in ("postgres", "both"):
        problem = stores.pg_problem(args.pg_url)
        if problem is None:
            chosen.append(("postgres", stores.postgres_store(args.pg_url)))
        else:
            print(f"skipping postgres: not reachable at {stores.redact(args.pg_url)}: {problem}",
                  file=sys.stderr)
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    plan = plan_of(args)
    load_at_start = stores.load_average()  # other work on the machine skews the figures
    figures: list[Figure] = []
    for backend, store in stores_for(args):
        figures += run_backend(backend, store, plan)
    print(report.text_table(report.COLUMNS, [f.cells() for f in figures]))
    print()
    print(report.text_table(["bar", "result", "measured"], report.verdicts(figures)))
    notes = report.comparisons(figures)
    for line in notes:
        print(line)
    out = args.out or (DOCS if args.markdown else None)
    if out is not None:
        used_pg = any(f.backend == "postgres" for f in figures)
        command = shlex.join([".venv/bin/python", "-m", "scripts.bench.eventstore",
                              *(sys.argv[1:] if argv is None else argv)])
        section = report.markdown_section(
            figures, stores.machine(args.pg_url if used_pg else None, load_at_start), command,
            time.strftime("%Y-%m-%d %H:%M %Z"), notes)
        report.write_section(out, section)
        print(f"wrote {out}")
    failed = any(v[1] == "FAIL" for v in report.verdicts(figures))
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
