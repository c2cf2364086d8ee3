"""One pass of a dispatch cycle: a pipeline of claims, sends and outcome saves.

Attempts run as asyncio tasks. A new claim is made when the pipeline is half empty (a claim
costs about the same for 1 message as for 100). Outcomes are saved in batches by a
background task, one save at a time, so claiming, sending and saving overlap; a save
releases leases, so it is followed by another claim. The pass ends when a claim finds
nothing and every attempt's outcome is saved.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

from application.sending.dispatch_attempts import InFlight
from application.sending.dispatch_send import Outcome

STOP_GRACE = 2.0  # at shutdown, attempts in flight get this long; then their leases just expire

Claimer = Callable[[int], Awaitable[tuple[int, list[InFlight]]]]  # room -> (processed, attempts)
Sender = Callable[[InFlight], Awaitable[Outcome]]
Saver = Callable[[list[Outcome]], Awaitable[None]]


class DispatchPass:
    def __init__(self, claim: Claimer, send: Sender, save: Saver, *, depth: int, flush_seconds: float,
                 flush_size: int, stop: threading.Event) -> None:
        self._claim, self._send, self._save = claim, send, save
        self.depth, self.flush_seconds, self.flush_size = depth, flush_seconds, flush_size
        self._stop = stop
        self._loop = asyncio.get_running_loop()
        self.attempts: set[asyncio.Task[Outcome]] = set()
        self.saving: asyncio.Task[None] | None = None
        self.buffer: list[Outcome] = []
        self.first_at = 0.0
        self.processed = 0
        self.claim_more = True

    async def run(self) -> int:
        """Returns how many claims (attempts and rate-limit verdicts) the pass processed."""
        while True:
            if self._stop.is_set():
                self.claim_more = False  # shutting down: finish what is in flight, take nothing new
            if self.claim_more and len(self.attempts) <= self.depth // 2:
                processed, flights = await self._claim(self.depth - len(self.attempts))
                self.processed += processed
                self.claim_more = processed > 0
                self.attempts.update(self._loop.create_task(self._send(f)) for f in flights)
            if not (self.attempts or self.buffer or self.saving or self.claim_more):
                return self.processed
            if self.attempts and self._stop.is_set():
                await self._drain()
            await self._wait()
            self._flush_if_due()

    async def _wait(self) -> None:
        waiting: set[asyncio.Future[object]] = set(self.attempts)  # type: ignore[arg-type]
        if self.saving is not None:
            waiting.add(self.saving)  # type: ignore[arg-type]
        if not waiting:
            return
        done, _ = await asyncio.wait(waiting, timeout=self.flush_seconds, return_when=asyncio.FIRST_COMPLETED)
        if self.saving is not None and self.saving in done:
            self.saving = None
            self.claim_more = True  # the save released leases: there may be room again
        finished = [t for t in self.attempts if t in done]
        if finished and not self.buffer:
            self.first_at = self._loop.time()
        self.attempts.difference_update(finished)
        self.buffer += [t.result() for t in finished]

    def _flush_if_due(self) -> None:
        if not self.buffer or self.saving is not None:
            return
        due = (not self.attempts or len(self.buffer) >= self.flush_size
               or self._loop.time() - self.first_at >= self.flush_seconds)
        if due:
            batch, self.buffer = self.buffer, []
            self.saving = self._loop.create_task(self._save(batch))

    async def _drain(self) -> None:
        """Shutting down: wait a little for attempts in flight, then cancel the rest (their
        messages go again once the leases expire: at-least-once)."""
        _, late = await asyncio.wait(self.attempts, timeout=STOP_GRACE)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        self.attempts.difference_update(late)

