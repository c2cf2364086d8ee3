"""The msgspec mapper: domain events <-> stored events, by explicit topic.

Stored state is the event's plain JSON (no class paths, no custom transcodings), so SQL
and polars read it directly. Older shapes are lifted by the event class's upcasters.
"""

from __future__ import annotations

from typing import Any

import msgspec
from eventsourcing.persistence import Mapper, StoredEvent

from domain.model import EVENT_TOPICS, DomainEvent, TopicError

_VERSION_MARK = "#v"


def stored_topic(cls: type[DomainEvent]) -> str:
    return cls.TOPIC if cls.VERSION == 1 else f"{cls.TOPIC}{_VERSION_MARK}{cls.VERSION}"


def split_topic(topic: str) -> tuple[str, int]:
    name, mark, version = topic.partition(_VERSION_MARK)
    return name, int(version) if mark else 1


class MsgspecMapper(Mapper[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._encoder = msgspec.json.Encoder()
        self._decoders: dict[str, msgspec.json.Decoder[Any]] = {}

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = self._encoder.encode(domain_event)
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=stored_topic(type(domain_event)),
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        state = stored_event.state
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        decoder = self._decoders.get(stored_event.topic)
        if decoder is not None:
            return decoder.decode(state)
        return self._decode_slow(stored_event.topic, state)

    def _decode_slow(self, topic: str, state: bytes) -> Any:
        name, version = split_topic(topic)
        cls = EVENT_TOPICS.get(name)
        if cls is None:
            raise TopicError(f"no event class is registered for topic {name!r}")
        if version == cls.VERSION:
            decoder = msgspec.json.Decoder(cls)
            self._decoders[topic] = decoder
            return decoder.decode(state)
        data = msgspec.json.decode(state)
        while version < cls.VERSION:
            getattr(cls, f"upcast_v{version}_v{version + 1}")(data)
            version += 1
        return msgspec.convert(data, cls)
