"""One active runner per projection: a PostgreSQL advisory lock, or a file lock on SQLite."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import psycopg


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...

    def holds(self) -> bool: ...

    def release(self) -> None: ...


def lock_key(name: str) -> int:
    digest = hashlib.blake2b(f"ledgermail:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisorySession:
    """One PostgreSQL session holding many advisory locks (a process's projection locks): one
    connection instead of one per projection. If the session breaks the server has released
    every lock on it, so all of them are lost together and the next try opens a new one.

    A key that was refused is asked for again at most every ``retry_seconds``: runners wake
    on every NOTIFY, and a standby would otherwise ask for every lock at each wake-up."""

    def __init__(self, connect_kwargs: dict[str, Any], *, retry_seconds: float = 1.0,
                 check_seconds: float = 1.0) -> None:
        self._kwargs = connect_kwargs
        self.retry_seconds, self.check_seconds = retry_seconds, check_seconds
        self._conn: psycopg.Connection[Any] | None = None
        self._held: dict[int, object] = {}  # key -> the lock object holding it
        self._next_try: dict[int | None, float] = {}  # None: the next connection attempt
        self._checked = 0.0
        self._mutex = threading.Lock()

    def try_lock(self, key: int, owner: object) -> bool:
        """Advisory locks are re-entrant within a session: ``owner`` keeps a second lock
        object of the same name in this process a standby, as in another process."""
        with self._mutex:
            if key in self._held and self._alive():
                return self._held[key] is owner
            now = time.monotonic()
            if now < self._next_try.get(key, 0.0) or not self._connected(now):
                return False
            assert self._conn is not None
            try:
                got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            except psycopg.Error:
                self._drop()
                return False
            if got and got[0]:
                self._held[key] = owner
                return True
            self._next_try[key] = now + self.retry_seconds
            return False

    def holds(self, key: int, owner: object) -> bool:
        with self._mutex:
            return self._held.get(key) is owner and self._alive()

    def unlock(self, key: int, owner: object) -> None:
        with self._mutex:
            if self._held.get(key) is not owner:
                return
            del self._held[key]
            if not self._held:
                self._drop()  # nothing left to hold: end the session
                return
            try:
                assert self._conn is not None
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
            except psycopg.Error:
                self._drop()

    def close(self) -> None:
        with self._mutex:
            self._drop()

    # --- under the mutex ------------------------------------------------------------------
    def _connected(self, now: float) -> bool:
        if self._alive():
            return True
        if now < self._next_try.get(None, 0.0):
            return False
        self._next_try[None] = now + self.retry_seconds
        try:
            self._conn = psycopg.connect(**self._kwargs, autocommit=True)
        except psycopg.OperationalError:
            return False
        self._checked = now
        return True

    def _alive(self) -> bool:
        if self._conn is None or self._conn.closed:
            self._held.clear()
            return False
        if time.monotonic() - self._checked < self.check_seconds:
            return True
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            self._drop()
            return False
        self._checked = time.monotonic()
        return True

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()  # closing the session releases its locks
        self._conn = None
        self._held.clear()


class PostgresAdvisoryLock:
    """Session-level advisory lock, on a session of its own or on a shared ``AdvisorySession``."""

    def __init__(self, connect_kwargs: dict[str, Any], name: str, *,
                 session: AdvisorySession | None = None) -> None:
        self._key = lock_key(name)
        self._session = session or AdvisorySession(connect_kwargs)

    def try_acquire(self) -> bool:
        return self._session.try_lock(self._key, self)

    def holds(self) -> bool:
        return self._session.holds(self._key, self)

    def release(self) -> None:
        self._session.unlock(self._key, self)


class FileLock:
    """flock on <data_dir>/locks/<name>.lock: released by the kernel if the process dies."""

    def __init__(self, directory: Path, name: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._path = directory / f"{name}.lock"
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def holds(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
