"""The dispatch measurements: the raw SMTP ceiling, ingest through the application, end to end."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiosmtplib

from adapters.bootstrap import Container
from adapters.heartbeat import dispatching
from adapters.settings import Settings
from application.sending.app import QueueOptions
from application.sending.enqueue_context import queue_context
from domain.sending.validate import ValidationContext
from scripts.bench.cpu_account import CpuAccount, Roles, Spent
from scripts.bench.dispatch_sink import FastSink

Progress = Callable[[int], None]
TENANT, ACCOUNT = "bench", "smtp1"
BATCH = 1000  # messages per queue_messages call (one save)
BODY = "Hello,\n\n" + "this is a benchmark message of a few hundred bytes. " * 8 + "\n"
RAW = ("From: sender@bench.test\r\nTo: user@dest.test\r\nSubject: benchmark message\r\n"
       "Message-ID: <raw@bench.test>\r\nMIME-Version: 1.0\r\n"
       "Content-Type: text/plain; charset=utf-8\r\n\r\n" + BODY.replace("\n", "\r\n")).encode()


def entries(prefix: str, start: int, count: int) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}-{n}", "account_id": ACCOUNT, "from": "sender@bench.test",
             "to": ["user@dest.test"], "subject": f"benchmark message {n}", "body": BODY}
            for n in range(start, start + count)]


# --- 1. the raw ceiling ---------------------------------------------------------------------------
async def _raw(sink: FastSink, messages: int, connections: int) -> float:
    clients = [aiosmtplib.SMTP(hostname=sink.host, port=sink.port, start_tls=False,
                               local_hostname="bench.test") for _ in range(connections)]
    for smtp in clients:
        await smtp.connect()
    left = [messages]

    async def worker(smtp: aiosmtplib.SMTP) -> None:
        while left[0] > 0:
            left[0] -= 1
            await smtp.sendmail("sender@bench.test", ["user@dest.test"], RAW)

    began = time.perf_counter()
    await asyncio.gather(*(worker(s) for s in clients))
    spent = time.perf_counter() - began
    for smtp in clients:
        await smtp.quit()
    return messages / spent


def raw_ceiling(sink: FastSink, messages: int, connections: int, rounds: int,
                progress: Progress) -> tuple[list[float], Spent | None]:
    """Messages/s of each round of aiosmtplib over ``connections`` persistent connections, one
    transaction at a time on each (as the dispatcher's pool uses them), and the CPU spent
    (connecting and closing included: a few milliseconds a round)."""
    cpu = CpuAccount({"aiosmtplib": lambda: [os.getpid()], "sink": lambda: _pids(sink.pid)}, postgres=False)
    cpu.start()
    rates = []
    for _ in range(rounds):
        rates.append(asyncio.run(_raw(sink, messages, connections)))
        progress(messages)
    return rates, cpu.stop(sum(messages / rate for rate in rates))


def _pids(pid: int | None) -> list[int]:
    return [] if pid is None else [pid]


# --- setup shared by ingest and end to end ----------------------------------------------------
def configure(c: Container, sink: FastSink, connections: int, sends: int,
              lease_seconds: int | None = None) -> None:
    c.tenancy.initialise_instance()
    dispatch: dict[str, Any] = {"max_concurrent_sends": sends}
    if lease_seconds is not None:
        dispatch["lease_seconds"] = lease_seconds
    c.tenancy.configure_instance({"smtp": {"pool_size_per_key": connections},
                                  "dispatch": dispatch})
    c.tenancy.create_tenant(TENANT, {}, None)
    c.tenancy.register_account(TENANT, ACCOUNT, {
        "host": sink.host, "port": sink.port, "use_tls": False, "batch_size": 1000,
        "max_concurrency": 100})


def context(c: Container) -> tuple[ValidationContext, QueueOptions]:
    """The ValidationContext and QueueOptions ``api/enqueue.py`` builds for a tenant."""
    accounts = c.projections["accounts"].view.list(TENANT)  # type: ignore[attr-defined]
    return queue_context(TENANT, c.tenancy.get_tenant(TENANT).settings, (a.account_id for a in accounts),
                         c.tenancy.instance_config(), c.clock.now())


def queue(c: Container, prefix: str, start: int, count: int) -> float:
    """One queue_messages call (one save) with a fresh context; seconds it took."""
    batch = entries(prefix, start, count)
    began = time.perf_counter()
    ctx, options = context(c)
    result = c.sending.queue_messages(ctx, batch, options)
    spent = time.perf_counter() - began
    if result.rejected:
        raise RuntimeError(f"the benchmark's messages were rejected: {result.rejected[:3]}")
    return spent


# --- 2. ingest --------------------------------------------------------------------------------
def ingest_rounds(c: Container, messages: int, rounds: int, progress: Progress) -> list[float]:
    """Messages/s of each round of ``messages`` queued in BATCH-message calls."""
    c.runner("accounts", leader=False).catch_up()  # the context lists the tenant's accounts
    rates = []
    for run in range(rounds):
        spent = 0.0
        for start in range(0, messages, BATCH):
            count = min(BATCH, messages - start)
            spent += queue(c, f"ingest{run}", start, count)
            progress(count)
        rates.append(messages / spent)
    return rates


# --- 3. end to end ------------------------------------------------------------------------------
@dataclass(frozen=True)
class EndToEnd:
    messages: int
    queue_seconds: float  # queueing all messages, while the dispatcher already runs
    sink_seconds: float  # from the first queue call until the sink had them all
    total_seconds: float  # ... until the messages view shows them all sent
    latencies: list[float]  # sent_ts - accepted_ts per message, seconds
    statuses: dict[str, int]
    problems: dict[str, int]  # warnings and errors the dispatcher and runners logged
    cpu: Spent | None  # CPU seconds per process role while the clock ran

    @property
    def rate(self) -> float:
        return self.messages / self.total_seconds


def statuses(c: Container) -> dict[str, int]:
    with c.db.transaction(write=False) as tx:
        rows = tx.execute("SELECT status, COUNT(*) FROM messages GROUP BY status")
    return {str(s): int(n) for s, n in rows}


def latencies(c: Container) -> list[float]:
    with c.db.transaction(write=False) as tx:
        rows = tx.execute("SELECT sent_ts - accepted_ts FROM messages WHERE status = 'sent'")
    return [float(r[0]) for r in rows]


class _Problems(logging.Handler):
    """Counts warnings and errors (one short line each on stderr, no tracebacks)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        cause = f" ({record.exc_info[0].__name__})" if record.exc_info and record.exc_info[0] else ""
        key = f"{record.msg}{cause}"
        self.counts[key] += 1
        print(f"logged: {record.getMessage()}{cause}", file=sys.stderr)


@contextmanager
def counting_problems() -> Iterator[_Problems]:
    handler = _Problems()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def _wait(what: Callable[[], bool], deadline: float, label: str) -> float:
    while not what():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"end to end: timed out waiting for {label}")
        time.sleep(0.005)
    return time.perf_counter()


def _queue_all(c: Container, messages: int) -> None:
    for start in range(0, messages, BATCH):
        queue(c, "e2e", start, min(BATCH, messages - start))


def _start(c: Container) -> None:
    dispatcher = c.start_dispatcher(worker_id="bench")
    _wait(lambda: dispatcher.cycles >= 1, time.perf_counter() + 30, "the dispatcher's first cycle")


@contextmanager
def dispatcher_process(settings: Settings) -> Iterator[int]:
    """``ledgermail worker --role dispatch`` on the same store: the deployment of
    docs/scaling.md, where sending has a process (and a GIL) of its own."""
    env = settings.child_env(worker_id="bench-dispatch")
    proc = subprocess.Popen([sys.executable, "-m", "scripts.cli", "worker", "--role", "dispatch"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def end_to_end(c: Container, sink: FastSink, messages: int, progress: Progress,
               timeout: float, prequeue: bool = False, process: bool = False) -> EndToEnd:
    """As ``_end_to_end``; ``process``: the dispatcher runs as a worker process of its own."""
    roles: dict[str, Callable[[], list[int]]] = {"benchmark process": lambda: [os.getpid()],
                                                 "sink": lambda: _pids(sink.pid)}
    if not process:
        return _end_to_end(c, sink, messages, progress, timeout, prequeue, _start, roles)
    with dispatcher_process(c.settings) as pid:
        roles["dispatcher process"] = lambda: [pid]
        return _end_to_end(c, sink, messages, progress, timeout, prequeue, _await_worker, roles)


def _await_worker(c: Container) -> None:
    _wait(lambda: dispatching(c.db), time.perf_counter() + 60, "the dispatcher process")


def _end_to_end(c: Container, sink: FastSink, messages: int, progress: Progress, timeout: float,
                prequeue: bool, start: Callable[[Container], None], roles: Roles) -> EndToEnd:
    """Queue ``messages`` with projections and one dispatcher running (``prequeue``: queued
    and projected before the dispatcher starts, then the clock starts); time until all are sent."""
    c.start_projections()
    c.catch_up(["accounts", "messages"])
    if prequeue:
        _queue_all(c, messages)
        c.catch_up(["messages"], timeout=timeout)
    else:
        start(c)
    before = sink.received
    seen = [0]

    def sink_has_all() -> bool:
        got = sink.received - before
        progress(got - seen[0])
        seen[0] = got
        return got >= messages

    cpu = CpuAccount(roles, postgres=c.db.dialect == "postgresql")
    with counting_problems() as problems:
        cpu.start()
        began = time.perf_counter()
        if prequeue:
            start(c)
        else:
            _queue_all(c, messages)
        queued = time.perf_counter()
        deadline = began + timeout
        at_sink = _wait(sink_has_all, deadline, f"{messages} messages at the sink")
        done = _wait(lambda: statuses(c).get("sent", 0) >= messages, deadline,
                     f"{messages} sent rows in the messages view")
        spent = cpu.stop(done - began)
    return EndToEnd(messages, queued - began, at_sink - began, done - began, latencies(c),
                    statuses(c), dict(problems.counts), spent)
