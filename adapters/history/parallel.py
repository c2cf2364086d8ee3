"""An export's pages read and decoded in forked worker processes, written in order by the parent.

One process tops out near 70,000 events/s on PostgreSQL: fetching the rows, decoding each
through its mapper and building the columns is ~5 µs of Python per event, all under one GIL.
Here the positions of each log are cut into fixed ranges; worker ``k`` of ``n`` takes every
``n``-th range, reads it on a connection of its own, decodes it with the application's mapper
(the same ``to_domain_event`` as everywhere: upcasters apply, nothing is decrypted), applies
every filter but the tenant's, and sends the page's columns as msgpack down a pipe. The
parent takes the pages in range order (so the output order, the progress and the resume
positions are those of one reader), resolves the tenants and writes. A pipe holds about one
page, so a worker runs at most a page ahead: memory stays bounded.

Tenants are resolved in the parent because they need every earlier page: an event naming no
tenant (a dispatcher's ``Message.Sent``) takes its aggregate's first event's, which may sit in
a range the other worker read.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import threading
import traceback
from collections.abc import Iterator, Mapping, Sequence
from multiprocessing.connection import Connection
from queue import Queue
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from adapters.history.pg_select import PostgresSource
from adapters.history.reader import EventFilter, TenantIndex, paused_gc, payload_of

# The columns a worker sends, in order (``application`` is the page's; ``tenant_id`` is the
# event's own or its envelope's, None when it names neither; ``payload`` JSON bytes).
WORKER_COLUMNS = ("position", "topic", "schema_version", "aggregate_id", "aggregate_version",
                  "timestamp", "tenant_id", "actor", "command_id", "recorded_at", "payload")
_FAILED = b"\x00failed\x00"


class Range(msgspec.Struct, frozen=True, array_like=True):
    application: str
    after: int  # exclusive
    upto: int  # inclusive


class Columns(msgspec.Struct, frozen=True):
    application: str
    read: int  # notifications read, before filtering
    last: int  # resume after this position
    data: dict[str, list[Any]]


def plan(sources: Mapping[str, Any], applications: Sequence[str], flt: EventFilter,
         width: int) -> list[Range]:
    """Each log from its start to its end *now* (a consistent cut), in ranges of ``width``."""
    out = []
    for app in applications:
        after = flt.after.get(app, 0)
        stop = flt.stop.get(app, sources[app].max_position())
        while after < stop:
            out.append(Range(app, after, min(after + width, stop)))
            after += width
    return out


def decode_page(source: PostgresSource, rows: Sequence[tuple[Any, ...]],
                flt: EventFilter) -> dict[str, list[Any]]:
    """A page of stored rows as export columns, decoded by the application's mapper."""
    if flt.topics:
        rows = [r for r in rows if flt.wants_topic(r[3])]
    if flt.aggregate_ids:
        rows = [r for r in rows if UUID(r[1]) in flt.aggregate_ids]
    decode, stored = source.mapper.to_domain_event, _Stored()
    # Generators, not lists: each event is decoded, made a record and freed before the next
    # (so, most likely, the next one reuses its still-cached memory). Keeping the page's 10,000
    # decoded events (~10 objects each) alive in a list until the records were made cost the
    # two workers 6.5 core-seconds for 1,000,000 events instead of 4.5 (ADR 0030).
    pairs = ((r, decode(stored.of(r))) for r in rows)
    if flt.since is not None or flt.until is not None:
        pairs = ((r, e) for r, e in pairs if flt.wants_time(e.timestamp))
    encode = msgspec.json.encode
    # one pass making a tuple per event, then turned into columns: a third cheaper than a
    # comprehension per column
    records = [
        (r[0], type(e).TOPIC, type(e).VERSION, r[1], e.originator_version, e.timestamp,
         getattr(e, "tenant_id", None) or m.tenant_id, m.actor, m.command_id, m.recorded_at,
         encode(payload_of(e)))  # bytes: the parent casts them to text in Rust
        for r, e in pairs
        for m in (e.meta,)
    ]
    if not records:
        return {name: [] for name in WORKER_COLUMNS}
    return dict(zip(WORKER_COLUMNS, map(list, zip(*records, strict=True)), strict=True))


class _Stored:
    """The stored event the mapper reads (its topic and state), one object refilled per row:
    a page's rows are already tuples, and 10,000 objects more a page cost a tenth of a worker."""

    __slots__ = ("_row", "state", "topic")

    def of(self, row: tuple[Any, ...]) -> _Stored:
        self._row, self.topic, self.state = row, row[3], row[4]
        return self

    @property
    def originator_id(self) -> UUID:  # a mapper other than ours may ask
        return UUID(self._row[1])

    @property
    def originator_version(self) -> int:
        return int(self._row[2])


def _work(out: Connection, ranges: list[Range], sources: Mapping[str, PostgresSource],
          flt: EventFilter, connect: dict[str, Any]) -> None:
    """A worker: its ranges in order, one message each (an empty page too: the parent counts).

    Pages are sent by a thread from a queue of ``AHEAD``: the parent takes the workers' pages in
    turn, so a worker sending straight down its pipe would wait there for the other's page."""
    gc.disable()  # short-lived, and decoded events hold no cycles (reader.paused_gc)
    encoder = msgspec.msgpack.Encoder()
    queue: Queue[bytes | None] = Queue(maxsize=AHEAD)
    sender = threading.Thread(target=_send, args=(out, queue), daemon=True)
    sender.start()
    try:
        with psycopg.connect(**connect) as conn:  # its own: the parent's pool is the parent's
            for r in ranges:
                source = sources[r.application]
                rows = source.select_on(conn, r.after, r.upto - r.after, r.upto)
                page = Columns(r.application, len(rows), r.upto, decode_page(source, rows, flt))
                queue.put(encoder.encode(page))
    except BaseException:
        queue.put(_FAILED + traceback.format_exc().encode())
    finally:
        queue.put(None)
        sender.join()
        out.close()


AHEAD = 2  # pages a worker may have decoded and not yet sent: what bounds its memory


def _send(out: Connection, queue: Queue[bytes | None]) -> None:
    while (message := queue.get()) is not None:
        try:
            out.send_bytes(message)
        except OSError:  # the parent stopped reading (an error, an interrupted export)
            return


class ParallelPages:
    """Pages of columns from ``workers`` forked processes, in range order."""

    def __init__(self, sources: Mapping[str, PostgresSource], connect: dict[str, Any], *,
                 workers: int = 2, width: int = 10_000) -> None:
        self.sources = dict(sources)
        self.connect = connect
        self.workers = workers
        self.width = width
        self.tenants = TenantIndex(self.sources)
        self._first: dict[str, str | None] = {}  # aggregate id text -> its first event's tenant

    @contextlib.contextmanager
    def started(self, applications: Sequence[str], flt: EventFilter) -> Iterator[Iterator[Columns]]:
        """Fork the workers now (in the calling thread, before a writer starts threads of its
        own); the block reads their pages; leaving it ends any worker still running."""
        ranges = plan(self.sources, applications, flt, self.width)
        n = max(1, min(self.workers, len(ranges)))
        context = multiprocessing.get_context("fork")  # the mappers and filter as they are here
        pipes: list[Connection] = []
        processes = []
        try:
            for k in range(n if ranges else 0):
                receive, send = context.Pipe(duplex=False)
                p = context.Process(target=_work, args=(send, ranges[k::n], self.sources, flt, self.connect),
                                    daemon=True, name=f"export-{k}")
                p.start()
                send.close()
                pipes.append(receive)
                processes.append(p)
            yield self._read(pipes, len(ranges))
        finally:
            for p in processes:
                if p.is_alive():
                    p.terminate()
                p.join()
            for pipe in pipes:
                pipe.close()

    def _read(self, pipes: list[Connection], count: int) -> Iterator[Columns]:
        decoder = msgspec.msgpack.Decoder(Columns)
        for i in range(count):
            raw = pipes[i % len(pipes)].recv_bytes()
            if raw.startswith(_FAILED):
                raise RuntimeError("export worker failed:\n" + raw[len(_FAILED):].decode())
            with paused_gc():  # a page is ~100,000 acyclic objects (reader.paused_gc)
                page = decoder.decode(raw)
                self._resolve(page)
            del raw
            yield page

    def _resolve(self, page: Columns) -> None:
        """Tenants the events did not name: their aggregate's first event's (``TenantIndex``)."""
        data = page.data
        ids, versions, tenants = data["aggregate_id"], data["aggregate_version"], data["tenant_id"]
        self._first.update((a, t) for a, v, t in zip(ids, versions, tenants, strict=True) if v == 1)
        for i in [i for i, t in enumerate(tenants) if t is None]:
            agg = ids[i]
            if agg not in self._first:
                self._first[agg] = self.tenants._first(page.application, UUID(agg))
            tenants[i] = self._first[agg]


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and os.name == "posix"
