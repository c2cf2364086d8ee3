"""Console commands that span the console and sending applications (console.md §4, §7, §2.4).

Suppressions live in the sending log (the dispatcher checks them there); contacts live in
the console log. These functions call each application in the order that stays safe if the
process dies between the two saves: a suppression first, then the contact change.
Suppressions a console action adds for a contact are hash-only (``email`` null): the
address lives only in the contact's sealed data, so forgetting the contact leaves nothing
readable behind; lists show the address by looking the contact up.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import msgspec

from adapters.campaigns.flow_ops import exit_contact_runs
from adapters.console_sends import cancel_sends
from application.base import SYSTEM, CommandMeta

if TYPE_CHECKING:
    from adapters.bootstrap import Container


class Positions(msgspec.Struct):
    """What each application's log reached, for read-your-writes."""

    console: int = 0
    sending: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in (("console", self.console), ("sending", self.sending)) if v}


def unsubscribe(
    container: Container,
    tenant_id: str,
    external_id: str,
    scope: str,
    reason: str,
    source: str | None,
    meta: CommandMeta = SYSTEM,
) -> tuple[str, bool, Positions]:
    """(status, suppression created, positions): adds (address, scope, unsubscribed)."""
    contact = container.console.live_contact(tenant_id, external_id)
    done = container.sending.add_suppression(
        tenant_id,
        None,
        scope,
        "unsubscribed",  # type: ignore[arg-type]
        source=source or "console",
        address_key=contact.address_key,
        meta=meta,
    )
    contact, position = container.console.unsubscribe_contact(tenant_id, external_id, reason, source, meta)
    return contact.status or "unsubscribed", done.created, Positions(position, done.position)


def subscribe(
    container: Container, tenant_id: str, external_id: str, body: dict[str, Any], meta: CommandMeta = SYSTEM
) -> tuple[str, Positions]:
    """Fresh consent lifts only the contact's own (marketing, unsubscribed) suppression."""
    contact, position = container.console.subscribe_contact(
        tenant_id, external_id, body["source"], body.get("at"), None, body.get("consent"), meta
    )
    lifted_at = 0
    entry = container.sending.get_suppression(tenant_id, contact.address_key, "marketing")
    if entry is not None and entry.active() and entry.reason == "unsubscribed":
        _, lifted_at = container.sending.lift_suppression(
            tenant_id, None, "marketing", "fresh consent", address_key=contact.address_key, meta=meta
        )
    return contact.status or "subscribed", Positions(position, lifted_at)


def forget(
    container: Container, tenant_id: str, external_id: str, meta: CommandMeta = SYSTEM
) -> dict[str, Any]:
    """§2.4: hash-only (all, gdpr_forget) rows first, then ``Contact.Forgotten``, then the key."""
    contact = container.console.find_contact(tenant_id, external_id)
    added, sending_at = 0, 0
    if contact is not None and not contact.forgotten:
        for key in contact.address_keys:
            done = container.sending.add_suppression(
                tenant_id, None, "all", "gdpr_forget", source="gdpr_request", address_key=key, meta=meta
            )
            added += int(done.created)
            sending_at = max(sending_at, done.position)
    runs_exited = 0
    if contact is not None and not contact.forgotten:  # §2.4 step 3: its live flow runs end
        runs_exited = exit_contact_runs(container, tenant_id, str(contact.id), meta)
    if contact is not None and not contact.forgotten:  # §2.4 step 3: its waiting sends go
        cancel_sends(container, tenant_id, contact_id=str(contact.id), meta=meta)
    result = container.console.forget_contact(tenant_id, external_id, meta, before_key_delete=_fault)
    return {
        "contact_id": result.contact_id,
        "already": result.already,
        "added": added,
        "runs_exited": runs_exited,
        "positions": Positions(result.position, sending_at),
    }


def forget_address(
    container: Container, tenant_id: str, address_key: str, meta: CommandMeta = SYSTEM
) -> tuple[Positions, int]:
    """A gdpr_forget suppression forgets every contact with that address (console.md §7).
    Returns the positions and how many suppressions the forgets added."""
    rows = container.projections["contacts"].view.by_address(tenant_id, address_key)  # type: ignore[attr-defined]
    out, added = Positions(), 0
    for row in rows:
        done = forget(container, tenant_id, row.external_id, meta)
        out.console = max(out.console, done["positions"].console)
        out.sending = max(out.sending, done["positions"].sending)
        added += done["added"]
    return out, added


def _fault() -> None:
    """``LEDGERMAIL_FAULT=forget_before_key_delete:<n>`` exits (137) at the n-th pass."""
    spec = os.environ.get("LEDGERMAIL_FAULT", "")
    point, _, count = spec.partition(":")
    if point != "forget_before_key_delete":
        return
    _PASSES["forget"] = _PASSES.get("forget", 0) + 1
    if _PASSES["forget"] >= int(count or 1):
        os._exit(137)


_PASSES: dict[str, int] = {}


def sweep_forgotten_keys(container: Container) -> int:
    """At start: delete the keys of contacts forgotten by a process that died before step 5."""
    view: Any = container.projections["contacts"].view
    forgotten = view.forgotten_with_keys(container.vault.TABLE)
    if forgotten:
        container.vault.shred(forgotten)
    return len(forgotten)
