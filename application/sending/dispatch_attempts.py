"""After a claim: start the attempts and record the rate-limit verdicts, in one save.

The claim worked from the ``messages`` view; the aggregate, loaded from the event store, has
the last word. A message the view showed as ready but that is not (already sent, deferred
further, cancelled) is skipped and its lease released. An attempt whose lease expired
without an outcome (a dead worker) is abandoned first (spec proxy.md §6.2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple
from uuid import UUID

from application.sending.app import SendingApplication
from application.sending.dispatch_changes import Change, apply_and_save
from application.sending.dispatch_settings import CycleSettings
from application.sending.ports import Claim, ClaimBatch, Finished, MessageLoader, RateLimited
from domain.errors import NotDispatchable
from domain.model import current_context
from domain.sending.message import Message

log = logging.getLogger(__name__)


class InFlight(NamedTuple):
    """An attempt this worker started and now sends."""

    claim: Claim
    message: Message
    attempt: int
    deadline: float  # event-loop time by which the attempt must end (lease - 30 s)


def start_attempts(app: SendingApplication, settings: CycleSettings, worker_id: str, batch: ClaimBatch,
                   deadline: float, loader: MessageLoader | None = None,
                   ) -> tuple[list[InFlight], list[Finished]]:
    """Returns the attempts to send, and the claims to release without sending."""
    actor = f"system:{worker_id}"
    max_retries = settings.config.retry.max_retries
    changes = [Change(UUID(c.pk), c.tenant_id,
                      _starter(worker_id, c, max_retries, settings.report(c.tenant_id)))
               for c in batch.claimed]
    for limited in (*batch.deferred, *batch.rejected):
        changes.append(Change(UUID(limited.pk), limited.tenant_id,
                              _limiter(limited, max_retries, settings.report(limited.tenant_id))))
    loaded = {m.id: m for m in (loader or app).get_messages([c.pk for c in changes])}
    applied = apply_and_save(app, actor, changes, loaded)
    for pk, why in applied.skipped.items():
        log.info("dispatch: message %s skipped: %s", pk, why)
    flights: list[InFlight] = []
    released: list[Finished] = []
    for claim in batch.claimed:
        pk = UUID(claim.pk)
        attempt = applied.results.get(pk)
        if pk in applied.saved and attempt is not None:
            flights.append(InFlight(claim, applied.saved[pk], attempt, deadline))
        else:
            released.append(Finished(claim.pk, claim.claimed_ts, sent=False))
    return flights, released


def _starter(worker_id: str, claim: Claim, max_retries: int, report: bool) -> Callable[[Message], int | None]:
    def start(message: Message) -> int | None:
        if not _ready(message, max_retries, report):
            return None  # abandoned with no retry left: it failed, nothing to send
        return message.start_attempt(worker_id, claim.lease_until)
    return start


def _limiter(limited: RateLimited, max_retries: int, report: bool) -> Callable[[Message], None]:
    def limit(message: Message) -> None:
        if not _ready(message, max_retries, report):
            return
        if limited.until is not None:
            message.defer_for_rate_limit(limited.until, report=report)
        else:
            message.fail("rate_limit_exceeded", f"rate limit exceeded: {limited.reason}", report=report)
    return limit


def _ready(message: Message, max_retries: int, report: bool) -> bool:
    """Abandon an expired attempt; then the message must be due, else the view was stale.
    False: the abandoned attempt used the last retry and the message failed."""
    now = current_context().now
    if message.lease is not None:
        if message.lease_live(now):
            raise NotDispatchable(f"message {message.client_id} is in flight under another lease")
        if message.abandon_attempt(max_retries=max_retries, report=report) == "error":
            return False
    if not message.is_due(now):
        raise NotDispatchable(f"message {message.client_id} is {message.status}, not due")
    return True
