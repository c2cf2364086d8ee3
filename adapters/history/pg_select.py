"""Reading a PostgreSQL notification log for history: plain tuples, ids converted on demand.

The library's ``select_notifications`` builds a dict row and a ``Notification`` with a UUID
for every event, which capped an export at the speed of that Python (about a quarter of
SQLite's reads). The same query returning tuples, with the originator id read as text and
converted only if a filter asks, hands the mapper the same topic and state bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import ApplicationRecorder, Mapper

from adapters.runner import Source
from adapters.sqldb import PostgresDatabase
from projections.sql import SqlDatabase


class _PgNotification:
    __slots__ = ("_originator_id", "id", "originator_version", "state", "topic")

    def __init__(self, row: tuple[Any, ...]) -> None:
        self.id, self._originator_id, self.originator_version, self.topic, self.state = row

    @property
    def originator_id(self) -> UUID:
        return UUID(self._originator_id)


class PostgresSource(Source):
    def __init__(
        self, name: str, recorder: ApplicationRecorder, mapper: Mapper[Any], db: PostgresDatabase
    ) -> None:
        super().__init__(name, recorder, mapper)
        self.db = db
        table = getattr(recorder, "events_table_name", f"{name}_events")
        self._sql = (
            "SELECT notification_id, originator_id::text, originator_version, topic, state "
            f"FROM {table} WHERE notification_id > %s AND notification_id <= %s "
            "ORDER BY notification_id LIMIT %s"
        )

    def select(self, after: int, limit: int, stop: int | None) -> Sequence[Any]:
        with self.db.pool.connection() as conn:
            rows = self.select_on(conn, after, limit, stop)
        return [_PgNotification(r) for r in rows]

    def select_on(self, conn: psycopg.Connection[Any], after: int, limit: int,
                  stop: int | None) -> list[tuple[Any, ...]]:
        """The rows themselves, on a given connection (an export worker's own)."""
        # binary results: the state arrives as bytes, not as hex text to be decoded
        bound = stop if stop is not None else 2**63 - 1
        with conn.cursor(binary=True) as cur:
            cur.execute(self._sql, (after, bound, limit))
            return cur.fetchall()


def history_sources(sources: dict[str, Source], db: SqlDatabase) -> dict[str, Source]:
    """The runner's sources, with the tuple reader in place of the library's on PostgreSQL."""
    if not isinstance(db, PostgresDatabase):
        return sources
    return {n: PostgresSource(n, s.recorder, s.mapper, db) for n, s in sources.items()}
