"""The OutcomeEvent: one item of the normalised outcome feed (console.md §6), keyed by
(tenant, source, id) so a repeated delivery of the same item is a duplicate by its id alone.

Saved in the sending log together with the Message event and the suppression it causes,
so "seen" and "applied" can never disagree.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

from domain.instance import LEDGERMAIL_NAMESPACE
from domain.model import Aggregate

OutcomeType = Literal["delivered", "open", "click", "bounce", "complaint", "unsubscribe"]
OUTCOME_TYPES: tuple[str, ...] = ("delivered", "open", "click", "bounce", "complaint", "unsubscribe")


def outcome_uuid(tenant_id: str, source: str, item_id: str) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"outcome/{tenant_id}/{source}/{item_id}")


class OutcomeEvent(Aggregate):
    TOPIC = "OutcomeEvent"

    class Received(Aggregate.Created, frozen=True, kw_only=True):
        """Item `item_id` of `source` said `type` happened at `occurred_at`. `send_pk`: the
        message it was matched to (null: `unmatched`); `address_key`: the keyed hash of the
        address it named or the matched message's; `bounce_type`/`bounce_code`: for bounces;
        `detail`: the raw item, sealed (it can hold an address, a UA, an IP)."""

        TOPIC: ClassVar[str] = "OutcomeEvent.Received"
        tenant_id: str
        source: str
        item_id: str
        type: OutcomeType
        occurred_at: float
        send_pk: str | None
        address_key: str | None
        bounce_type: str | None
        bounce_code: str | None
        detail: str | None

        def apply(self, outcome: Any) -> None:
            for name in (
                "tenant_id",
                "source",
                "item_id",
                "type",
                "occurred_at",
                "send_pk",
                "address_key",
                "bounce_type",
                "bounce_code",
            ):
                setattr(outcome, name, getattr(self, name))

    tenant_id: str
    source: str
    item_id: str
    type: str
    occurred_at: float
    send_pk: str | None
    address_key: str | None
    bounce_type: str | None
    bounce_code: str | None

    @classmethod
    def receive(
        cls,
        tenant_id: str,
        source: str,
        item_id: str,
        type: OutcomeType,
        occurred_at: float,
        *,
        send_pk: str | None,
        address_key: str | None,
        bounce_type: str | None = None,
        bounce_code: str | None = None,
        detail: str | None = None,
    ) -> OutcomeEvent:
        return cls._create(
            cls.Received,
            id=outcome_uuid(tenant_id, source, item_id),
            tenant_id=tenant_id,
            source=source,
            item_id=item_id,
            type=type,
            occurred_at=occurred_at,
            send_pk=send_pk,
            address_key=address_key,
            bounce_type=bounce_type,
            bounce_code=bounce_code,
            detail=detail,
        )
