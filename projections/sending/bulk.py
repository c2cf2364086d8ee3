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
    if not rows:
        return
    names = list(columns)
    keys = {k.strip() for k in key.split(",")}
    sets = updates or ", ".join(f"{c} = excluded.{c}" for c in names if c not in keys)
    tail = f" ON CONFLICT ({key}) DO UPDATE SET {sets}"
    head = f"INSERT INTO {table} ({', '.join(names)}) "
    if dialect != "postgresql":
        tx.executemany(head + f"VALUES ({', '.join('?' * len(names))})" + tail, rows)
        return
    record = ", ".join(f"{name} {_PG_TYPE[kind]}" for name, kind in columns.items())
    document = _json.encode([dict(zip(names, row, strict=True)) for row in rows]).decode()
    tx.execute(head + f"SELECT {', '.join(names)} FROM json_to_recordset(?::json) AS x({record})" + tail,
               (document,))


def delete(tx: SqlTx, table: str, column: str, keys: Sequence[Any]) -> None:
    for start in range(0, len(keys), 1000):
        chunk = keys[start:start + 1000]
        tx.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join('?' * len(chunk))})", chunk)
