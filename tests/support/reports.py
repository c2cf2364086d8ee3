"""Outcomes in bulk for report tests: many messages queued and sent in a few saves.

Sending 1200 messages one command at a time would take thousands of saves; the reporter
only cares that ``Message.Sent`` events with ``report`` true are in the store, in order.
"""

from __future__ import annotations

from uuid import UUID

from adapters.bootstrap import Container
from adapters.dispatch_loader import EventTableMessages
from application.sending.app import QueueOptions
from domain.sending.validate import ValidationContext

LEASE = 300.0


def entry(client_id: str) -> dict[str, object]:
    return {"id": client_id, "account_id": "smtp1", "from": "a@acme.test", "to": ["u@dest.test"],
            "subject": "s", "body": "b"}


def send_all(c: Container, client_ids: list[str], tenant_id: str = "acme") -> list[str]:
    """Queue these messages (one save) and record each sent (one save), reportable; returns
    the ``event_id`` of every ``Sent`` event, in store order."""
    ctx = ValidationContext(tenant_id=tenant_id, account_ids=frozenset({"smtp1"}), now=c.clock.now())
    result = c.sending.queue_messages(ctx, [entry(i) for i in client_ids], QueueOptions(report=True))
    assert not result.rejected, result.rejected
    loader = EventTableMessages(c.db, c.sending.mapper)
    messages = loader.get_messages([UUID(a.pk) for a in result.accepted])
    now = c.clock.now()
    with c.sending.command(actor="dispatcher", tenant_id=tenant_id):
        for message in messages:
            message.record_sent(message.start_attempt("w1", now + LEASE), "250 ok")
        c.sending.record(*messages)
    return [f"{m.id}:{m.version}" for m in messages]
