"""Direct look-ups on an application's events table that the library has no call for.

``existing`` answers "which of these aggregates have events?" with one indexed query, so
``queue_messages`` creates a 1000-message batch of new ids without 1000 repository reads.
It reads the events table itself, not a view: the answer never lags.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from projections.sql import SqlDatabase

CHUNK = 500


class EventStoreIndex:
    def __init__(self, db: SqlDatabase, application: str) -> None:
        self.db = db
        self.table = f"{application.lower()}_events"

    def existing(self, ids: Sequence[UUID]) -> set[UUID]:
        found: set[UUID] = set()
        with self.db.transaction(write=False) as tx:
            for start in range(0, len(ids), CHUNK):
                chunk = list(ids[start:start + CHUNK])
                if self.db.dialect == "postgresql":
                    rows = tx.execute(f"SELECT originator_id FROM {self.table} WHERE originator_version = 1 "
                                      "AND originator_id = ANY(?)", (chunk,))
                    found.update(UUID(str(r[0])) for r in rows)
                else:
                    marks = ", ".join("?" for _ in chunk)
                    rows = tx.execute(f"SELECT originator_id FROM {self.table} WHERE originator_version = 1 "
                                      f"AND originator_id IN ({marks})", [u.hex for u in chunk])
                    found.update(UUID(r[0]) for r in rows)
        return found
