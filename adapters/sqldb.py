"""The view databases: one small port (``projections.sql.SqlDatabase``), two backends."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from adapters.persistence import postgres_params


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[_SqliteTx]:
        conn = self._connection()
        # IMMEDIATE takes the write lock up front, so a writer never fails mid-way
        # on a lock upgrade; readers get a consistent WAL snapshot.
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield _SqliteTx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class _PostgresTx:
    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self._cur = cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cur.execute(sql.replace("?", "%s"), params)
        return self._cur.fetchall() if self._cur.description else []

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._cur.executemany(sql.replace("?", "%s"), rows)


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, schema: str | None = None, *, max_size: int = 10) -> None:
        self.url = url
        self.schema = schema
        params = postgres_params(url)
        kwargs: dict[str, Any] = dict(params)
        if schema:
            kwargs["options"] = f"-c search_path={schema}"
        self.connect_kwargs = kwargs
        self.pool = ConnectionPool(kwargs=kwargs, min_size=1, max_size=max_size, open=True)

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[_PostgresTx]:
        with self.pool.connection() as conn:
            if not write:
                conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield _PostgresTx(cur)
            finally:
                conn.isolation_level = None

    def connect(self, **extra: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(**self.connect_kwargs, **extra)

    def close(self) -> None:
        self.pool.close()
