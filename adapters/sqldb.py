"""The view databases: one small port (``projections.sql.SqlDatabase``), two backends."""

from __future__ import annotations

import contextlib
import re
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


# ``INSERT INTO t (cols) VALUES (?, ...)``, optionally ``ON CONFLICT ... DO NOTHING``: the
# only shape ``executemany`` sends as one statement (DO UPDATE is excluded: one statement
# may not update a row twice, where row-by-row it may).
_PLAIN_INSERT = re.compile(
    r"\s*INSERT\s+INTO\s+(?P<table>[A-Za-z_][\w.]*)\s*\((?P<columns>[\w\s,]+)\)\s*"
    r"VALUES\s*\((?P<marks>\s*\?\s*(?:,\s*\?\s*)*)\)"
    r"(?P<tail>\s*ON\s+CONFLICT\s*(?:\([\w\s,]+\))?\s*DO\s+NOTHING)?\s*",
    re.IGNORECASE,
)
_BATCH_MIN_ROWS = 16  # below this the column-type look-up costs more than it saves
_TYPED = (bool, int, float, bytes)  # psycopg sends lists of these as typed arrays
_COLUMN_TYPES = (
    "SELECT a.attname, n.nspname, t.typname, t.typcategory "
    "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
    "JOIN pg_namespace n ON n.oid = t.typnamespace "
    "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped"
)


def _quoted(*names: str) -> str:
    # Quoted, qualified type names carry no length: "bpchar" is any length, where the
    # keyword spelling ``character`` would mean char(1) and truncate.
    return ".".join('"' + n.replace('"', '""') + '"' for n in names)


class _PostgresTx:
    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self._cur = cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self._cur.execute(sql.replace("?", "%s"), params)
        return self._cur.fetchall() if self._cur.description else []

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        # psycopg's executemany spends ~30 us of Python per row; a page of view rows as one
        # INSERT ... SELECT FROM unnest(arrays) is one statement. Anything unusual goes the
        # row-by-row way, so results (and errors) stay exactly those of executemany.
        if len(rows) < _BATCH_MIN_ROWS or not self._insert_unnest(sql, rows):
            self._cur.executemany(sql.replace("?", "%s"), rows)

    def _insert_unnest(self, sql: str, rows: list[Sequence[Any]]) -> bool:
        match = _PLAIN_INSERT.fullmatch(sql)
        if match is None:
            return False
        names = [c.strip().lower() for c in match["columns"].split(",")]
        if len(names) != match["marks"].count("?") or any(
            not isinstance(r, tuple | list) or len(r) != len(names) for r in rows
        ):
            return False
        columns = [list(c) for c in zip(*rows, strict=True)]
        kinds = [{type(v) for v in column if v is not None} for column in columns]
        if any(len(k) > 1 or (k and not k <= {str, *_TYPED}) for k in kinds):
            return False
        self._cur.execute(_COLUMN_TYPES, (match["table"],))
        types = {name: (_quoted(schema, kind), category)
                 for name, schema, kind, category in self._cur.fetchall()}
        arrays = []
        for name, kind in zip(names, kinds, strict=True):
            if name not in types or types[name][1] == "A":
                return False  # no such column (let executemany raise), or an array column
            # Typed arrays are coerced to the column on insert, as typed parameters are;
            # text and all-NULL arrays are untyped, so they are read as the column's type
            # (its base type: the insert still checks varchar(n) and the like).
            typed = bool(kind) and next(iter(kind)) in _TYPED
            arrays.append("%s" if typed else f"%s::{types[name][0]}[]")
        self._cur.execute(
            f"INSERT INTO {match['table']} ({', '.join(names)}) "
            f"SELECT * FROM unnest({', '.join(arrays)}){match['tail'] or ''}",
            columns,
        )
        return True


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
        # Checked on checkout (as the event store's POSTGRES_PRE_PING): after a server restart
        # idle connections are dead, and each would fail one request before being discarded.
        self.pool = ConnectionPool(kwargs=kwargs, min_size=1, max_size=max_size, open=True,
                                   check=ConnectionPool.check_connection)

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
