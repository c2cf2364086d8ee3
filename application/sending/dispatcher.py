"""The dispatcher: claims ready messages, sends them, records the outcomes (spec proxy.md §6).

A cycle runs two passes, priority 0 first and to completion, then priorities 1-3 (each a
``DispatchPass``: claims, concurrent sends, outcome saves in batches). At most
``dispatch.max_concurrent_sends`` SMTP transactions run at once. Claims, starts and outcomes
are each one save for many messages: appends are serialised per application, so per-message
transactions would cap throughput (ARCHITECTURE §6).
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import msgspec

from application.ports import Clock, SecretBox
from application.sending.app import SendingApplication
from application.sending.dispatch_attachments import AttachmentWork
from application.sending.dispatch_attempts import InFlight, start_attempts
from application.sending.dispatch_outcomes import record_outcomes
from application.sending.dispatch_pass import DispatchPass
from application.sending.dispatch_send import AttemptPipeline, Outcome
from application.sending.dispatch_settings import CycleSettings, InstanceSettings, Tenancy
from application.sending.ports import (
    ClaimStore,
    ConsoleGate,
    MessageLoader,
    MimeBuilder,
    NoSuppressions,
    SmtpTransport,
    SuppressionList,
)

log = logging.getLogger(__name__)
# The second pass takes priority 0 too (first, by queue order): an immediate message that
# became ready after the first pass ended must still go before the others.
PASSES: tuple[tuple[int, ...], ...] = ((0,), (0, 1, 2, 3))
DEADLINE_MARGIN = 30.0  # an attempt must end this long before its lease does (spec §6.2)


class Waker(Protocol):
    """``adapters.wake.WakeHub``: saves, NOTIFYs, run-now and clock moves bump it."""

    def generation(self) -> int: ...

    def wait(self, seen: int, timeout: float) -> int: ...


class DispatcherOptions(msgspec.Struct, frozen=True, kw_only=True):
    flush_size: int = 1000  # most outcomes in one save (saves are group commits: dispatch_pass)
    claim_size: int = 200  # most attempts in flight: a claim costs about the same for 1 or 100
    depth_per_send: int = 2  # ... and at least this many per send slot, so the next batch is ready
    purge_every: float = 10.0  # seconds between purges of expired leases and old windows
    threads: int = 4  # for blocking calls: claim, outcome save, idle wait, look-ups
    rand: Callable[[], float] = random.random  # the retry jitter's draw


class Dispatcher:
    def __init__(self, sending: SendingApplication, tenancy: Tenancy, store: ClaimStore,
                 transport: SmtpTransport, build: MimeBuilder, clock: Clock, worker_id: str,
                 options: DispatcherOptions | None = None, *, secret_box: SecretBox,
                 suppressions: SuppressionList | None = None, waker: Waker | None = None,
                 loader: MessageLoader | None = None, attachments: AttachmentWork | None = None,
                 console: ConsoleGate | None = None) -> None:
        self.sending = sending
        self.console = console  # console sends: re-checked and rendered right before each attempt
        self.tenancy = tenancy
        self.store = store
        self.transport = transport
        self.build = build
        self.clock = clock
        self.worker_id = worker_id
        self.options = options or DispatcherOptions()
        self.secret_box = secret_box
        self.suppressions = suppressions or NoSuppressions()
        self.waker = waker
        self.loader = loader or sending
        self.attachments = attachments  # None: only inline (base64) attachments can be sent
        self.instance = InstanceSettings(tenancy)
        self._stop = threading.Event()
        self._purged_at = 0.0
        self.cycles = 0  # completed cycles: lets a test wait for "a cycle ran and did nothing"

    # --- one cycle ------------------------------------------------------------------------
    async def run_cycle(self) -> int:
        """Both passes; returns how many claims were processed (0: nothing was ready)."""
        config = await asyncio.to_thread(self.instance.get)
        settings = CycleSettings(self.tenancy, config)
        pipeline = AttemptPipeline(self.transport, self.build, self.suppressions, self.secret_box,
                                   asyncio.Semaphore(config.dispatch.max_concurrent_sends), self.attachments,
                                   self.console)
        processed = 0
        for priorities in PASSES:
            processed += await self._pass(priorities, settings, pipeline)
        if time.monotonic() - self._purged_at > self.options.purge_every:
            self._purged_at = time.monotonic()
            await asyncio.to_thread(self._purge)
        self.cycles += 1
        return processed

    async def _pass(self, priorities: Sequence[int], settings: CycleSettings,
                    pipeline: AttemptPipeline) -> int:
        sends = settings.config.dispatch.max_concurrent_sends
        runner = DispatchPass(
            lambda room: self._claim(priorities, settings, room),
            lambda flight: pipeline.run(flight, settings),
            lambda outcomes: self._flush(outcomes, settings),
            depth=max(self.options.claim_size, sends * self.options.depth_per_send),
            flush_size=self.options.flush_size, stop=self._stop)
        return await runner.run()

    async def _claim(self, priorities: Sequence[int], settings: CycleSettings,
                     room: int) -> tuple[int, list[InFlight]]:
        """Claim up to ``room`` and start their attempts; (claims processed, attempts to send)."""
        lease = float(settings.config.dispatch.lease_seconds)
        deadline = asyncio.get_running_loop().time() + lease - DEADLINE_MARGIN

        def claim_and_start() -> tuple[int, list[InFlight]]:
            batch = self.store.claim(self.clock.now(), self.worker_id, lease, priorities,
                                     settings.limits_of, max(1, room))
            if batch.empty:
                return 0, []
            flights, released = start_attempts(self.sending, settings, self.worker_id, batch, deadline,
                                               self.loader)
            self.store.finish(self.worker_id, released)
            return len(batch.claimed) + len(batch.deferred) + len(batch.rejected), flights

        try:
            return await asyncio.to_thread(claim_and_start)
        except Exception:
            # a database hiccup (PostgreSQL deadlock victim, a view being rebuilt): leases
            # taken in a rolled-back claim never existed; committed ones expire and retry
            log.exception("dispatch: claim failed; retrying next cycle")
            return 0, []

    async def _flush(self, outcomes: list[Outcome], settings: CycleSettings) -> None:
        def save() -> None:
            finished = record_outcomes(self.sending, settings, self.worker_id, outcomes, self.options.rand)
            self.store.finish(self.worker_id, finished)

        try:
            await asyncio.to_thread(save)
        except Exception:
            # nothing recorded: the leases expire and the messages go again (at-least-once)
            log.exception("dispatch: saving %d outcomes failed", len(outcomes))

    def _purge(self) -> None:
        try:
            self.store.purge(self.clock.now())
        except Exception:
            log.exception("dispatch: purge failed")

    # --- the thread -----------------------------------------------------------------------
    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, args=(stop,), daemon=True,
                                  name=f"ledgermail-dispatch-{self.worker_id}")
        thread.start()
        return thread

    def run_forever(self, stop: threading.Event) -> None:
        """Cycle until ``stop``: at once again after a busy cycle, else after the poll interval
        or a wake-up, whichever comes first. Its own event loop, in its own thread."""
        self._stop = stop
        asyncio.run(self._forever(stop))

    async def _forever(self, stop: threading.Event) -> None:
        # Blocking calls (claims, saves, look-ups) run on a few threads of our own: each one
        # may hold a database connection, and many dispatcher processes share one server.
        executor = ThreadPoolExecutor(max_workers=self.options.threads,
                                      thread_name_prefix=f"ledgermail-dispatch-{self.worker_id}")
        asyncio.get_running_loop().set_default_executor(executor)
        try:
            while not stop.is_set():
                seen = self.waker.generation() if self.waker is not None else 0
                try:
                    processed = await self.run_cycle()
                except Exception:
                    log.exception("dispatch: cycle failed")
                    processed = 0
                if processed or stop.is_set():
                    continue
                await asyncio.to_thread(self._idle, seen)
        finally:
            await self.transport.close()

    def _idle(self, seen: int) -> None:
        poll = self.instance.get().dispatch.poll_interval_seconds
        if self.waker is not None:
            self.waker.wait(seen, poll)
        else:
            self._stop.wait(poll)
