"""The reports benchmark's measurement: a backlog of outcomes drained by one reporter.

Setup (not timed): a tenant whose ``client_base_url`` is the loopback ``FastClient``, and
``outcomes`` messages queued and recorded ``sent`` (1000 per save, as the dispatcher batches
its outcomes), all projected. Timed: from ``Container.start_reporter`` until the client
has every item and the ``reports`` view shows none pending, i.e. every batch was POSTed,
answered, recorded as ``ReportBatch.Acknowledged`` and projected.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from adapters.bootstrap import Container
from adapters.dispatch_loader import EventTableMessages
from application.sending.app import QueueOptions
from domain.sending.validate import ValidationContext
from scripts.bench.reports_client import FastClient

Progress = Callable[[int], None]
TENANT, ACCOUNT = "bench", "smtp1"
BATCH = 1000  # messages per save, as ingest and the dispatcher's outcome batches
LEASE = 300.0


def configure(c: Container, client: FastClient, batch_size: int) -> None:
    c.tenancy.initialise_instance()
    c.tenancy.configure_instance({"reporting": {"batch_size": batch_size}})
    c.tenancy.create_tenant(TENANT, {"client_base_url": client.url}, None)
    c.tenancy.register_account(TENANT, ACCOUNT, {"host": "127.0.0.1", "port": 25})


def _entries(start: int, count: int) -> list[dict[str, Any]]:
    return [{"id": f"r-{n}", "account_id": ACCOUNT, "from": "sender@bench.test",
             "to": [f"user{n}@dest.test"], "subject": f"benchmark message {n}", "body": "hello"}
            for n in range(start, start + count)]


def pile_up(c: Container, outcomes: int, progress: Progress) -> None:
    """``outcomes`` reportable ``Message.Sent`` events: queued, then sent, BATCH per save."""
    loader = EventTableMessages(c.db, c.sending.mapper)
    for start in range(0, outcomes, BATCH):
        count = min(BATCH, outcomes - start)
        ctx = ValidationContext(tenant_id=TENANT, account_ids=frozenset({ACCOUNT}), now=c.clock.now())
        result = c.sending.queue_messages(ctx, _entries(start, count), QueueOptions(report=True))
        if result.rejected:
            raise RuntimeError(f"the benchmark's messages were rejected: {result.rejected[:3]}")
        messages = loader.get_messages([UUID(a.pk) for a in result.accepted])
        now = c.clock.now()
        with c.sending.command(actor="dispatcher", tenant_id=TENANT):
            for message in messages:
                message.record_sent(message.start_attempt("bench", now + LEASE), "250 ok")
            c.sending.record(*messages)
        progress(count)


@dataclass(frozen=True)
class Drain:
    outcomes: int
    at_client_seconds: float  # until the client had every item
    total_seconds: float  # ... and the reports view showed none pending
    posts: int
    items: int  # items the client received (more than outcomes: some went twice)

    @property
    def rate(self) -> float:
        return self.outcomes / self.total_seconds


def _wait(what: Callable[[], bool], deadline: float, label: str) -> float:
    while not what():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"reports: timed out waiting for {label}")
        time.sleep(0.005)
    return time.perf_counter()


def drain(c: Container, client: FastClient, outcomes: int, progress: Progress, timeout: float) -> Drain:
    """Start one reporter on the projected backlog; time until it is all delivered and acked."""
    c.start_projections()
    c.catch_up(["tenants", "reports", "messages"], timeout=timeout)
    view: Any = c.projections["reports"].view
    if view.pending_count(TENANT) != outcomes:
        raise RuntimeError(f"expected {outcomes} pending items, found {view.pending_count(TENANT)}")
    seen = [0]

    def client_has_all() -> bool:
        got = client.items
        progress(got - seen[0])
        seen[0] = got
        return got >= outcomes

    began = time.perf_counter()
    c.start_reporter(worker_id="bench")
    deadline = began + timeout
    at_client = _wait(client_has_all, deadline, f"{outcomes} items at the client")
    done = _wait(lambda: view.pending_count(TENANT) == 0, deadline, "no pending items")
    return Drain(outcomes, at_client - began, done - began, client.posts, client.items)
