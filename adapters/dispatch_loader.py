"""``EventTableMessages``: load many Message aggregates with one query on the sending log.

The library's repository reads one aggregate per query; a claim batch of 100 messages would
make 100 round trips. This reads the same rows of the events table (the write model, never
a view: no lag) for the whole batch and folds each message's events in version order, as
the repository does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from domain.sending.message import Message
from projections.sql import SqlDatabase

CHUNK = 500


class EventTableMessages:
    def __init__(self, db: SqlDatabase, mapper: Mapper[Any], application: str = "sending") -> None:
        self.db = db
        self.mapper = mapper
        self.table = f"{application.lower()}_events"

    def get_messages(self, pks: Sequence[UUID]) -> list[Message]:
        """The messages that exist, in the order asked."""
        events: dict[UUID, list[Any]] = {}
        with self.db.transaction(write=False) as tx:
            for start in range(0, len(pks), CHUNK):
                for pk, version, topic, state in self._select(tx, list(pks[start:start + CHUNK])):
                    uuid = pk if isinstance(pk, UUID) else UUID(str(pk))
                    stored = StoredEvent(originator_id=uuid, originator_version=version, topic=topic,
                                         state=bytes(state))
                    events.setdefault(uuid, []).append(self.mapper.to_domain_event(stored))
        out = []
        for pk in pks:
            aggregate: Any = None
            for event in events.get(pk, ()):
                aggregate = event.mutate(aggregate)
            if aggregate is not None:
                out.append(aggregate)
        return out

    def _select(self, tx: Any, chunk: list[UUID]) -> list[tuple[Any, ...]]:
        columns = "originator_id, originator_version, topic, state"
        order = "ORDER BY originator_id, originator_version"
        if self.db.dialect == "postgresql":
            return tx.execute(  # type: ignore[no-any-return]
                f"SELECT {columns} FROM {self.table} WHERE originator_id = ANY(?) {order}", (chunk,))
        marks = ", ".join("?" for _ in chunk)
        return tx.execute(  # type: ignore[no-any-return]
            f"SELECT {columns} FROM {self.table} WHERE originator_id IN ({marks}) {order}",
            [u.hex for u in chunk])
