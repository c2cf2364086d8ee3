"""Dashboard latency with many sends in the read model (console.md §3, issue #7's bar).

Fills the ``sends`` view through its own write path (``SendsView.put``, pages of 5,000,
which also keeps the hourly roll-up ``send_hours``) with ``--sends`` rows spread over 30
days for one tenant (plus a second tenant with a tenth as many), then times the
dashboard's queries (two windows, the hourly series, the queue, the newest sends) as
``GET /admin/api/dashboard`` runs them. ``--markdown`` writes the section of
docs/benchmarks.md.

    .venv/bin/python -m scripts.bench.dashboard --backend both --sends 1000000 --markdown
"""

from __future__ import annotations

import argparse
import random
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from adapters.bootstrap import bootstrap
from adapters.settings import Settings
from projections.console_sends_fold import COLUMNS, COUNTS
from scripts.bench import report, stores
from scripts.bench.phases import percentile

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
START, END = "<!-- bench:dashboard:start -->", "<!-- bench:dashboard:end -->"
NOW = 1_780_000_000.0
ORIGINS = ("oneoff", "flow", "broadcast", "api")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.bench.dashboard")
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--sends", type=int, default=1_000_000, help="rows of the busy tenant (1,000,000)")
    p.add_argument("--runs", type=int, default=50, help="timed dashboard computations per window (50)")
    p.add_argument("--pg-url", default=stores.pg_admin_url())
    p.add_argument("--quick", action="store_true", help="20,000 sends, 10 runs: a smoke test")
    p.add_argument("--markdown", action="store_true", help=f"write the section of {DOCS}")
    p.add_argument("--out", type=Path, help="write the section to this file instead")
    args = p.parse_args(argv)
    if args.quick:
        args.sends, args.runs = min(args.sends, 20_000), min(args.runs, 10)
    return args


def row(rng: random.Random, tenant: str, n: int, span: float) -> dict[str, object]:
    queued = NOW - rng.random() * span
    out = dict.fromkeys(COLUMNS)
    out.update(dict.fromkeys(COUNTS, 0))
    out.update(
        pk=f"{tenant}-{n:09d}",
        tenant_id=tenant,
        client_id=f"c{n}",
        dedupe_key=f"c{n}",
        origin=rng.choice(ORIGINS),
        kind=rng.choice(("marketing", "transactional")),
        status="sent",
        account_id="sink",
        queued_ts=queued,
        sent_ts=queued + 5,
        holds="[]",
        updated_ts=queued,
    )
    luck = rng.random()
    if luck < 0.02:
        out.update(status="bounced", bounced=1)
    elif luck < 0.3:
        out.update(
            open_count=1,
            human_open_count=1,
            first_open_ts=queued + 600,
            first_human_open_ts=queued + 600,
            engaged_ts=queued + 600,
        )
    elif luck < 0.31:
        out.update(status="failed", sent_ts=None, last_failure_ts=queued + 5)
    return out


def fill(settings: Settings, sends: int) -> float:
    container = bootstrap(settings, create_tables=True)
    view, rng, started = container.projections["sends"].view, random.Random(7), time.perf_counter()
    try:
        for tenant, count in (("acme", sends), ("beta", max(1, sends // 10))):
            for first in range(0, count, 5000):
                page = [row(rng, tenant, n, 30 * 86400) for n in range(first, min(count, first + 5000))]
                with container.db.transaction() as tx:
                    view.put(tx, page, [], [])
        if container.db.dialect == "postgresql":
            # what autovacuum does after a bulk load: without statistics the planner takes the
            # tenant for a handful of rows and sorts all of them for the newest sends
            with container.db.transaction() as tx:
                for table in view.TABLES:
                    tx.execute(f"ANALYZE {view.t(table)}")
        return time.perf_counter() - started
    finally:
        container.close()


def measure(settings: Settings, runs: int, span: float) -> list[float]:
    container = bootstrap(settings)
    view, out = container.projections["sends"].view, []
    try:
        for _ in range(runs + 2):
            started = time.perf_counter()
            view.window_stats("acme", NOW - span, NOW, ORIGINS)
            view.window_stats("acme", NOW - 2 * span, NOW - span, ORIGINS)
            view.hourly("acme", NOW - 86400, ORIGINS)
            view.queue("acme", NOW)
            view.recent("acme", ORIGINS, 6)
            out.append(time.perf_counter() - started)
        return out[2:]  # two warm-up runs: caches, prepared plans
    finally:
        container.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    load, lines, table = stores.load_average(), [], []
    chosen = [("sqlite", stores.sqlite_store)] if args.backend in ("sqlite", "both") else []
    if args.backend in ("postgres", "both"):
        problem = stores.pg_problem(args.pg_url)
        if problem is None:
            chosen.append(("postgres", lambda: stores.postgres_store(args.pg_url)))
        else:
            print(f"skipping postgres: {problem}", file=sys.stderr)
    for backend, store in chosen:
        with store() as settings:
            filled = fill(settings, args.sends)
            for window, span in (("24h", 86400), ("7d", 7 * 86400), ("30d", 30 * 86400)):
                times = measure(settings, args.runs, span)
                p50, p99 = percentile(times, 50) * 1000, percentile(times, 99) * 1000
                table.append(
                    [
                        backend,
                        f"{args.sends:,}",
                        window,
                        f"{p50:,.1f} ms",
                        f"{p99:,.1f} ms",
                        f"{filled:,.1f} s",
                    ]
                )
                lines.append(
                    f"{backend:8} {args.sends:>9,} sends  window {window:3}  p50 {p50:8.1f} ms  "
                    f"p99 {p99:8.1f} ms  (fill {filled:.1f} s)"
                )
    print("\n".join(lines))
    out = args.out or (DOCS if args.markdown else None)
    if out is not None:
        header = ["backend", "sends in view", "window", "p50", "p99", "fill time"]
        command = shlex.join(
            [".venv/bin/python", "-m", "scripts.bench.dashboard", *(sys.argv[1:] if argv is None else argv)]
        )
        machine = stores.machine(args.pg_url if any(b == "postgres" for b, _ in chosen) else None, load)
        section = "\n".join(
            [
                START,
                "## Dashboard query (console.md §3)",
                "",
                f"`{command}`, {time.strftime('%Y-%m-%d %H:%M %Z')}. One tenant with the sends "
                "spread over 30 days (a tenth as many for a second tenant), written through the "
                "view's own upsert (which keeps the hourly roll-up `send_hours`; PostgreSQL then "
                "`ANALYZE`d, as autovacuum would); each figure is the whole dashboard computation "
                "(two windows from the roll-up plus their partial edge hours from the rows, hourly "
                "series, queue, newest sends).",
                "",
                report.md_table(header, table),
                "",
                *(f"- {k}: {v}" for k, v in machine.items()),
                END,
                "",
            ]
        )
        report.write_section(out, section, start=START, end=END)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
