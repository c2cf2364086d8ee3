"""Benchmark history: export events/s to Parquet (and JSON lines) and rebuild time per view,
over a store of N events (default 1,000,000) filled in 1000-message transactions.

    .venv/bin/python -m scripts.bench.history [--backend postgres] [--events 1000000] [--markdown]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

from tqdm import tqdm

from adapters.bootstrap import Container
from adapters.registry import PROJECTIONS
from scripts.bench import history_phases as phases
from scripts.bench import stores
from scripts.bench.report import md_table, text_table, write_section

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
START, END = "<!-- bench:history:start -->", "<!-- bench:history:end -->"
EXPORT_BAR, REBUILD_BAR = 200_000.0, 60.0  # events/s (Parquet, PostgreSQL); seconds (all views)
METHOD = [
    "fill: tenant + account, then Message aggregates of 3 events (Queued, AttemptStarted, Sent; every 20th "
    "also Bounced), 1000 messages per `LedgerApplication.record` (one transaction); not timed.",
    "export: `scripts/export.py` `export()` of the whole store (every application) with no filter, in "
    "ranges of 10,000 positions; on PostgreSQL two forked workers (`adapters/history/parallel.py`, ADR "
    "0030) each read every other range on a connection of their own and decode it with the application's "
    "`MsgspecMapper`; the parent resolves tenants and writes with a streaming polars `sink_parquet` "
    "(zstd level 1) fed one page at a time, in position order; JSON lines through msgspec in one "
    "process. Rate = events written / wall time, opening to closing the file.",
    "rebuild all views: `adapters.rebuild.rebuild_all` (`ledgermail rebuild --all`): the views split by "
    "measured cost between two processes (this one and a forked one, PostgreSQL), each replaying the logs "
    "once into its views' scratch copies (ADR 0017's projection group), then each view swapped in on its "
    "own (atomic per view); the baseline row: `adapters.rebuild.rebuild_view` of every registered view in "
    "turn (scratch copy, replay from 0 to the positions at its start, atomic swap), each view reading "
    "only the logs it follows. Rows are counted with `COUNT(*)`.",
]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m scripts.bench.history",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="postgres")
    p.add_argument("--events", type=int, default=1_000_000, help="events to store first (1,000,000)")
    p.add_argument("--views", nargs="*", default=list(PROJECTIONS), help="views to rebuild (all)")
    p.add_argument("--no-jsonl", action="store_true", help="skip the JSON lines export")
    p.add_argument("--note", action="append", default=[], help="a line for the Notes (repeatable)")
    args = stores.parse_common(p, argv)
    if args.quick:
        args.events = 3000
    unknown = [v for v in args.views if v not in PROJECTIONS]
    if unknown or args.events < 1:
        p.error(f"--events must be >= 1 and views known (unknown: {unknown})")
    return args


def bar(args: argparse.Namespace, desc: str, total: int) -> tqdm:  # type: ignore[type-arg]
    return tqdm(
        total=total,
        desc=desc,
        unit="ev",
        leave=False,
        file=sys.stderr,
        disable=args.no_progress,
        dynamic_ncols=True,
    )


def view_bars(args: argparse.Namespace) -> Callable[[str, int], Callable[[int], None]] | None:
    if args.no_progress:
        return None
    return lambda name, total: bar(args, f"rebuild {name}", total).update


def measure(backend: str, args: argparse.Namespace, settings: stores.Settings) -> list[list[str]]:
    rows: list[list[str]] = []
    with closing(Container(settings, create_tables=True)) as c:
        c.tenancy.initialise_instance()
        with bar(args, f"{backend} fill", args.events) as b:
            stored = phases.fill(c, args.events, b.update)
        for fmt in ("parquet", *([] if args.no_jsonl else ["jsonl"])):
            with bar(args, f"{backend} export {fmt}", stored) as b:
                events, seconds, size = phases.export_rate(c, fmt, b.update)
            rows.append(
                [
                    backend,
                    f"export {fmt}",
                    f"{events:,}",
                    f"{seconds:.2f} s",
                    f"{events / seconds:,.0f} ev/s",
                    f"{size / 1e6:,.1f} MB",
                ]
            )
        times = phases.rebuild_times(c, args.views, view_bars(args))
        for name, n_rows, events, seconds in times:
            rows.append(
                [
                    backend,
                    f"rebuild {name}",
                    f"{events:,}",
                    f"{seconds:.2f} s",
                    f"{events / seconds:,.0f} ev/s" if seconds else "-",
                    f"{n_rows:,} rows",
                ]
            )
        total = sum(t[3] for t in times)
        rows.append(
            [
                backend,
                "rebuild views one at a time (baseline)",
                f"{sum(t[2] for t in times):,}",
                f"{total:.2f} s",
                "-",
                f"{len(times)} views",
            ]
        )
        events, seconds = phases.rebuild_together(c, args.views, view_bars(args))
        rows.append([backend, "rebuild all views", f"{events:,}", f"{seconds:.2f} s",
                     f"{events / seconds:,.0f} ev/s" if seconds else "-",
                     f"{len(args.views)} views, one pass ({total / seconds:.1f}x)" if seconds else "-"])
    return rows


def verdicts(rows: list[list[str]]) -> list[list[str]]:
    def find(kind: str) -> list[str] | None:
        return next((r for r in rows if r[0] == "postgres" and r[1] == kind), None)

    export, rebuild = find("export parquet"), find("rebuild all views")
    out = [
        [f"export to Parquet on postgres >= {EXPORT_BAR:,.0f} ev/s", "not measured", "-"],
        [f"rebuild of every view on postgres <= {REBUILD_BAR:.0f} s", "not measured", "-"],
    ]
    if export:
        rate = float(export[4].split()[0].replace(",", ""))
        out[0][1:] = ["PASS" if rate >= EXPORT_BAR else "FAIL", export[4]]
    if rebuild:
        seconds = float(rebuild[3].split()[0])
        out[1][1:] = ["PASS" if seconds <= REBUILD_BAR else "FAIL", f"{rebuild[3]} for {rebuild[2]} events"]
    return out


COLUMNS = ["backend", "measurement", "events", "time", "rate", "size"]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    load_at_start = stores.load_average()
    rows: list[list[str]] = []
    for backend in ["sqlite", "postgres"] if args.backend == "both" else [args.backend]:
        if backend == "postgres" and (problem := stores.pg_problem(args.pg_url)):
            print(f"skipping postgres: {problem}", file=sys.stderr)
            continue
        store = stores.sqlite_store() if backend == "sqlite" else stores.postgres_store(args.pg_url)
        with store as settings:
            rows += measure(backend, args, settings)
    print(text_table(COLUMNS, rows))
    print()
    judged = verdicts(rows)
    print(text_table(["bar", "result", "measured"], judged))
    out = args.out or (DOCS if args.markdown else None)
    if out is not None:
        command = shlex.join(
            [".venv/bin/python", "-m", "scripts.bench.history", *(sys.argv[1:] if argv is None else argv)]
        )
        used_pg = any(r[0] == "postgres" for r in rows)
        machine = stores.machine(args.pg_url if used_pg else None, load_at_start)
        section = (
            "\n\n".join(
                [
                    START,
                    "## History: export and rebuild (`scripts/bench/history.py`)",
                    f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} with:\n\n```\n{command}\n```",
                    "### Machine\n\n" + md_table(["", ""], [[k, v] for k, v in machine.items()]),
                    "### Figures\n\n" + md_table(COLUMNS, rows),
                    "### Bars\n\n" + md_table(["bar", "result", "measured"], judged),
                    "### Notes\n\n" + "\n".join(f"- {n}" for n in [*args.note, *METHOD]),
                    END,
                ]
            )
            + "\n"
        )
        write_section(out, section, start=START, end=END)
        print(f"wrote {out}")
    return 1 if args.check and any(v[1] == "FAIL" for v in judged) else 0


if __name__ == "__main__":
    sys.exit(main())
