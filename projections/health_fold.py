"""How sending-log events become health facts (console.md §11 counters).

A fact is one counted thing: a message `sent`, `delivered`, `bounce` (sub hard, soft or
policy), `complaint`, or a sender-side `failure` of an attempt. Each carries its time ``ts``,
its sending-log position ``pos`` and ``origin_pos``, the position of its message's ``Sent``,
so a resumed bucket can leave out the outcomes of sends made before it resumed (positions,
not times: a fake clock that stands still cannot tell "before" from "at the same time").
Test sends count nowhere (§2.3); API messages count as transactional; an outcome matched to
no send counts on the roll-up only.
"""

from __future__ import annotations

from typing import Any

from domain.reputation.health_bucket import bucket_key
from domain.reputation.health_rules import ROLLUP, is_sender_side_failure

MESSAGE_TOPICS = frozenset(
    f"Message.{n}"
    for n in ("Queued", "Updated", "Sent", "Deferred", "Failed", "Bounced", "Complained", "Delivered")
)
OUTCOME_TOPIC = "OutcomeEvent.Received"
UNCOUNTED_ORIGINS = frozenset({"test"})
_OUTCOME_FACTS = {"delivered": "delivered", "bounce": "bounce", "complaint": "complaint"}


def from_domain(mailbox: str) -> str:
    address = mailbox.rpartition("<")[2].rstrip(">").strip() if "<" in mailbox else mailbox.strip()
    return address.rpartition("@")[2].lower()


def bucket_of(event: Any) -> str:
    return bucket_key(from_domain(event.content.from_addr), getattr(event, "kind", None) or "transactional")


def fact(row: dict[str, Any], name: str, seq: int, e: Any, pos: int, sub: str | None = None) -> list[Any]:
    """A fact row: (tenant_id, bucket, pk, fact, seq, sub, ts, pos, origin_pos)."""
    origin = row.get("sent_pos")
    return [
        row["tenant_id"],
        row["bucket"],
        row["pk"],
        name,
        seq,
        sub,
        e.timestamp,
        pos,
        pos if origin is None else origin,
    ]


def message_facts(row: dict[str, Any], topic: str, e: Any, pos: int) -> list[list[Any]]:
    """The facts one event of a tracked message adds (and ``row`` updated in place)."""
    name = topic.partition(".")[2]
    if name == "Updated":
        row["bucket"] = bucket_key(from_domain(e.content.from_addr), row["bucket"].rpartition("|k:")[2])
        return []
    if name == "Sent":
        row["sent_pos"] = pos
        return [fact(row, "sent", 0, e, pos)]
    if name == "Deferred":
        if e.reason == "temporary_failure" and is_sender_side_failure(None, e.error):
            return [fact(row, "failure", e.originator_version, e, pos)]
        return []
    if name == "Failed":
        if is_sender_side_failure(e.error_code, e.error):
            return [fact(row, "failure", e.originator_version, e, pos)]
        return []
    if name == "Bounced":
        sub = "hard" if e.bounce_type == "hard" else "policy" if e.category == "policy" else "soft"
        return [fact(row, "bounce", 0, e, pos, sub)]
    if name == "Complained":
        return [fact(row, "complaint", 0, e, pos)]
    if name == "Delivered":
        return [fact(row, "delivered", 0, e, pos)]
    return []


def queued_row(e: Any, pk: str) -> dict[str, Any] | None:
    if (getattr(e, "origin", None) or "api") in UNCOUNTED_ORIGINS:
        return None
    return {"pk": pk, "tenant_id": e.tenant_id, "bucket": bucket_of(e), "sent_pos": None}


def outcome_facts(e: Any, pos: int) -> list[list[Any]]:
    """An outcome matched to no send: the roll-up's only (a matched one arrives as a
    Message event)."""
    name = _OUTCOME_FACTS.get(e.type)
    if e.send_pk is not None or name is None:
        return []
    sub = ("hard" if e.bounce_type == "hard" else "soft") if name == "bounce" else None
    row = {"tenant_id": e.tenant_id, "bucket": ROLLUP, "pk": str(e.originator_id), "sent_pos": None}
    return [fact(row, name, 0, e, pos, sub)]
