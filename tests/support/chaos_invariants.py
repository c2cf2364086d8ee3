"""The chaos run's invariants, read from the event store (issue #12), never from a read model.

1. every accepted message has exactly one terminal outcome (Sent, Failed or Cancelled);
2. no message was sent twice, except after a lease expired (``AttemptAbandoned`` in its
   stream), and then every copy at the SMTP sink carries the same Message-ID;
3. every reportable outcome (``report`` true) is acknowledged by a ``ReportBatch.Acknowledged``;
4. every message's stream is whole (versions 1..n: no acknowledged commit was lost);
5. no rate-limit window was exceeded: sends counted in the minute their attempt was claimed
   (``AttemptStarted``, where the reservation is made) stay within the account's limit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import msgspec

from adapters.bootstrap import Container
from adapters.history.pg_select import history_sources
from adapters.history.reader import EventFilter, HistoryReader

TERMINAL = {"Message.Sent", "Message.Failed", "Message.Cancelled"}
REPORTED = {"Message.Sent", "Message.Failed", "Message.Deferred", "Message.Bounced"}


class Stream(msgspec.Struct):
    client_id: str = ""
    topics: list[str] = msgspec.field(default_factory=list)
    versions: list[int] = msgspec.field(default_factory=list)
    sent_claims: list[float] = msgspec.field(default_factory=list)  # claim time of each Sent attempt
    reportable: list[str] = msgspec.field(default_factory=list)  # event ids


class StoreFacts(msgspec.Struct):
    streams: dict[str, Stream]
    acknowledged: set[str]
    events: int


def read_store(container: Container) -> StoreFacts:
    # a claim counts in the window of its claim time (adapters/dispatch_store.py), which is its
    # lease's start; the AttemptStarted is recorded a moment later, maybe in the next minute
    lease = float(container.tenancy.instance_config().dispatch.lease_seconds)
    reader = HistoryReader(history_sources(container.sources(), container.db), page_size=10_000)
    streams: dict[str, Stream] = defaultdict(Stream)
    claimed_at: dict[str, float] = {}
    acknowledged: set[str] = set()
    events = 0
    for page in reader.pages(EventFilter()):
        for decoded in page.events:
            events += 1
            event: Any = decoded.event
            topic = type(event).TOPIC
            if topic == "ReportBatch.Acknowledged":
                acknowledged.update(event.event_ids)
                continue
            if not topic.startswith("Message."):
                continue
            stream = streams[decoded.aggregate_id]
            stream.topics.append(topic)
            stream.versions.append(event.originator_version)
            if topic == "Message.Queued":
                stream.client_id = event.client_id
            elif topic == "Message.AttemptStarted":
                claimed_at[decoded.aggregate_id] = event.lease_until - lease
            elif topic == "Message.Sent":
                stream.sent_claims.append(claimed_at.get(decoded.aggregate_id, event.timestamp))
            if topic in REPORTED and getattr(event, "report", False):
                stream.reportable.append(f"{event.originator_id}:{event.originator_version}")
    return StoreFacts(streams=dict(streams), acknowledged=acknowledged, events=events)


def violations(facts: StoreFacts, accepted: set[str], sink_copies: dict[str, list[str]],
               limit_per_minute: int) -> list[str]:
    """Every broken invariant, as a sentence naming the message (empty: all hold).
    ``sink_copies``: message pk -> the Message-ID of each copy the SMTP sink received."""
    problems: list[str] = []
    by_client = {s.client_id: (pk, s) for pk, s in facts.streams.items() if s.client_id}
    missing = sorted(accepted - set(by_client))
    if missing:
        problems.append(f"{len(missing)} accepted message(s) not in the store, e.g. {missing[:5]}")
    per_minute: Counter[float] = Counter()
    for pk, stream in facts.streams.items():
        if "Message.Queued" not in stream.topics:
            continue  # rejected at the door: never accepted
        if stream.versions != list(range(1, len(stream.versions) + 1)):  # a lost commit, a replay that breaks
            problems.append(f"{stream.client_id} ({pk}): stream versions {stream.versions} have a gap")
        terminal = [t for t in stream.topics if t in TERMINAL]
        if len(terminal) != 1:
            problems.append(f"{stream.client_id} ({pk}): {len(terminal)} terminal outcomes {terminal}; "
                            f"history {stream.topics}")
        copies = sink_copies.get(pk, [])
        if len(set(copies)) > 1:
            problems.append(f"{stream.client_id}: {len(set(copies))} different Message-IDs at the sink")
        twice = len(copies) > 1 and "Message.AttemptAbandoned" not in stream.topics
        if stream.topics.count("Message.Sent") > 1 or twice:
            problems.append(f"{stream.client_id}: sent {len(copies)} times without a lease expiry; "
                            f"history {stream.topics}")
        unacked = [e for e in stream.reportable if e not in facts.acknowledged]
        if unacked:
            problems.append(f"{stream.client_id}: {len(unacked)} outcome(s) never acknowledged by the client")
        for claimed in stream.sent_claims:
            per_minute[claimed // 60 * 60] += 1
    over = {start: n for start, n in per_minute.items() if n > limit_per_minute}
    if over:
        problems.append(f"rate limit {limit_per_minute}/min exceeded in windows {over}")
    return problems
