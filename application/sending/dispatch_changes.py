"""Apply one command to many messages and save them all in one transaction (ARCHITECTURE §6:
batch every hot write), falling back to one save per message when the batch loses a race.

Optimistic concurrency decides races: a message changed by someone else since it was loaded
(a cancel, another dispatcher after a lease expired) makes the batch save fail as a whole.
Then each message is reloaded and the command applied again on its own; the ones that still
conflict, or whose rules now refuse the command, are skipped (the losers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.sending.app import SendingApplication
from domain.errors import RuleViolation
from domain.sending.message import Message

log = logging.getLogger(__name__)


class Change(NamedTuple):
    """``apply`` triggers the events on the message (and may return a value); it raises a
    ``RuleViolation`` (or ``ValueError``) when the message must be left alone."""

    pk: UUID
    tenant_id: str
    apply: Callable[[Message], Any]


class Applied(NamedTuple):
    saved: dict[UUID, Message]  # saved (or unchanged: nothing to save), with the apply result
    results: dict[UUID, Any]
    skipped: dict[UUID, str]  # why each loser was left alone


def apply_and_save(app: SendingApplication, actor: str, changes: Sequence[Change],
                   loaded: dict[UUID, Message]) -> Applied:
    """Apply every change on the ``loaded`` aggregates, then one ``record``."""
    applied = Applied({}, {}, {})
    touched = _apply(app, actor, changes, loaded, applied)
    try:
        app.record(*touched)
    except IntegrityError:
        log.info("batch save of %d messages lost a race; saving one by one", len(touched))
        return _one_by_one(app, actor, changes)
    return applied


def _apply(app: SendingApplication, actor: str, changes: Iterable[Change], loaded: dict[UUID, Message],
           applied: Applied) -> list[Message]:
    touched: list[Message] = []
    # one command context per tenant: every event carries its own tenant in the envelope
    for tenant_id, group in groupby(sorted(changes, key=lambda c: c.tenant_id), key=lambda c: c.tenant_id):
        with app.command(actor=actor, tenant_id=tenant_id):
            for change in group:
                message = loaded.get(change.pk)
                if message is None:
                    applied.skipped[change.pk] = "message not found"
                    continue
                try:
                    applied.results[change.pk] = change.apply(message)
                except (RuleViolation, ValueError) as exc:
                    message.collect_events()  # half-applied: never save it
                    applied.skipped[change.pk] = str(exc)
                    continue
                applied.saved[change.pk] = message
                touched.append(message)
    return touched


def _one_by_one(app: SendingApplication, actor: str, changes: Sequence[Change]) -> Applied:
    applied = Applied({}, {}, {})
    for change in changes:
        fresh = {m.id: m for m in app.get_messages([change.pk])}
        single = Applied({}, {}, {})
        touched = _apply(app, actor, [change], fresh, single)
        try:
            app.record(*touched)
        except IntegrityError:
            applied.skipped[change.pk] = "changed concurrently"
            continue
        applied.saved.update(single.saved)
        applied.results.update(single.results)
        applied.skipped.update(single.skipped)
    return applied
