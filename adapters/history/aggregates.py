"""One aggregate's history: its events with their store positions, its state as of a past
point, and the exact transitions (who, when, which command, before -> after).

Events are read with the recorder and decoded by the application's mapper; only the
positions come from a direct query of the events table (ids and versions, no payloads),
because the library's per-aggregate read does not return notification ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import msgspec

from adapters.history.reader import payload_of
from adapters.runner import Source
from domain.model import Aggregate, DomainEvent
from projections.sql import SqlDatabase


class Located(msgspec.Struct, frozen=True):
    application: str
    position: int
    event: DomainEvent


class AsOf(msgspec.Struct, frozen=True, kw_only=True):
    """A cut: the events at or before all the given bounds (None: no bound)."""

    ts: float | None = None
    position: int | None = None
    version: int | None = None

    def admits(self, item: Located) -> bool:
        return (
            (self.ts is None or item.event.timestamp <= self.ts)
            and (self.position is None or item.position <= self.position)
            and (self.version is None or item.event.originator_version <= self.version)
        )


def plain(value: Any) -> Any:
    return msgspec.to_builtins(value, enc_hook=str)


def snapshot(aggregate: Aggregate) -> dict[str, Any]:
    """The aggregate's state as plain JSON: public attributes, without event trails (the
    Message keeps its own events for GET /messages history; the transitions list them)."""
    out = {}
    for name, value in vars(aggregate).items():
        if name.startswith("_"):
            continue
        if isinstance(value, list) and value and isinstance(value[0], DomainEvent):
            continue
        out[name] = plain(value)
    return out


class AggregateHistory:
    def __init__(self, sources: Mapping[str, Source], db: SqlDatabase) -> None:
        self.sources = dict(sources)
        self.db = db

    def events(self, aggregate_id: UUID) -> list[Located]:
        """Every event of the aggregate, oldest first; [] if no application has it."""
        for app, source in self.sources.items():
            stored = source.recorder.select_events(aggregate_id)
            if stored:
                positions = self._positions(app, aggregate_id)
                return [
                    Located(app, positions.get(s.originator_version, 0), source.mapper.to_domain_event(s))
                    for s in stored
                ]
        return []

    def _positions(self, app: str, aggregate_id: UUID) -> dict[int, int]:
        table = f"{app.lower()}_events"
        if self.db.dialect == "postgresql":
            sql = f"SELECT originator_version, notification_id FROM {table} WHERE originator_id = ?"
            key: Any = aggregate_id
        else:
            sql = f"SELECT originator_version, rowid FROM {table} WHERE originator_id = ?"
            key = aggregate_id.hex
        with self.db.transaction(write=False) as tx:
            return {int(v): int(p) for v, p in tx.execute(sql, (key,))}


def fold(events: Sequence[Located], cut: AsOf | None = None) -> Aggregate | None:
    """The aggregate as of ``cut``: the longest prefix of its events inside the cut."""
    aggregate: Aggregate | None = None
    for item in events:
        if cut is not None and not cut.admits(item):
            break
        aggregate = item.event.mutate(aggregate)
    return aggregate


def tenant_of(events: Sequence[Located], aggregate: Aggregate | None) -> str | None:
    """Whose aggregate this is: its own ``tenant_id``, else its first command's tenant."""
    own = getattr(aggregate, "tenant_id", None) if aggregate is not None else None
    if isinstance(own, str):
        return own
    first = events[0].event if events else None
    if first is None:
        return None
    return getattr(first, "tenant_id", None) or first.meta.tenant_id


def transitions(events: Sequence[Located], *, full: bool = False) -> list[dict[str, Any]]:
    """One entry per event: position, time, envelope, payload and the state it changed."""
    out: list[dict[str, Any]] = []
    aggregate: Aggregate | None = None
    before: dict[str, Any] = {}
    for item in events:
        event = item.event
        aggregate = event.mutate(aggregate)
        after = snapshot(aggregate)
        changed = sorted(k for k in after.keys() | before.keys() if after.get(k) != before.get(k))
        entry: dict[str, Any] = {
            "version": event.originator_version,
            "position": item.position,
            "topic": type(event).TOPIC,
            "timestamp": event.timestamp,
            "actor": event.meta.actor,
            "command_id": event.meta.command_id,
            "tenant_id": event.meta.tenant_id,
            "recorded_at": event.meta.recorded_at,
            "payload": plain(payload_of(event)),
            "changes": {k: {"before": before.get(k), "after": after.get(k)} for k in changed},
        }
        if full:
            entry["before"], entry["after"] = before, after
        out.append(entry)
        before = after
    return out


def state_document(events: Sequence[Located], cut: AsOf | None = None) -> dict[str, Any] | None:
    """The aggregate as of ``cut`` as one JSON document; None if it did not exist yet."""
    aggregate = fold(events, cut)
    if aggregate is None:
        return None
    last = events[aggregate.version - 1]  # versions run 1, 2, ... with no gaps
    return {
        "aggregate_id": str(aggregate.id),
        "application": events[0].application,
        "type": type(aggregate).TOPIC,
        "tenant_id": tenant_of(events, aggregate),
        "version": aggregate.version,
        "position": last.position,
        "timestamp": last.event.timestamp,
        "latest_version": events[-1].event.originator_version,
        "as_of": {k: v for k, v in msgspec.structs.asdict(cut).items() if v is not None} if cut else {},
        "state": snapshot(aggregate),
    }
