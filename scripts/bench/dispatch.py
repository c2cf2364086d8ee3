"""Benchmark dispatch: the raw SMTP ceiling, ingest and end-to-end delivery, on SQLite and PostgreSQL.

In one run: aiosmtplib straight to a loopback sink over the pool's number of persistent
connections (the ceiling); ``queue_messages`` in 1000-message calls (ingest msg/s); and a
container with projections and one dispatcher delivering N freshly queued messages to the
sink until the ``messages`` view shows them all sent (delivered msg/s, accepted-to-sent
latency), with delivery as a share of the ceiling; by default once with the dispatcher in
the benchmark's process and once as a worker process of its own (``--layout``). Every run
uses throwaway stores.

    .venv/bin/python -m scripts.bench.dispatch [--backend both] [--messages 5000] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path

from tqdm import tqdm

from adapters.bootstrap import Container
from adapters.settings import Settings
from scripts.bench import dispatch_phases as phases
from scripts.bench import dispatch_report as report
from scripts.bench import stores
from scripts.bench.cpu_account import Spent, summary
from scripts.bench.dispatch_report import Row
from scripts.bench.dispatch_sink import FastSink
from scripts.bench.phases import percentile
from scripts.bench.report import text_table

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
LAYOUTS = {"together": (False,), "process": (True,), "both": (False, True)}  # dispatcher process?


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.bench.dispatch",
                                description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--messages", type=int, default=5000,
                   help="messages per ceiling round, ingest round and end-to-end run (5000)")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds of ceiling and ingest (3)")
    p.add_argument("--connections", type=int, default=5,
                   help="SMTP connections: the pool size (smtp.pool_size_per_key) and the "
                        "ceiling's connections (5)")
    p.add_argument("--sends", type=int, default=10,
                   help="dispatch.max_concurrent_sends of the dispatcher (10)")
    p.add_argument("--lease-seconds", type=int,
                   help="dispatch.lease_seconds (default: the instance default, 300)")
    p.add_argument("--prequeue", action="store_true",
                   help="end to end: queue and project all messages first, then start the "
                        "dispatcher and the clock (no ingest running beside the dispatcher)")
    p.add_argument("--layout", choices=["together", "process", "both"], default="both",
                   help="end to end: `together`, the dispatcher in the benchmark's process beside "
                        "the projections; `process`, the dispatcher as `ledgermail worker --role "
                        "dispatch` in a process of its own (projections stay in the benchmark's "
                        "process); `both` (default): one run of each")
    p.add_argument("--dispatch-process", action="store_const", dest="layout", const="process",
                   help="the same as --layout process")
    p.add_argument("--timeout", type=float, default=600.0, help="end-to-end timeout, seconds")
    args = stores.parse_common(p, argv)
    if args.quick:
        args.messages, args.rounds = 300, 1
    if min(args.messages, args.rounds, args.connections, args.sends) < 1:
        p.error("--messages, --rounds, --connections and --sends must be at least 1")
    return args


@contextmanager
def bar(args: argparse.Namespace, desc: str, total: int) -> Iterator[Callable[[int], None]]:
    with tqdm(total=total, desc=desc, unit="msg", leave=False, file=sys.stderr,
              disable=args.no_progress, dynamic_ncols=True) as progress:
        yield progress.update


def run_ceiling(args: argparse.Namespace, sink: FastSink) -> Row:
    with bar(args, "raw ceiling", args.messages * args.rounds) as progress:
        rates, spent = phases.raw_ceiling(sink, args.messages, args.connections, args.rounds, progress)
    count = args.messages * len(rates)
    return Row("-", "raw ceiling", f"aiosmtplib, {args.connections} persistent connections",
               args.messages, max(rates), statistics.median(rates), len(rates),
               summary(spent, count), _cpu_ms(spent, count))


def _cpu_ms(spent: Spent | None, messages: int) -> float | None:
    return None if spent is None or not messages else spent.total_ms(messages)


def run_ingest(backend: str, args: argparse.Namespace, sink: FastSink,
               store: AbstractContextManager[Settings]) -> Row:
    with store as settings, closing(Container(settings, create_tables=True)) as c:
        phases.configure(c, sink, args.connections, args.sends)
        with bar(args, f"{backend} ingest", args.messages * args.rounds) as progress:
            rates = phases.ingest_rounds(c, args.messages, args.rounds, progress)
    return Row(backend, "ingest", f"queue_messages, {phases.BATCH}/call", args.messages,
               max(rates), statistics.median(rates), len(rates))


def run_end_to_end(backend: str, args: argparse.Namespace, sink: FastSink,
                   store: AbstractContextManager[Settings], process: bool) -> Row:
    with store as settings, closing(Container(settings, create_tables=True)) as c:
        phases.configure(c, sink, args.connections, args.sends, args.lease_seconds)
        with bar(args, f"{backend} end to end", args.messages) as progress:
            got = phases.end_to_end(c, sink, args.messages, progress, args.timeout, args.prequeue,
                                    process)
    lat = got.latencies
    notes = (f"queued in {got.queue_seconds:.2f} s, all at sink {got.sink_seconds:.2f} s, "
             f"all sent in view {got.total_seconds:.2f} s; accepted->sent p50 "
             f"{percentile(lat, 50) * 1000:,.0f} ms, p99 {percentile(lat, 99) * 1000:,.0f} ms")
    if got.cpu is not None:
        notes += "; " + summary(got.cpu, got.messages)
    if got.problems:
        notes += "; logged: " + ", ".join(f"{n} x {what!r}" for what, n in got.problems.items())
    where = "1 dispatcher process (worker --role dispatch)" if process else "1 dispatcher in process"
    case = f"{where}, {args.sends} sends, pool {args.connections}"
    case += ", prequeued" if args.prequeue else ", queued while running"
    return Row(backend, "end to end", case, got.messages, got.rate, got.rate, 1, notes,
               _cpu_ms(got.cpu, got.messages))


def _budget(run: Row, ceiling: Row) -> str:
    """What the delivery bar would allow each message on this machine's cores, against what
    the run spent: a run that spends more can only meet the bar on a bigger machine."""
    if run.cpu_ms is None:
        return ""
    cores = os.cpu_count() or 1
    wanted = ceiling.median * report.DELIVERY_BAR / 100
    return (f"; {report.DELIVERY_BAR:.0f} % is {wanted:,.0f} msg/s, which {cores} cores allow at most "
            f"{cores * 1000 / wanted:.2f} ms of CPU per message; this run spent {run.cpu_ms:.2f} ms")


def comparisons(rows: Sequence[Row]) -> list[str]:
    ceiling = next((r for r in rows if r.kind == "raw ceiling"), None)
    out = []
    for r in rows:
        if r.kind == "end to end" and ceiling is not None:
            out.append(f"{r.backend}, {r.case.split(',')[0]}: delivered {r.median:,.0f} msg/s = "
                       f"{100 * r.median / ceiling.median:.1f} % of the raw ceiling "
                       f"({ceiling.median:,.0f} msg/s, median)" + _budget(r, ceiling))
    return out


def write(args: argparse.Namespace, argv: Sequence[str] | None, rows: list[Row],
          load_at_start: str, notes: list[str]) -> None:
    out = args.out or (DOCS if args.markdown else None)
    if out is None:
        return
    used_pg = any(r.backend == "postgres" for r in rows)
    command = shlex.join([".venv/bin/python", "-m", "scripts.bench.dispatch",
                          *(sys.argv[1:] if argv is None else argv)])
    section = report.markdown_section(rows, stores.machine(args.pg_url if used_pg else None,
                                                           load_at_start),
                                      command, time.strftime("%Y-%m-%d %H:%M %Z"), notes)
    report.write_section(out, section)
    print(f"wrote {out}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    load_at_start = stores.load_average()  # other work on the machine skews the figures
    with FastSink() as sink:
        rows = [run_ceiling(args, sink)]
        for backend, store in stores.backends(args):
            rows.append(run_ingest(backend, args, sink, store()))
            for process in LAYOUTS[args.layout]:
                rows.append(run_end_to_end(backend, args, sink, store(), process))
    print(text_table(report.COLUMNS, [r.cells() for r in rows]))
    print()
    verdicts = report.verdicts(rows)
    print(text_table(["bar", "result", "measured"], verdicts))
    notes = comparisons(rows)
    for line in notes:
        print(line)
    write(args, argv, rows, load_at_start, notes)
    failed = any(v[1] == "FAIL" for v in verdicts)
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
