"""The per-process SMTP connection pool behind ``adapters.smtp`` (spec proxy.md §6.5).

One ``SmtpPool`` per event loop: its semaphores and connections belong to the loop that
first used them. The pool knows nothing of mail transactions; it hands out live, greeted,
authenticated ``aiosmtplib.SMTP`` sessions and takes them back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiosmtplib

from application.sending.ports import SmtpSendError, SmtpTarget
from domain.sending.failure import AttemptFailure

Opener = Callable[[SmtpTarget], Awaitable[aiosmtplib.SMTP]]


@dataclass
class PoolStats:
    """Counters for tests and benchmarks; they only ever grow."""

    opened: int = 0  # fresh TCP connections, greeted and authenticated
    reused: int = 0  # sends served by an idle pooled connection
    closed: int = 0  # connections the pool let go of, for whatever reason
    noop_failed: int = 0  # idle connections found dead by the NOOP check


@dataclass(eq=False)
class Lease:
    smtp: aiosmtplib.SMTP
    key: str
    ttl: float
    generation: int
    last_used: float = 0.0


@dataclass(eq=False)
class _KeyPool:
    slots: asyncio.Semaphore
    idle: list[Lease] = field(default_factory=list)  # most recently used last
    generation: int = 0  # bumped by discard: leases of older generations close on release


def pool_key(target: SmtpTarget) -> str:
    """``target.key``, kept apart for unverified TLS: a connection whose certificate nobody
    checked must never carry mail for an account that asks for verification."""
    if target.tls_mode != "plain" and not target.tls_verify:
        return f"{target.key}:unverified"
    return target.key


class SmtpPool:
    def __init__(self, opener: Opener, *, size_per_key: int = 5, wait_seconds: float = 30.0,
                 noop_after_idle: float = 5.0, noop_timeout: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self._open = opener
        self._size = size_per_key
        self._wait = wait_seconds
        self._noop_after = noop_after_idle
        self._noop_timeout = noop_timeout
        self._clock = clock
        self._pools: dict[str, _KeyPool] = {}
        self.stats = PoolStats()

    async def acquire(self, target: SmtpTarget) -> Lease:
        self._expire_idle()
        key = pool_key(target)
        pool = self._pools.setdefault(key, _KeyPool(asyncio.Semaphore(self._size)))
        try:
            if pool.slots.locked():  # a free slot is taken at once: no timer for that
                async with asyncio.timeout(self._wait):
                    await pool.slots.acquire()
            else:
                await pool.slots.acquire()
        except TimeoutError:
            text = f"no SMTP connection to {target.host}:{target.port} free within {self._wait:g} s"
            raise SmtpSendError(AttemptFailure(kind="network", text=text)) from None
        try:
            lease = await self._take_idle(pool)
            if lease is None:
                generation = pool.generation  # a discard while we open must still win
                smtp = await self._open(target)
                self.stats.opened += 1
                lease = Lease(smtp, key, target.ttl, generation)
            lease.ttl = target.ttl
            return lease
        except BaseException:
            pool.slots.release()
            raise

    async def _take_idle(self, pool: _KeyPool) -> Lease | None:
        while pool.idle:
            lease = pool.idle.pop()
            try:
                alive = await self._still_alive(lease)
            except BaseException:  # cancelled mid-NOOP: the session is in an unknown state
                self._close(lease)
                raise
            if alive:
                self.stats.reused += 1
                return lease
            self._close(lease)
        return None

    async def _still_alive(self, lease: Lease) -> bool:
        if not lease.smtp.is_connected:
            return False
        if self._clock() - lease.last_used < self._noop_after:
            return True
        try:
            await lease.smtp.noop(timeout=self._noop_timeout)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            self.stats.noop_failed += 1
            return False
        return True

    def release(self, lease: Lease, *, reusable: bool) -> None:
        """Give the slot back; keep the connection only if it can carry the next message."""
        pool = self._pools[lease.key]
        pool.slots.release()
        if reusable and lease.generation == pool.generation and lease.smtp.is_connected:
            lease.last_used = self._clock()
            pool.idle.append(lease)
        else:
            self._close(lease)

    async def discard(self, target: SmtpTarget) -> None:
        idle: list[Lease] = []
        for key in (target.key, f"{target.key}:unverified"):
            pool = self._pools.get(key)
            if pool is not None:
                pool.generation += 1
                idle.extend(pool.idle)
                pool.idle = []
        await self._quit_all(idle)

    async def sweep(self) -> int:
        """QUIT idle connections past their ttl; returns how many went."""
        expired = self._take_expired()
        await self._quit_all(expired)
        return len(expired)

    async def close(self) -> None:
        idle: list[Lease] = []
        for pool in self._pools.values():
            pool.generation += 1
            idle.extend(pool.idle)
            pool.idle = []
        await self._quit_all(idle)

    def _expire_idle(self) -> None:
        # Runs on every acquire, so it must not wait on a server: no QUIT, just close.
        for lease in self._take_expired():
            self._close(lease)

    def _take_expired(self) -> list[Lease]:
        now = self._clock()
        expired: list[Lease] = []
        for pool in self._pools.values():
            keep = [lease for lease in pool.idle if now - lease.last_used < lease.ttl]
            expired.extend(lease for lease in pool.idle if lease not in keep)
            pool.idle = keep
        return expired

    async def _quit_all(self, leases: list[Lease]) -> None:
        await asyncio.gather(*(self._quit(lease) for lease in leases))
        await asyncio.sleep(0)  # let the aborted sockets' close callbacks run before we return

    async def _quit(self, lease: Lease) -> None:
        transport = lease.smtp.transport  # quit() forgets it after its own graceful close
        try:
            if lease.smtp.is_connected:
                await lease.smtp.quit(timeout=self._noop_timeout)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            pass  # the server went first; closing below is all that is left to do
        self._close(lease, transport)

    def _close(self, lease: Lease, transport: asyncio.BaseTransport | None = None) -> None:
        # Abort, not close: a TLS close waits for close_notify round trips and, at shutdown,
        # would leave the socket to the garbage collector once the loop is gone.
        for each in {transport, lease.smtp.transport} - {None}:
            each.abort()  # type: ignore[union-attr]
        lease.smtp.close()
        self.stats.closed += 1
