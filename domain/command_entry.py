"""One entry per state-changing call, accepted or refused: the command log's source."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import uuid4

import msgspec

from domain.model import Aggregate


class Actor(msgspec.Struct, frozen=True, omit_defaults=True):
    kind: str  # "admin" | "tenant" | "cli"
    tenant_id: str | None = None
    key_id: str | None = None
    user: str | None = None


class CommandEntry(Aggregate):
    TOPIC = "CommandEntry"

    class Recorded(Aggregate.Created, frozen=True, kw_only=True):
        """``payload`` is redacted before it gets here; ``event_ids`` are uuid:version."""

        TOPIC: ClassVar[str] = "CommandEntry.Recorded"
        endpoint: str
        path: str
        tenant_id: str | None
        actor: Actor
        request_id: str
        payload: dict[str, Any]
        status: int
        outcome: str  # "accepted" | "rejected"
        error: str | None
        event_ids: list[str]

        def apply(self, entry: Any) -> None:
            entry.status = self.status

    status: int

    @classmethod
    def record(cls, **fields: Any) -> CommandEntry:
        return cls._create(cls.Recorded, id=uuid4(), **fields)
