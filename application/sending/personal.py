"""What a console send's outcome may store about its contact (console.md §2.4, ADR 0031).

A console send to a contact keeps no clear address in the sending log (ADR 0019); its
outcomes must not bring one back. A bounce or complaint names the recipient, and an SMTP
reply often quotes the address ("550 5.1.1 <jane@example.com>: user unknown"). So, at save
time, before anything is written, each such event of a contact's send is revised: the
recipient sealed with the contact's key (so a forget shreds it), its keyed hash kept for the
suppression, the address cut out of error and reason texts. Proxy messages are untouched:
their content holds the address anyway, and the client owns it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import msgspec

from application.ports import SecretBox
from domain.bounces.inbound_report import InboundReport
from domain.model import Aggregate
from domain.sending.message import Message
from domain.sending.message_state import RecipientRefusal

REDACTED = "<recipient>"


class ContactSeal(msgspec.Struct, frozen=True):
    """A contact as its send's outcomes see it: its current address (None when the contact
    or its key is gone) and how to seal a text with its key (None: nothing may be kept)."""

    address: str | None
    seal: Callable[[str], str] | None


class ContactSeals(Protocol):
    """Implemented by ``adapters.contact_sealing``: one read for a batch of contacts."""

    def seals(self, tenant_id: str, contact_ids: Sequence[str]) -> dict[str, ContactSeal]: ...


# events whose error text can quote the address (besides the recipient-naming ones below)
_ERRORS = (Message.Failed, Message.Deferred)


def _needs_revision(event: Any) -> bool:
    if isinstance(event, (Message.Bounced, Message.Complained)):
        return event.recipient_key is None
    if isinstance(event, Message.Sent):
        return bool(event.refused_recipients or event.suppressed_recipients)
    return isinstance(event, _ERRORS) and bool(event.error)


def seal_outcomes(aggregates: Sequence[Aggregate], seals: ContactSeals | None, box: SecretBox) -> None:
    """Revise, in place, the pending events of every contact's send among ``aggregates``,
    and of the inbound report saved with it (it names the same recipients)."""
    wanted: dict[str, list[Message]] = {}
    for aggregate in aggregates:
        if type(aggregate) is Message and aggregate.contact_id is not None \
                and any(_needs_revision(e) for e in aggregate.pending_events):
            wanted.setdefault(aggregate.tenant_id, []).append(aggregate)
    revisers: dict[str, _Reviser] = {}
    for tenant_id, messages in wanted.items():
        found = seals.seals(tenant_id, [m.contact_id for m in messages]) if seals is not None else {}
        for message in messages:
            contact = found.get(message.contact_id) or ContactSeal(address=None, seal=None)
            revisers[str(message.id)] = reviser = _Reviser(tenant_id, contact, box)
            message.revise_pending(reviser)
    for aggregate in aggregates if revisers else ():
        if type(aggregate) is InboundReport and aggregate.message_pk in revisers:
            aggregate.revise_pending(revisers[aggregate.message_pk].report)


class _Reviser:
    def __init__(self, tenant_id: str, contact: ContactSeal, box: SecretBox) -> None:
        self.tenant_id, self.contact, self.box = tenant_id, contact, box
        self.addresses = [contact.address] if contact.address else []

    def __call__(self, event: Any) -> Any:
        if not _needs_revision(event):
            return event
        if isinstance(event, (Message.Bounced, Message.Complained)):
            return self._recipient(event)
        if isinstance(event, Message.Sent):
            return msgspec.structs.replace(
                event, refused_recipients=[self._refusal(r) for r in event.refused_recipients],
                suppressed_recipients=[self._sealed(a) for a in event.suppressed_recipients])
        return msgspec.structs.replace(event, error=self._cut(event.error))

    def report(self, event: Any) -> Any:
        if not isinstance(event, InboundReport.Ingested):
            return event
        named = [msgspec.structs.replace(r, email=self._sealed(r.email)) for r in event.recipients]
        return msgspec.structs.replace(event, recipients=named)

    def _recipient(self, event: Message.Bounced | Message.Complained) -> Any:
        key = self.box.address_key(self.tenant_id, event.recipient)
        changes: dict[str, Any] = {"recipient": self._sealed(event.recipient), "recipient_key": key}
        if isinstance(event, Message.Bounced):
            changes["reason"] = self._cut(event.reason, event.recipient)
        return msgspec.structs.replace(event, **changes)

    def _refusal(self, refusal: RecipientRefusal) -> RecipientRefusal:
        return RecipientRefusal(self._sealed(refusal.recipient), refusal.code,
                                self._cut(refusal.error, refusal.recipient))

    def _sealed(self, address: str) -> str:
        return self.contact.seal(address) if self.contact.seal is not None and address else ""

    def _cut(self, text: str, *more: str) -> str:
        """``text`` without the contact's address (any case), whichever the server quoted."""
        for address in {a for a in (*self.addresses, *more) if a}:
            text = re.sub(re.escape(address), REDACTED, text, flags=re.IGNORECASE)
        return text
