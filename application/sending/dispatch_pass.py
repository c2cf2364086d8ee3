"""One pass of a dispatch cycle: a pipeline of claims, sends and outcome saves.

Attempts run as asyncio tasks. Claims and saves run as background tasks too, at most one of
each at a time, so claiming, sending and saving overlap. Saves are group commits: an outcome
is saved as soon as no save is running, together with every outcome that arrived during the
previous save, so a batch grows exactly as large as the save is slow. A save releases leases
(an account's ``max_concurrency`` counts live leases), so it makes another claim worth
trying. The pass ends when a claim finds nothing and every attempt's outcome is saved.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

from application.sending.dispatch_attempts import InFlight
from application.sending.dispatch_send import Outcome

STOP_GRACE = 2.0  # at shutdown, attempts in flight get this long; then their leases just expire
TICK = 0.05  # the longest the loop sleeps without looking at the stop flag

Claimer = Callable[[int], Awaitable[tuple[int, list[InFlight]]]]  # room -> (processed, attempts)
Sender = Callable[[InFlight], Awaitable[Outcome]]
Saver = Callable[[list[Outcome]], Awaitable[None]]


class DispatchPass:
    def __init__(self, claim: Claimer, send: Sender, save: Saver, *, depth: int, flush_size: int,
                 stop: threading.Event) -> None:
        self._claim, self._send, self._save = claim, send, save
        self.depth, self.flush_size = depth, flush_size
        self._stop = stop
        self._loop = asyncio.get_running_loop()
        self.attempts: set[asyncio.Task[Outcome]] = set()
        self.saving: asyncio.Task[None] | None = None
        self.claiming: asyncio.Task[tuple[int, list[InFlight]]] | None = None
        self.buffer: list[Outcome] = []
        self.processed = 0
        self.claim_more = True
        self.saves = 0  # saves completed: a claim that found nothing retries if one ended since
        self._saves_at_claim = 0
        self.released = 0  # outcomes saved (leases released) since the last claim began
        self._refill_at = 0  # ... how many must be, before a lease-bound claim is worth its cost
        self._saving_size = 0
        self._asked = 0

    async def run(self) -> int:
        """Returns how many claims (attempts and rate-limit verdicts) the pass processed."""
        while True:
            if self._stop.is_set():
                self.claim_more = False  # shutting down: finish what is in flight, take nothing new
            self._claim_if_room()
            self._flush_if_due()
            if not (self.attempts or self.buffer or self.saving or self.claiming or self.claim_more):
                return self.processed
            if self.attempts and self._stop.is_set():
                await self._drain()
            await self._wait()

    def _claim_if_room(self) -> None:
        if self.claiming is not None or not self.claim_more or len(self.attempts) > self.depth // 2:
            return
        # A claim costs about the same for 5 messages as for 50: when the last one was cut
        # short by live leases (an account's max_concurrency), wait until half of those in
        # flight have been released, rather than claim the few freed by each save.
        if self.attempts and self.released < self._refill_at:
            return
        self._saves_at_claim, self.released = self.saves, 0
        self._asked = self.depth - len(self.attempts)
        self.claiming = self._loop.create_task(self._claim(self._asked))

    def _flush_if_due(self) -> None:
        if self.buffer and self.saving is None:
            batch, self.buffer = self.buffer[:self.flush_size], self.buffer[self.flush_size:]
            self._saving_size = len(batch)
            self.saving = self._loop.create_task(self._save(batch))

    async def _wait(self) -> None:
        waiting: set[asyncio.Future[object]] = set(self.attempts)  # type: ignore[arg-type]
        waiting.update(t for t in (self.saving, self.claiming) if t is not None)  # type: ignore[misc]
        if not waiting:
            return
        done, _ = await asyncio.wait(waiting, timeout=TICK, return_when=asyncio.FIRST_COMPLETED)
        if self.saving is not None and self.saving in done:
            self.saving = None
            self.saves += 1
            self.released += self._saving_size
            self.claim_more = not self._stop.is_set()  # the save released leases: room again
        if self.claiming is not None and self.claiming in done:
            self._claimed(self.claiming.result())
        finished = [t for t in self.attempts if t in done]
        self.attempts.difference_update(finished)
        self.buffer += [t.result() for t in finished]

    def _claimed(self, result: tuple[int, list[InFlight]]) -> None:
        processed, flights = result
        self.claiming = None
        self.processed += processed
        # nothing claimable: try again only once a save has released leases since it began
        self.claim_more = processed > 0 or self.saves != self._saves_at_claim
        self._refill_at = 0
        if self._stop.is_set():
            self.claim_more = False
        self.attempts.update(self._loop.create_task(self._send(f)) for f in flights)
        if processed < self._asked:
            self._refill_at = (len(self.attempts) + len(self.buffer)) // 2

    async def _drain(self) -> None:
        """Shutting down: wait a little for attempts in flight, then cancel the rest (their
        messages go again once the leases expire: at-least-once)."""
        _, late = await asyncio.wait(self.attempts, timeout=STOP_GRACE)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        self.attempts.difference_update(late)

