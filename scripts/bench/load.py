"""Sustained mixed traffic against a multi-process deployment (issue #12's load bar).

Starts deploy/Procfile's roles as processes of their own on a throwaway store
(``ledgermail api --workers N`` behind one port, N dispatchers, a leading and a standby
projection runner, reporter, monitor, jobs) with a fast SMTP sink on loopback, then offers
``--rate`` requests a second for ``--duration`` seconds from ``--concurrency`` client threads:
enqueue batches, message lists, the console dashboard, and open/click tracking hits on sent
messages. Prints p50/p99 per endpoint, the error rate, and each server process's resident
memory after the warm-up and at the end with its slope, judged against the documented bound
(scripts/bench/load_report.py); ``--svg`` draws the memory over time.

    .venv/bin/python -m scripts.bench.load --duration 600 --markdown --svg docs/load-rss.svg
    .venv/bin/python -m scripts.bench.load --quick --backend sqlite    # a 5 s smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from tqdm import tqdm

from adapters.bootstrap import bootstrap, migrate
from scripts.bench import load_report, report, stores
from scripts.bench.dispatch_sink import FastSink
from scripts.bench.load_cluster import ADMIN, Cluster, MemorySampler
from scripts.bench.load_traffic import MIX, Targets, Traffic

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
NOTES = [
    "errors: answers other than 200 (302 for clicks) and transport errors; latencies are "
    "client-side, from the request to the whole answer, on the same 2 cores as every server "
    "process and the database.",
    "a client thread waits for its answer: when answers are slower than its share of the "
    "offered rate, the achieved rate (column `rate`) is lower than `--rate`.",
    "RSS is VmRSS from /proc, sampled every `--sample-every` s; `api.supervisor` is uvicorn's "
    "parent process (it imported the stack to initialise the instance, then only supervises).",
]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.bench.load", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=600.0, help="seconds of traffic (600)")
    p.add_argument("--rate", type=float, default=40.0, help="requests a second offered in total (40)")
    p.add_argument("--concurrency", type=int, default=8, help="client threads, one connection each (8)")
    p.add_argument("--batch", type=int, default=10, help="messages per enqueue call (10)")
    p.add_argument("--api-workers", type=int, default=2, help="processes of `ledgermail api` (2)")
    p.add_argument("--dispatchers", type=int, default=2, help="`worker --role dispatch` processes (2)")
    p.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    p.add_argument("--pg-url", default=stores.pg_admin_url(), help="server to create the bench database on")
    p.add_argument("--sample-every", type=float, default=5.0, help="seconds between RSS samples (5)")
    p.add_argument("--svg", type=Path, help="write the RSS-over-time chart here")
    p.add_argument("--markdown", action="store_true", help=f"write the Load section of {DOCS}")
    p.add_argument("--out", type=Path, help="write the section to this file instead")
    p.add_argument("--check", action="store_true", help="exit 1 when the memory bound or errors fail")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--quick", action="store_true", help="5 s, 1 dispatcher, 1 s samples: a smoke run")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.dispatchers, args.sample_every = min(args.duration, 5.0), 1, 1.0
    return args


def store(args: argparse.Namespace) -> contextlib.AbstractContextManager:  # type: ignore[type-arg]
    if args.backend == "sqlite":
        return stores.sqlite_store()
    problem = stores.pg_problem(args.pg_url)
    if problem is not None:
        raise SystemExit(f"PostgreSQL not reachable at {stores.redact(args.pg_url)}: {problem}")
    return stores.postgres_store(args.pg_url)


def seed(cluster: Cluster, sink: FastSink) -> str:
    """Tenant ``acme`` and its account ``sink``; returns the tenant key."""
    with httpx.Client(base_url=cluster.base_url, timeout=30) as http:
        answer = http.post("/tenant", json={"id": "acme"}, headers={"X-API-Token": ADMIN})
        answer.raise_for_status()
        key = str(answer.json()["api_key"])
        answer = http.post("/account", headers={"X-API-Token": key}, json={
            "id": "sink", "host": sink.host, "port": sink.port, "use_tls": False,
            "max_concurrency": 20, "batch_size": 200})
        answer.raise_for_status()
    return key


def run(args: argparse.Namespace, log_dir: Path) -> dict[str, object]:
    with store(args) as settings, FastSink() as sink:
        migrate(settings)
        cluster = Cluster(settings, args.api_workers, args.dispatchers, log_dir)
        container = None
        try:
            cluster.start()
            cluster.wait_ready()
            key = seed(cluster, sink)
            container = bootstrap(settings)  # mints tracking links with the instance's key
            targets = Targets(container, "acme")
            traffic = Traffic(cluster.base_url, key, targets, rate=args.rate,
                              concurrency=args.concurrency, batch=args.batch)
            sampler, peak_load = MemorySampler(every=args.sample_every), [os.getloadavg()[0]]
            drive(args, cluster, traffic, targets, sampler, peak_load)
            lag = _status(cluster).get("projection_lag", {})
            return {"stats": traffic.stats, "samples": sampler.samples, "delivered": sink.received,
                    "queued": traffic._seq, "lag": lag, "peak_load": max(peak_load),
                    "pids": cluster.server_pids()}
        finally:
            if container is not None:
                container.close()
            cluster.stop()


def drive(args: argparse.Namespace, cluster: Cluster, traffic: Traffic, targets: Targets,
          sampler: MemorySampler, peak_load: list[float]) -> None:
    bar = tqdm(total=round(args.duration), unit="s", disable=args.no_progress, file=sys.stderr,
               desc="load")
    started = time.monotonic()
    sampler.maybe_sample(cluster, 0.0)
    traffic.start()
    next_refresh = 0.0
    try:
        while (elapsed := time.monotonic() - started) < args.duration:
            cluster.check_alive()
            sampler.maybe_sample(cluster, elapsed)
            if elapsed >= next_refresh:
                targets.refresh()
                next_refresh = elapsed + 1.0
                peak_load.append(os.getloadavg()[0])
            bar.n = min(round(elapsed), bar.total)
            bar.set_postfix(requests=traffic.stats.total, errors=traffic.stats.failed, refresh=False)
            bar.refresh()
            time.sleep(0.25)
    finally:
        traffic.join()
        sampler.maybe_sample(cluster, args.duration)  # the end sample, whatever the rhythm
        bar.n = bar.total
        bar.close()


def _status(cluster: Cluster) -> dict[str, object]:
    try:
        answer = httpx.get(f"{cluster.base_url}/status", headers={"X-API-Token": ADMIN}, timeout=10)
        return dict(answer.json())
    except (httpx.HTTPError, ValueError):
        return {}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    load_at_start, date = stores.load_average(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="ledgermail_load_") as tmp:
        try:
            out = run(args, Path(tmp))
        except RuntimeError as exc:
            logs = "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                             for p in sorted(Path(tmp).glob("*.log")))
            print(f"load: {exc}\n{logs}", file=sys.stderr)
            return 1
    stats, mem = out["stats"], load_report.memory(out["samples"], args.duration)  # type: ignore[arg-type]
    print(load_report.console(stats, args.duration, mem))  # type: ignore[arg-type]
    print(f"\nqueued {out['queued']:,} messages, {out['delivered']:,} at the sink by the end; "
          f"projection lag at the end: {sum(out['lag'].values()) if out['lag'] else 'n/a'}")  # type: ignore[union-attr]
    machine = stores.machine(args.pg_url if args.backend == "postgres" else None, load_at_start)
    machine["peak 1-min load average during the run"] = f"{out['peak_load']:.2f}"
    for key, value in machine.items():
        print(f"{key}: {value}")
    if args.svg:
        args.svg.parent.mkdir(parents=True, exist_ok=True)
        args.svg.write_text(load_report.svg(out["samples"], "RSS of each server process (MiB)"))  # type: ignore[arg-type]
    if args.markdown or args.out:
        command = shlex.join([".venv/bin/python", "-m", "scripts.bench.load", *(argv or sys.argv[1:])])
        section = load_report.markdown(stats, args.duration, mem, command=command, date=date,  # type: ignore[arg-type]
                                       machine=machine, setup=setup_text(args, out), notes=NOTES)
        report.write_section(args.out or DOCS, section, start=load_report.START, end=load_report.END)
    too_many = stats.failed > 0.01 * max(1, stats.total)  # type: ignore[attr-defined]
    failed = too_many or not all(m.passed for m in mem)
    return 1 if args.check and failed else 0


def setup_text(args: argparse.Namespace, out: dict[str, object]) -> str:
    mix = ", ".join(f"{k} {v}%" for k, v in MIX.items())
    return (f"{args.backend}; `ledgermail api --workers {args.api_workers}` behind one port, "
            f"{args.dispatchers} dispatcher processes, a leading and a standby `--role project`, "
            f"`report`, `monitor` and `jobs`: {len(out['pids'])} server processes "  # type: ignore[arg-type]
            f"(the API's supervisor included), an SMTP sink in a process of its own, and the load "
            f"generator on the same 2 cores. Offered {args.rate:g} requests/s from "
            f"{args.concurrency} client threads for {args.duration:g} s; mix {mix}; enqueue "
            f"batches of {args.batch}. Queued {out['queued']:,} messages; {out['delivered']:,} "
            f"reached the sink by the end.")


if __name__ == "__main__":
    sys.exit(main())
