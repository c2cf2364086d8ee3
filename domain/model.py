"""The event-sourcing base of every aggregate: msgspec events, stable topics, the envelope.

Events are frozen msgspec structs so they encode to plain JSON (readable by SQL and
polars) and decode fast. Every event names its stored topic explicitly: class and module
names can change, topics cannot. The command envelope (who, which call, which tenant)
rides on every event as ``meta``; the application layer sets it once per command.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import msgspec


class Envelope(msgspec.Struct, frozen=True, omit_defaults=True):
    """Who caused an event, through which call, for which tenant, at what wall time."""

    actor: str = "system"
    command_id: str = ""
    tenant_id: str | None = None
    recorded_at: float = 0.0


class CommandContext(msgspec.Struct, frozen=True):
    envelope: Envelope
    now: float  # service clock time (a fake clock in tests), stamped on events


_context: contextvars.ContextVar[CommandContext | None] = contextvars.ContextVar(
    "ledgermail_command_context", default=None
)


@contextlib.contextmanager
def command_context(envelope: Envelope, now: float) -> Iterator[CommandContext]:
    """Stamp every event triggered inside the block with this envelope and time."""
    ctx = CommandContext(envelope=envelope, now=now)
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)


def current_context() -> CommandContext:
    ctx = _context.get()
    if ctx is None:
        wall = time.time()
        return CommandContext(envelope=Envelope(recorded_at=wall), now=wall)
    return ctx


class TopicError(LookupError):
    """An event class without a stable topic, or two classes claiming one."""


EVENT_TOPICS: dict[str, type[DomainEvent]] = {}


class DomainEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Base of all stored events. ``TOPIC`` is stored schema: never change it.

    ``VERSION`` > 1 means the stored shape changed; the mapper then calls
    ``upcast_v<n>_v<n+1>(state: dict)`` class methods to lift older payloads.
    """

    originator_id: UUID
    originator_version: int
    timestamp: float
    meta: Envelope = Envelope()

    TOPIC: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    def mutate(self, aggregate: Aggregate | None) -> Aggregate:
        raise NotImplementedError


TAggregate = TypeVar("TAggregate", bound="Aggregate")


class Aggregate:
    """A consistency boundary whose state is folded from its own events.

    Subclasses nest their event classes (``Tenant.Created``); the first one, derived from
    ``Aggregate.Created``, builds the aggregate. ``TOPIC`` names the aggregate type.
    """

    TOPIC: ClassVar[str] = ""

    class Event(DomainEvent, frozen=True, kw_only=True):
        def mutate(self, aggregate: Aggregate | None) -> Aggregate:
            assert aggregate is not None, f"{type(self).TOPIC} needs an existing aggregate"
            if self.originator_version != aggregate.version + 1:
                raise ValueError(
                    f"event version {self.originator_version} does not follow "
                    f"aggregate version {aggregate.version}"
                )
            self.apply(aggregate)
            aggregate.version = self.originator_version
            aggregate.modified_ts = self.timestamp
            return aggregate

        def apply(self, aggregate: Any) -> None:
            """Change the aggregate's state; the only place state changes."""

    class Created(Event, frozen=True, kw_only=True):
        """Builds the aggregate; triggered again on a live one it starts it afresh
        (re-registering a deleted account keeps its id and history, not its state)."""

        def mutate(self, aggregate: Aggregate | None) -> Aggregate:
            if aggregate is None:
                cls = _AGGREGATE_OF[type(self)]
                aggregate = cls.__new__(cls)
                Aggregate._init_base(aggregate, self.originator_id, self.timestamp)
            else:
                if self.originator_version != aggregate.version + 1:
                    raise ValueError(
                        f"event version {self.originator_version} does not follow "
                        f"aggregate version {aggregate.version}"
                    )
                pending, created = aggregate._pending_events, aggregate.created_ts
                aggregate.__dict__.clear()
                Aggregate._init_base(aggregate, self.originator_id, created)
                aggregate._pending_events = pending
            aggregate.version = self.originator_version
            aggregate.modified_ts = self.timestamp
            self.apply(aggregate)
            return aggregate

    def _init_base(self, id: UUID, ts: float) -> None:
        self.id = id
        self.version = 0
        self.created_ts = ts
        self.modified_ts = ts
        self._pending_events: list[DomainEvent] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("TOPIC"):
            raise TopicError(f"aggregate {cls.__qualname__} must define TOPIC")
        for value in list(cls.__dict__.values()):
            if isinstance(value, type) and issubclass(value, DomainEvent):
                register_event(value)
                if issubclass(value, Aggregate.Created):
                    _AGGREGATE_OF[value] = cls

    @classmethod
    def _create(
        cls: type[TAggregate], event_class: type[Aggregate.Created], id: UUID, **kwargs: Any
    ) -> TAggregate:
        ctx = current_context()
        event = event_class(
            originator_id=id,
            originator_version=1,
            timestamp=ctx.now,
            meta=ctx.envelope,
            **kwargs,
        )
        agg = event.mutate(None)
        agg._pending_events.append(event)
        return agg  # type: ignore[return-value]

    def trigger_event(self, event_class: type[Aggregate.Event], **kwargs: Any) -> None:
        ctx = current_context()
        event = event_class(
            originator_id=self.id,
            originator_version=self.version + 1,
            timestamp=ctx.now,
            meta=ctx.envelope,
            **kwargs,
        )
        event.mutate(self)
        self._pending_events.append(event)

    @property
    def pending_events(self) -> Sequence[DomainEvent]:
        """Triggered and not yet collected (saved): what a save-time policy looks at. Read
        only (not a copy: it is checked on every save of every aggregate)."""
        return self._pending_events

    def revise_pending(self, revise: Callable[[DomainEvent], DomainEvent]) -> None:
        """Replace each event not yet saved by what may be stored of it (personal data sealed
        at save time, ADR 0031). The state those events built stays as it was, in memory."""
        self._pending_events = [revise(e) for e in self._pending_events]

    def collect_events(self) -> list[DomainEvent]:
        events, self._pending_events = self._pending_events, []
        return events


_AGGREGATE_OF: dict[type[DomainEvent], type[Aggregate]] = {}


def register_event(cls: type[DomainEvent]) -> None:
    topic = cls.__dict__.get("TOPIC")
    if not topic:
        raise TopicError(f"event {cls.__qualname__} must define TOPIC")
    known = EVENT_TOPICS.get(topic)
    if known is not None and known is not cls:
        raise TopicError(f"topic {topic!r} already belongs to {known.__qualname__}")
    EVENT_TOPICS[topic] = cls
