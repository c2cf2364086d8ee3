"""The port views write through: a transaction with ``?``-placeholder SQL.

Both backends (``adapters.sqldb``) implement it, so a view's SQL is written once and
only the DDL that really differs between SQLite and PostgreSQL is written twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class SqlTx(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...


class SqlDatabase(Protocol):
    dialect: str  # "sqlite" | "postgresql"

    def transaction(self, *, write: bool = True) -> AbstractContextManager[SqlTx]: ...
