"""Paged, filtered reading of every application's notification log, decoded by its mapper.

Positions are per application (each has its own log), so a read is resumable from a map
``{application: last position}``; the reader reports that map after every page.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from uuid import UUID

import msgspec

from adapters.runner import Source, aggregate_text
from domain.model import DomainEvent

COMMON = frozenset({"originator_id", "originator_version", "timestamp", "meta"})


class EventFilter(msgspec.Struct, frozen=True, kw_only=True):
    """What to read. Positions are exclusive after / inclusive up to, per application."""

    applications: tuple[str, ...] = ()  # () = every application
    tenant_id: str | None = None
    aggregate_ids: frozenset[UUID] = frozenset()
    topics: frozenset[str] = frozenset()  # topic names without "#v<n>"; () = all
    since: float | None = None  # event timestamp (service clock) >= since
    until: float | None = None  # event timestamp < until
    after: Mapping[str, int] = {}
    stop: Mapping[str, int] = {}

    def wants_topic(self, stored_topic: str) -> bool:
        return not self.topics or stored_topic.partition("#")[0] in self.topics

    def wants_time(self, ts: float) -> bool:
        return (self.since is None or ts >= self.since) and (self.until is None or ts < self.until)


class Decoded(msgspec.Struct, frozen=True):
    """One decoded event with where it sits and whose it is."""

    application: str
    position: int
    tenant_id: str | None
    event: DomainEvent
    aggregate_id: str  # the canonical UUID text, as an export writes it


class Page(msgspec.Struct, frozen=True):
    application: str
    events: list[Decoded]
    read: int  # notifications read (before filtering): what progress counts
    last: int  # the last position read in this application: where to resume


def payload_of(event: DomainEvent) -> dict[str, Any]:
    """The event's own fields (the common ones are columns of their own)."""
    data = msgspec.structs.asdict(event)
    for name in COMMON:
        del data[name]
    return data


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Decoding a page allocates ~10 tracked objects per event; the cycle collector then runs
    over the growing page again and again (5x the decode time). Decoded events hold no
    cycles, so reference counting frees them: collection can wait until the page is built."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextlib.contextmanager
def rare_collections(threshold: int = 200_000) -> Iterator[None]:
    """A long replay allocates millions of short-lived, acyclic objects; a young-generation
    collection every 700 allocations re-scans each page being built. Collect far less often
    (still collecting, so cyclic garbage from drivers stays bounded) until the block ends."""
    old = gc.get_threshold()
    gc.set_threshold(threshold, old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)


class TenantIndex:
    """Which tenant an event belongs to: its own ``tenant_id``, the envelope's, or (for events
    that name neither, like ``Message.Sent`` of a system worker) its aggregate's first event's."""

    def __init__(self, sources: Mapping[str, Source]) -> None:
        self.sources = sources
        self._by_aggregate: dict[UUID, str | None] = {}

    def of(self, application: str, event: DomainEvent) -> str | None:
        own = getattr(event, "tenant_id", None) or event.meta.tenant_id
        if event.originator_version == 1:
            self._by_aggregate[event.originator_id] = own
        if own is not None:
            return own  # type: ignore[no-any-return]
        if event.originator_id not in self._by_aggregate:
            self._by_aggregate[event.originator_id] = self._first(application, event.originator_id)
        return self._by_aggregate[event.originator_id]

    def _first(self, application: str, originator_id: UUID) -> str | None:
        source = self.sources[application]
        stored = source.recorder.select_events(originator_id, limit=1)
        if not stored:
            return None
        first = source.mapper.to_domain_event(stored[0])
        return getattr(first, "tenant_id", None) or first.meta.tenant_id


class HistoryReader:
    def __init__(self, sources: Mapping[str, Source], page_size: int = 5000) -> None:
        self.sources = dict(sources)
        self.page_size = page_size
        self.tenants = TenantIndex(self.sources)

    def applications(self, wanted: Sequence[str]) -> list[str]:
        unknown = [a for a in wanted if a not in self.sources]
        if unknown:
            raise ValueError(
                f"unknown application(s): {', '.join(unknown)}; known: {', '.join(self.sources)}"
            )
        return list(wanted) or list(self.sources)

    def total(self, flt: EventFilter) -> int:
        """How many notifications a read will go through (an upper bound for progress bars)."""
        count = 0
        for app in self.applications(flt.applications):
            newest = flt.stop.get(app, self.sources[app].max_position())
            count += max(0, newest - flt.after.get(app, 0))
        return count

    def pages(self, flt: EventFilter) -> Iterator[Page]:
        """Pages in application order, each application oldest first."""
        for app in self.applications(flt.applications):
            yield from self._pages_of(app, flt)

    def _pages_of(self, app: str, flt: EventFilter) -> Iterator[Page]:
        """Up to the log's end when the read starts (a consistent cut, even while writes go on);
        the next page is fetched in a thread while this one is decoded (the fetch waits on I/O)."""
        source = self.sources[app]
        after = flt.after.get(app, 0)
        stop = flt.stop.get(app, source.max_position())
        if after >= stop:
            return
        with ThreadPoolExecutor(1, thread_name_prefix=f"history-{app}") as pool:
            ahead: Future[Sequence[Any]] | None = pool.submit(source.select, after, self.page_size, stop)
            while ahead is not None:
                notifications = ahead.result()
                if not notifications:
                    return
                after = notifications[-1].id
                ahead = pool.submit(source.select, after, self.page_size, stop) if after < stop else None
                with paused_gc():
                    events = [
                        d for d in (self._decode(app, source, n, flt) for n in notifications) if d is not None
                    ]
                yield Page(app, events, len(notifications), after)

    def _decode(self, app: str, source: Source, n: Any, flt: EventFilter) -> Decoded | None:
        if not flt.wants_topic(n.topic):
            return None
        if flt.aggregate_ids and n.originator_id not in flt.aggregate_ids:
            return None
        event = source.mapper.to_domain_event(n)
        if not flt.wants_time(event.timestamp):
            return None
        tenant = self.tenants.of(app, event)
        if flt.tenant_id is not None and tenant != flt.tenant_id:
            return None
        return Decoded(app, n.id, tenant, event, aggregate_text(n, event))
