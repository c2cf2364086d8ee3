"""The sunset and its revert (console.md §15): commands of the sending log, where the
``SuppressionEntry`` rows live (ADR 0013), so a run and its suppressions share a log.

A sunset adds a hash-only ``list_cleaning`` row (source ``sunset:<runId>``) for each candidate
not already suppressed in the scope, in saves of ``CHUNK`` (the first carries the
``SunsetRun``). A revert lifts the run's rows that are still in place: still applying, still
this run's (a later unsubscribe or bounce that replaced a row is left alone).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError

from application.base import CommandMeta
from domain.errors import NotFound
from domain.reputation.hygiene import SunsetRun, SunsetScope, sunset_run_uuid
from domain.suppression import SuppressionEntry

CHUNK = 1000
REASON = "list_cleaning"


class SunsetDone(msgspec.Struct, frozen=True):
    run_id: str
    suppressed: int
    skipped: int
    position: int


class RevertDone(msgspec.Struct, frozen=True):
    lifted: int
    skipped: int
    position: int


class SunsetCommands:
    """Runs against the sending application (``get_suppression``, ``record``, ``under``)."""

    def __init__(self, sending: Any) -> None:
        self.sending = sending

    def run(self, tenant_id: str, run_id: str) -> SunsetRun | None:
        try:
            found = self.sending.repository.get(sunset_run_uuid(tenant_id, run_id))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, SunsetRun) else None

    def sunset(self, tenant_id: str, address_keys: Iterable[str], scope: SunsetScope, notes: str | None,
               meta: CommandMeta) -> SunsetDone:
        run_id = uuid.uuid4().hex
        source = f"sunset:{run_id}"
        with self.sending.under(meta, tenant_id):
            entries: list[SuppressionEntry] = []
            skipped = 0
            for key in dict.fromkeys(address_keys):
                entry = self.sending.get_suppression(tenant_id, key, scope)
                if entry is None:
                    entries.append(SuppressionEntry.add(tenant_id, key, None, scope, REASON, source=source,
                                                        added_by=meta.actor, notes=notes))
                elif entry.renew(None, REASON, source=source, added_by=meta.actor, notes=notes):
                    entries.append(entry)
                else:
                    skipped += 1
            run = SunsetRun.start(tenant_id, run_id, scope, notes, suppressed=len(entries), skipped=skipped,
                                  started_by=meta.actor)
            position = self._save(run, entries)
        return SunsetDone(run_id, len(entries), skipped, position)

    def revert(self, tenant_id: str, run_id: str, entry_ids: Iterable[str], meta: CommandMeta) -> RevertDone:
        """Lift the run's rows among ``entry_ids`` (what the suppressions view lists for its
        source) that still apply; raises AlreadyReverted, NotFound."""
        with self.sending.under(meta, tenant_id):
            run = self.run(tenant_id, run_id)
            if run is None:
                raise NotFound(f"sunset {run_id} not found")
            lifted: list[SuppressionEntry] = []
            for ident in dict.fromkeys(entry_ids):
                entry = self.sending._entry(UUID(ident))
                if (entry is not None and entry.tenant_id == tenant_id and entry.source == run.source
                        and entry.reason == REASON and entry.lift(f"sunset {run_id} reverted", meta.actor)):
                    lifted.append(entry)
            run.revert(len(lifted), max(0, run.suppressed - len(lifted)), meta.actor)
            position = self._save(run, lifted)
        return RevertDone(len(lifted), max(0, run.suppressed - len(lifted)), position)

    def _save(self, run: SunsetRun, entries: list[Any]) -> int:
        position = self.sending.record(run, *entries[:CHUNK])
        for start in range(CHUNK, len(entries), CHUNK):
            position = self.sending.record(*entries[start:start + CHUNK])
        return int(position)
