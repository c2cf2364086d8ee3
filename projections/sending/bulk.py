"""Page-sized upserts and deletes, as few statements as each backend likes best.

PostgreSQL: one ``INSERT ... SELECT FROM json_to_recordset(<the page as one JSON text>)``.
``executemany`` (a statement per row, ~80 µs each even pipelined), multi-row VALUES lists
(psycopg re-parses long queries in Python, ~5 µs per placeholder) and ``unnest`` arrays
(psycopg quotes every array element in Python) all cap the ``messages`` view near or under
10,000 rows/s; one JSON parameter costs one msgspec encode. Floats survive exactly
(shortest round-trip text, parsed by ``float8in``). SQLite: ``executemany`` runs in C.
Keys of one call must be distinct (PostgreSQL refuses to update a row twice in one
statement); callers fold per key first.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from projections.sql import SqlTx

Kind = str  # "text" | "int" | "real": how PostgreSQL reads the column from JSON
_PG_TYPE = {"text": "text", "int": "int8", "real": "float8"}
_json = msgspec.json.Encoder()


def upsert(tx: SqlTx, dialect: str, table: str, columns: Mapping[str, Kind], key: str,
           rows: Sequence[Sequence[Any]], updates: str | None = None) -> None:
    """INSERT rows (tuples in ``columns`` order), or on a ``key`` conflict SET ``updates``
    (default: every column not in ``key``)."""
    keys = {k.strip() for k in key.split(",")}
    sets = updates or ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    _insert(tx, dialect, table, columns, rows, f" ON CONFLICT ({key}) DO UPDATE SET {sets}")


def insert_new(tx: SqlTx, dialect: str, table: str, columns: Mapping[str, Kind], key: str,
               rows: Sequence[Sequence[Any]]) -> None:
    """INSERT rows, leaving any whose ``key`` is taken as it is (``ON CONFLICT DO NOTHING``)."""
    _insert(tx, dialect, table, columns, rows, f" ON CONFLICT ({key}) DO NOTHING")


def _insert(tx: SqlTx, dialect: str, table: str, columns: Mapping[str, Kind],
            rows: Sequence[Sequence[Any]], tail: str) -> None:
    """One statement for a page: executemany on SQLite; on PostgreSQL one JSON document
    unpacked by ``json_to_recordset`` (one round trip, whatever the page's size)."""
    if not rows:
        return
    names = list(columns)
    head = f"INSERT INTO {table} ({', '.join(names)}) "
    if dialect != "postgresql":
        tx.executemany(head + f"VALUES ({', '.join('?' * len(names))})" + tail, rows)
        return
    record = ", ".join(f"{name} {_PG_TYPE[kind]}" for name, kind in columns.items())
    shape = _row_struct(tuple(names))
    document = _json.encode([shape(*row) for row in rows]).decode()
    tx.execute(head + f"SELECT {', '.join(names)} FROM json_to_recordset(?::json) AS x({record})" + tail,
               (document,))


@functools.cache
def _row_struct(names: tuple[str, ...]) -> type[msgspec.Struct]:
    """A struct of these fields, which encodes as the same JSON object as a dict of them (in
    this order) at a fraction of a dict's cost: a page is hundreds of thousands of values."""
    return msgspec.defstruct("Row", [(name, Any) for name in names])


def delete(tx: SqlTx, table: str, column: str, keys: Sequence[Any]) -> None:
    for start in range(0, len(keys), 1000):
        chunk = keys[start:start + 1000]
        tx.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join('?' * len(chunk))})", chunk)
