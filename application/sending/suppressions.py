"""Suppression commands of the sending application (spec proxy.md §10.3, console.md §7).

Entries live in the sending log so a bounce and the suppression it causes are one
transaction: ``record`` looks at what is about to be saved and, for each hard bounce and
each complaint, adds (or renews) the (tenant, address, ``all``) entry in the same save. The
dispatcher's RCPT refusals, inbound DSNs and ARF reports all go through it, so no path can
record a hard bounce and forget to suppress.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError

from application.base import SYSTEM, CommandMeta, LedgerApplication
from application.ports import SecretBox
from application.sending.personal import ContactSeals, seal_outcomes
from domain.model import Aggregate, command_context
from domain.sending.message import Message
from domain.suppression import SCOPES, Reason, Scope, SuppressionEntry, suppression_uuid


class SuppressionResult(msgspec.Struct, frozen=True):
    created: bool  # False: an entry already applied and was left as it was
    entry_id: str
    address_key: str
    position: int


class SuppressionCommands(LedgerApplication):
    secret_box: SecretBox
    contact_seals: ContactSeals | None = None  # None: no console (unit tests of the proxy)

    # --- reads of the write model ---------------------------------------------------------
    def get_suppression(self, tenant_id: str, address_key: str, scope: Scope) -> SuppressionEntry | None:
        return self._entry(suppression_uuid(tenant_id, address_key, scope))

    def _entry(self, entry_id: UUID) -> SuppressionEntry | None:
        try:
            entry = self.repository.get(entry_id)
        except AggregateNotFoundError:
            return None
        return entry if isinstance(entry, SuppressionEntry) else None

    def address_key(self, tenant_id: str, email: str) -> str:
        return self.secret_box.address_key(tenant_id, email)

    # --- commands -------------------------------------------------------------------------
    def add_suppression(self, tenant_id: str, email: str | None, scope: Scope, reason: Reason, *,
                        source: str = "manual", notes: str | None = None, expires_at: float | None = None,
                        address_key: str | None = None, meta: CommandMeta = SYSTEM) -> SuppressionResult:
        """Add (tenant, address, scope). An entry that still applies is left unchanged
        (``created`` False, console.md §7: "first row unchanged"). ``address_key`` instead
        of ``email`` adds a hash-only row (a forgotten contact)."""
        key = address_key or self.address_key(tenant_id, email or "")
        if address_key is None and not email:
            raise ValueError("a suppression needs an email or an address key")
        with self.under(meta, tenant_id):
            entry = self.get_suppression(tenant_id, key, scope)
            if entry is None:
                entry = SuppressionEntry.add(tenant_id, key, email, scope, reason, source=source,
                                             added_by=meta.actor, notes=notes, expires_at=expires_at)
                created = True
            else:
                created = entry.renew(email, reason, source=source, added_by=meta.actor, notes=notes,
                                      expires_at=expires_at)
            position = self.record(entry) if created else 0
        return SuppressionResult(created, str(entry.id), key, position)

    def lift_suppression(self, tenant_id: str, email: str | None, scope: Scope | None, note: str, *,
                         force: bool = False, address_key: str | None = None,
                         meta: CommandMeta = SYSTEM) -> tuple[list[SuppressionEntry], int]:
        """Lift the address's entries in ``scope`` (None: every scope) that apply now; returns
        (the lifted entries, position). Raises ``LiftRequiresForce`` before lifting anything
        when one of them needs ``force``."""
        key = address_key or self.address_key(tenant_id, email or "")
        with self.under(meta, tenant_id):
            entries = [e for s in ((scope,) if scope else SCOPES)
                       if (e := self.get_suppression(tenant_id, key, s)) is not None and e.active()]
            lifted = [e for e in entries if e.lift(note, meta.actor, force=force)]
            return lifted, self.record(*lifted) if lifted else 0

    # --- the save-time policy -------------------------------------------------------------
    def record(self, *aggregates: Aggregate) -> int:
        # seal first: the suppression then keys by the hash the sealed event keeps
        seal_outcomes(aggregates, self.contact_seals, self.secret_box)
        return super().record(*aggregates, *self._suppressions_for(aggregates))

    def _suppressions_for(self, aggregates: Iterable[Aggregate]) -> list[SuppressionEntry]:
        """The entries a hard bounce or complaint about to be saved adds or renews."""
        found: dict[UUID, SuppressionEntry] = {}
        for aggregate in aggregates:
            if type(aggregate) is not Message:
                continue
            for event in aggregate.pending_events:
                if isinstance(event, Message.Bounced):
                    if event.bounce_type == "hard":
                        self._suppress(found, aggregate.tenant_id, event, "hard_bounce",
                                       f"bounce:{event.source}")
                elif isinstance(event, Message.Complained):
                    self._suppress(found, aggregate.tenant_id, event, "complaint", "complaint:arf")
        return list(found.values())

    def _suppress(self, found: dict[UUID, SuppressionEntry], tenant_id: str,
                  event: Message.Bounced | Message.Complained, reason: Reason, source: str) -> None:
        # a contact's send keeps the hash only (ADR 0031): so does its suppression
        key = event.recipient_key or self.address_key(tenant_id, event.recipient)
        email = None if event.recipient_key else event.recipient
        entry_id = suppression_uuid(tenant_id, key, "all")
        if entry_id in found:
            return
        # the entry carries the bounce's own envelope and time: one command, one moment
        with command_context(event.meta, now=event.timestamp):
            entry = self._entry(entry_id)
            actor = event.meta.actor
            if entry is None:
                entry = SuppressionEntry.add(tenant_id, key, email, "all", reason, source=source,
                                             added_by=actor)
            elif not entry.renew(email, reason, source=source, added_by=actor):
                return
        found[entry_id] = entry
