"""What the broadcast fan-out needs from outside: recipients, the send queue, templates,
the health gate. Adapters implement them over the container (adapters/campaigns/)."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec


class Recipient(msgspec.Struct, frozen=True):
    """One eligible contact in walk order: ``key`` = [rank, value, contactId] (the cursor)."""

    contact_id: str
    external_id: str
    key: list[Any]
    timezone: str | None = None


class Count(msgspec.Struct, frozen=True):
    matched: int
    eligible: int
    already_sent: int


class Audience(Protocol):
    def recipients(self, tenant_id: str, segment: dict[str, Any], order: dict[str, str],
                   now: float) -> list[Recipient]:
        """Every eligible contact (segment, subscribed, sendable, unsuppressed, unforgotten),
        sorted by ``order`` with ties by contactId."""
        ...

    def count(self, tenant_id: str, segment: dict[str, Any], slug: str, now: float) -> Count: ...


class OutgoingSend(msgspec.Struct, frozen=True, kw_only=True):
    """One broadcast send as the fan-out asks for it (the adapter makes it a ConsoleSend)."""

    dedupe_key: str
    slug: str
    version: int
    external_id: str
    batch_code: str
    campaign: str
    not_before: float | None
    holds: tuple[str, ...] = ()


class SendQueue(Protocol):
    def enqueue(self, tenant_id: str, sends: list[OutgoingSend], actor: str) -> list[str]:
        """The status of each send (queued, held, suppressed, failed, skipped), all new
        messages in ONE save; a known dedupe key changes nothing (its status comes back)."""
        ...

    def hold(self, tenant_id: str, hold: str, batch_code: str, actor: str) -> int: ...

    def release(self, tenant_id: str, hold: str, actor: str) -> int: ...

    def cancel(self, tenant_id: str, batch_code: str, actor: str) -> int: ...

    def waiting(self, tenant_id: str, slug: str) -> int:
        """Queued, deferred or held sends of the broadcast (read model)."""
        ...

    def outcomes_seen(self) -> int:
        """How far the sends read model has read (grows with every outcome)."""
        ...

    def sent_contacts(self, tenant_id: str, slug: str) -> set[str]:
        """Contacts with a send of the broadcast (read model)."""
        ...

    def sample(self, tenant_id: str, slug: str, since: float) -> tuple[int, dict[str, int]]:
        """(sends accepted or bounced since ``since``, {hardBounced, complained, unsubscribed})."""
        ...


class TemplateFacts(msgspec.Struct, frozen=True):
    version: int  # 0: not published
    kind: str
    from_domain: str | None


class Templates(Protocol):
    def facts(self, tenant_id: str, slug: str) -> TemplateFacts | None: ...


class HealthGate(Protocol):
    def held(self, tenant_id: str, from_domain: str, kind: str) -> str | None:
        """``health:<bucketId>`` while the sender's bucket is tripped, else None."""
        ...


class Faults(Protocol):
    def passed(self, point: str) -> None:
        """A named crash point (LEDGERMAIL_FAULT=<point>:<n> exits at the n-th pass)."""
        ...
