"""Benchmark delivery reports: reports/s one reporter delivers to a loopback client app.

For each backend, in a throwaway store: N outcomes (``Message.Sent``, reportable) are stored
and projected first; then one reporter (``Container.start_reporter``, as ``serve`` runs it,
with every projection running) drains them to a minimal client app in a process of its own
on loopback, in POSTs of ``reporting.batch_size``. The clock runs from the reporter's start
until the client has every item and the ``reports`` view shows none pending.

    .venv/bin/python -m scripts.bench.reports [--backend both] [--outcomes 50000] [--markdown]
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
from scripts.bench import reports_phases as phases
from scripts.bench import stores
from scripts.bench.report import md_table, text_table, write_section
from scripts.bench.reports_client import FastClient

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
START, END = "<!-- bench:reports:start -->", "<!-- bench:reports:end -->"
COLUMNS = ["backend", "outcomes", "batch", "POSTs", "all at client", "all acknowledged", "reports/s"]
# The reporter must never be what holds delivery back: it has to drain faster than the
# SMTP ceiling the dispatch benchmark measures on this machine (~1,600 msg/s, loopback).
BAR = 2_000.0


@dataclass(frozen=True)
class Row:
    backend: str
    drain: phases.Drain
    batch: int

    def cells(self) -> list[str]:
        d = self.drain
        return [self.backend, f"{d.outcomes:,}", str(self.batch), f"{d.posts:,}",
                f"{d.at_client_seconds:.2f} s", f"{d.total_seconds:.2f} s", f"{d.rate:,.0f}"]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.bench.reports", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--outcomes", type=int, default=50_000, help="outcomes to deliver per backend (50000)")
    p.add_argument("--batch-size", type=int, default=500, help="reporting.batch_size: items per POST (500)")
    p.add_argument("--timeout", type=float, default=900.0, help="timeout per phase, seconds (900)")
    p.add_argument("--note", action="append", default=[],
                   help="a line for the section's notes, e.g. what else ran on the machine (repeatable)")
    args = stores.parse_common(p, argv)
    if args.quick:
        args.outcomes = 2_000
    if min(args.outcomes, args.batch_size) < 1:
        p.error("--outcomes and --batch-size must be at least 1")
    return args


@contextmanager
def bar(args: argparse.Namespace, desc: str, total: int) -> Iterator[Callable[[int], None]]:
    with tqdm(total=total, desc=desc, unit="item", leave=False, file=sys.stderr,
              disable=args.no_progress, dynamic_ncols=True) as progress:
        yield progress.update


def run_backend(backend: str, args: argparse.Namespace, store: AbstractContextManager[Settings]) -> Row:
    with FastClient() as client, store as settings, closing(Container(settings, create_tables=True)) as c:
        phases.configure(c, client, args.batch_size)
        with bar(args, f"{backend} storing outcomes", args.outcomes) as progress:
            phases.pile_up(c, args.outcomes, progress)
        with bar(args, f"{backend} reports delivered", args.outcomes) as progress:
            drained = phases.drain(c, client, args.outcomes, progress, args.timeout)
    return Row(backend, drained, args.batch_size)


def verdicts(rows: Sequence[Row]) -> list[list[str]]:
    out = []
    for backend in ("sqlite", "postgres"):
        label = f"reports delivered on {backend} >= {BAR:,.0f} reports/s"
        row = next((r for r in rows if r.backend == backend), None)
        if row is None:
            out.append([label, "not measured", "-"])
        else:
            verdict = "PASS" if row.drain.rate >= BAR else "FAIL"
            out.append([label, verdict, f"{row.drain.rate:,.0f} reports/s"])
    return out


METHOD = [
    "client: `scripts/bench/reports_client.py`, a minimal asyncio HTTP/1.1 server (keep-alive) in a "
    "process of its own on loopback; it counts POSTs and items and answers `200 {\"ok\":true}`.",
    "setup (not timed): a fresh store and `Container(create_tables=True)`; one tenant whose "
    "`client_base_url` is the client; N messages queued (1000 per `queue_messages` call) and "
    "recorded `sent` (1000 per save), so N reportable `Message.Sent` events; every projection "
    "caught up.",
    "timed: `Container.start_reporter()` with every projection running (one `ProjectionGroup` "
    "thread, as `serve`); the reporter POSTs `reporting.batch_size` items, records each answer as "
    "one `ReportBatch.Acknowledged` event and waits for the `reports` view to apply it before the "
    "next POST (so no item goes twice). Stops when the client has N items and the view none pending.",
    "one round per backend: a drain cannot be repeated on the same store; the figures are noisy "
    "on a shared machine (see the load average).",
]


def markdown_section(rows: Sequence[Row], machine: dict[str, str], command: str, date: str,
                     notes: Sequence[str]) -> str:
    parts = [
        START,
        "## Delivery reports (`scripts/bench/reports.py`)",
        f"Measured {date} with:\n\n```\n{command}\n```",
        "### Machine\n\n" + md_table(["", ""], [[k, v] for k, v in machine.items()]),
        "### Figures\n\n" + md_table(COLUMNS, [r.cells() for r in rows]),
        "### Bars\n\n" + md_table(["bar", "result", "measured"], verdicts(rows)),
        "### Notes\n\n" + "\n".join(f"- {n}" for n in [*notes, *METHOD]),
        END,
    ]
    return "\n\n".join(parts) + "\n"


def write(args: argparse.Namespace, argv: Sequence[str] | None, rows: list[Row], load_at_start: str,
          notes: list[str]) -> None:
    out = args.out or (DOCS if args.markdown else None)
    if out is None:
        return
    used_pg = any(r.backend == "postgres" for r in rows)
    command = shlex.join([".venv/bin/python", "-m", "scripts.bench.reports",
                          *(sys.argv[1:] if argv is None else argv)])
    section = markdown_section(rows, stores.machine(args.pg_url if used_pg else None, load_at_start),
                               command, time.strftime("%Y-%m-%d %H:%M %Z"), notes)
    write_section(out, section, start=START, end=END)
    print(f"wrote {out}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    load_at_start = stores.load_average()  # other work on the machine skews the figures
    rows = [run_backend(backend, args, store()) for backend, store in stores.backends(args)]
    print(text_table(COLUMNS, [r.cells() for r in rows]))
    print()
    results = verdicts(rows)
    print(text_table(["bar", "result", "measured"], results))
    extra = [f"{r.backend}: {r.drain.items - r.drain.outcomes:,} items delivered twice"
             for r in rows if r.drain.items != r.drain.outcomes]
    for line in extra:
        print(line)
    write(args, argv, rows, load_at_start, [*args.note, *extra])
    return 1 if args.check and any(v[1] == "FAIL" for v in results) else 0


if __name__ == "__main__":
    sys.exit(main())
