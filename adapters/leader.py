"""One active runner per projection: a PostgreSQL advisory lock, or a file lock on SQLite."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
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


class PostgresAdvisoryLock:
    """Session-level advisory lock held on its own connection for the runner's life."""

    def __init__(self, connect_kwargs: dict[str, Any], name: str) -> None:
        self._kwargs = connect_kwargs
        self._key = lock_key(name)
        self._conn: psycopg.Connection[Any] | None = None

    def try_acquire(self) -> bool:
        if self.holds():
            return True
        self.release()
        try:
            conn = psycopg.connect(**self._kwargs, autocommit=True)
        except psycopg.OperationalError:
            return False
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        if got and got[0]:
            self._conn = conn
            return True
        conn.close()
        return False

    def holds(self) -> bool:
        if self._conn is None or self._conn.closed:
            return False
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()  # closing the session releases the lock
            self._conn = None


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
