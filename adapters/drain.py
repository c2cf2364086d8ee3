"""``POST /_test/drain`` (console.md §1.6): run everything that is due until nothing is.

A round catches every read model up, runs each registered drainer once (flow ticks,
broadcast fan-out pages, health evaluation, DNSBL scans: each returns how much it did)
and, while the dispatcher has messages due or in flight, wakes it and waits. The drain is
idle when a round finds no work anywhere. Only the fake-clock test mode exposes it, so a
process without a dispatcher starts one here rather than report a queue it cannot empty.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from adapters.bootstrap import Container

Drainer = Callable[[], int]  # runs what is due once; returns how much it did (0: nothing)
SETTLE = 0.02  # between rounds while the dispatcher works: it runs in its own thread


class DrainResult(msgspec.Struct, frozen=True):
    ok: bool
    rounds: int
    idle: bool


def drain(container: Container, max_seconds: float = 30.0) -> DrainResult:
    deadline = time.monotonic() + max_seconds
    rounds = 0
    if not container.dispatchers:
        container.start_dispatcher()
    messages = container.projections["messages"].view
    while time.monotonic() < deadline:
        rounds += 1
        container.catch_up(list(container.projections), timeout=max(0.1, deadline - time.monotonic()))
        work = sum(run() for run in container.drainers)
        due = messages.due_count(container.clock.now())
        if due:
            container.dispatch_hub.wake()
            container.report_hub.wake()
            time.sleep(SETTLE)
        elif not work:
            container.report_hub.wake()
            return DrainResult(ok=True, rounds=rounds, idle=True)
    return DrainResult(ok=True, rounds=rounds, idle=False)
