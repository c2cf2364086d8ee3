"""Aggregates, envelopes and the msgspec mapper, in memory."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import uuid4

import msgspec
import pytest

from adapters.mapper import MsgspecMapper, split_topic, stored_topic
from domain.model import EVENT_TOPICS, Aggregate, Envelope, TopicError, command_context
from tests.support.probe import Probe

pytestmark = pytest.mark.unit


def mapper() -> MsgspecMapper:
    return MsgspecMapper(transcoder=None)  # type: ignore[arg-type]


def test_events_carry_the_command_envelope_and_service_time() -> None:
    envelope = Envelope(actor="tenant:acme", command_id="c-1", tenant_id="acme", recorded_at=5.0)
    with command_context(envelope, now=1234.5):
        probe = Probe.start("x")
        probe.tick(1)
    events = probe.collect_events()
    assert [type(e).TOPIC for e in events] == ["Test.Probe.Started", "Test.Probe.Ticked"]
    assert all(e.meta == envelope and e.timestamp == 1234.5 for e in events)
    assert [e.originator_version for e in events] == [1, 2]
    assert probe.collect_events() == []


def test_events_outside_a_command_get_a_system_envelope() -> None:
    event = Probe.start().collect_events()[0]
    assert event.meta.actor == "system" and event.meta.recorded_at > 0


def test_mapper_round_trip_is_plain_json_and_rebuilds_state() -> None:
    with command_context(Envelope(actor="admin", command_id="c"), now=10.0):
        probe = Probe.start("round")
        probe.tick(7)
    m = mapper()
    stored = [m.to_stored_event(e) for e in probe.collect_events()]
    assert stored[0].topic == "Test.Probe.Started"
    plain = msgspec.json.decode(stored[1].state)
    assert plain["n"] == 7 and plain["meta"]["actor"] == "admin"
    decoded = [m.to_domain_event(s) for s in stored]
    rebuilt = None
    for event in decoded:
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None and rebuilt.label == "round" and rebuilt.ticks == 1
    assert rebuilt.version == 2 and rebuilt.id == probe.id


def test_an_event_out_of_sequence_is_refused() -> None:
    probe = Probe.start()
    stale = Probe.Ticked(originator_id=probe.id, originator_version=5, timestamp=1.0, n=1)
    with pytest.raises(ValueError, match="does not follow"):
        stale.mutate(probe)


class Renamed(Aggregate):
    TOPIC = "Test.Renamed"

    class Made(Aggregate.Created, frozen=True, kw_only=True):
        TOPIC: ClassVar[str] = "Test.Renamed.Made"
        full_name: str
        VERSION: ClassVar[int] = 2

        @classmethod
        def upcast_v1_v2(cls, state: dict[str, Any]) -> None:
            state["full_name"] = state.pop("name")

        def apply(self, agg: Any) -> None:
            agg.full_name = self.full_name


def test_upcaster_lifts_an_old_stored_shape() -> None:
    m = mapper()
    ident = uuid4()
    old = msgspec.json.encode({"originator_id": str(ident), "originator_version": 1,
                               "timestamp": 1.0, "name": "Ada"})
    from eventsourcing.persistence import StoredEvent

    event = m.to_domain_event(StoredEvent(ident, 1, "Test.Renamed.Made", old))
    assert isinstance(event, Renamed.Made) and event.full_name == "Ada"
    new = m.to_stored_event(event)
    assert new.topic == "Test.Renamed.Made#v2" and split_topic(new.topic) == ("Test.Renamed.Made", 2)
    assert stored_topic(Renamed.Made) == new.topic
    assert m.to_domain_event(new) == event


def test_topics_are_explicit_and_unique() -> None:
    with pytest.raises(TopicError, match="must define TOPIC"):

        class NoTopic(Aggregate):
            pass

    with pytest.raises(TopicError, match="already belongs"):

        class Clash(Aggregate):
            TOPIC = "Test.Clash"

            class Started(Aggregate.Created, frozen=True, kw_only=True):
                TOPIC: ClassVar[str] = "Test.Probe.Started"

    assert EVENT_TOPICS["Test.Probe.Started"] is Probe.Started


def test_unknown_topic_is_a_clear_error() -> None:
    from eventsourcing.persistence import StoredEvent

    with pytest.raises(TopicError, match="no event class"):
        mapper().to_domain_event(StoredEvent(uuid4(), 1, "Nope.Happened", b"{}"))
