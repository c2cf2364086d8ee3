"""Holds on console sends, added and lifted in batches (console.md §2.3, §9.2, §11).

A bucket trip or a broadcast pause holds every waiting send it covers; the dispatcher may
claim one of them at the same moment. Optimistic concurrency settles it
(``dispatch_changes.apply_and_save``): the loser of the race is skipped here, and a send
that was claimed first meets the same hold in the re-check before its attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.base import SYSTEM, CommandMeta
from application.sending.app import SendingApplication
from application.sending.dispatch_changes import Change, apply_and_save
from application.sending.ports import MessageLoader

BATCH = 500


def hold_messages(app: SendingApplication, tenant_id: str, hold: str, pks: Sequence[UUID],
                  meta: CommandMeta = SYSTEM, loader: MessageLoader | None = None) -> int:
    """Add ``hold`` to each waiting message of ``pks``; returns how many gained it.
    ``loader``: reads a batch in one query (``adapters.dispatch_loader``); default one by one."""
    return _each(app, tenant_id, pks, meta, lambda m: m.hold(hold), loader or app)


def release_messages(app: SendingApplication, tenant_id: str, hold: str, pks: Sequence[UUID],
                     meta: CommandMeta = SYSTEM, loader: MessageLoader | None = None) -> int:
    """Lift ``hold`` from each message of ``pks`` that has it; returns how many lost it."""
    return _each(app, tenant_id, pks, meta, lambda m: m.release(hold), loader or app)


def _each(app: SendingApplication, tenant_id: str, pks: Sequence[UUID], meta: CommandMeta,
          change: object, loader: MessageLoader) -> int:
    done = 0
    for start in range(0, len(pks), BATCH):
        chunk = list(pks[start:start + BATCH])
        loaded = {m.id: m for m in loader.get_messages(chunk) if m.tenant_id == tenant_id}
        changes = [Change(pk, tenant_id, change) for pk in loaded]  # type: ignore[arg-type]
        applied = apply_and_save(app, meta.actor, changes, loaded)
        done += sum(1 for result in applied.results.values() if result)
    return done
