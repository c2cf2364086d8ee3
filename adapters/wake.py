"""Waking runners: in-process saves, PostgreSQL NOTIFY, and a poll as the safety net."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)


class WakeHub:
    """A generation counter runners wait on; anything may bump it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0
        self._relays: list[WakeHub] = []

    def relay_to(self, other: WakeHub) -> None:
        """Every wake-up of this hub wakes ``other`` too (which may also be woken alone)."""
        self._relays.append(other)

    def wake(self, *_: Any) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()
        for other in self._relays:
            other.wake()

    def generation(self) -> int:
        with self._cond:
            return self._generation

    def wait(self, seen: int, timeout: float) -> int:
        with self._cond:
            self._cond.wait_for(lambda: self._generation != seen, timeout=timeout)
            return self._generation


class PostgresListener(threading.Thread):
    """LISTENs on the applications' channels and wakes the hub on every NOTIFY."""

    def __init__(self, connect_kwargs: dict[str, Any], channels: Iterable[str], hub: WakeHub):
        super().__init__(name="ledgermail-pg-listen", daemon=True)
        self._kwargs = connect_kwargs
        self._channels = list(channels)
        self._hub = hub
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:  # a lost connection: the poll covers the gap
                log.warning("LISTEN connection lost (%s); retrying", exc)
                self._halt.wait(1.0)

    def _listen(self) -> None:
        with psycopg.connect(**self._kwargs, autocommit=True) as conn:
            for channel in self._channels:
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            while not self._halt.is_set():
                for _ in conn.notifies(timeout=0.5, stop_after=1):
                    self._hub.wake()

    def stop(self) -> None:
        self._halt.set()
        with contextlib.suppress(RuntimeError):
            self.join(timeout=2)
