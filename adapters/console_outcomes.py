"""Outcome feed and recipient actions across the sending and console logs (console.md §6, §10).

Matching needs read models (Message-ID, the newest send to an address), the effects need
both applications: the sending log first (outcome record, message event, suppression, one
save), then the contacts' subscriptions (console log). A crash between the two leaves the
suppression in place, which is the safe half; a repeated request is all duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from adapters.console_ops import Positions
from application.base import CommandMeta
from application.sending.outcomes import Effect, ItemResult, OutcomeItem
from domain.console.personal import email_problem, normal_email
from domain.sending.bots import truncate_ip

if TYPE_CHECKING:
    from adapters.bootstrap import Container

MATCH_SLACK_SECONDS = 300  # a feed's clock may run ahead of ours (§6: sentAt <= occurredAt + 5 min)


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def _match(container: Container, tenant_id: str, item: dict[str, Any]) -> tuple[UUID | None, str | None]:
    """(message pk, address key): by messageId (sendId or Message-ID), else by address."""
    email = normal_email(item["email"]) if item.get("email") else None
    key = container.secret_box.address_key(tenant_id, email) if email else None
    given = item.get("messageId")
    pk = _uuid(given)
    if pk is None and given:
        pks = container.projections["messages"].view.pks_with_message_id(
            given if given.startswith("<") else f"<{given}>"
        )
        pk = UUID(pks[0]) if len(pks) == 1 else None
    if pk is None and key is not None:
        rows = container.projections["contacts"].view.by_address(tenant_id, key)
        found = container.projections["sends"].view.newest_for_contacts(
            tenant_id, [r.contact_id for r in rows], item["occurredAt"] + MATCH_SLACK_SECONDS
        )
        pk = UUID(found) if found else None
    if key is None and pk is not None:
        key = _address_of(container, tenant_id, pk)
    return pk, key


def _address_of(container: Container, tenant_id: str, pk: UUID) -> str | None:
    row = container.projections["sends"].view.get(tenant_id, str(pk))
    if row is not None and row["contact_id"]:
        contacts = container.console.contacts_with_address(tenant_id, [UUID(row["contact_id"])])
        return contacts[0].address_key if contacts else None
    if row is not None and row["email"]:
        return container.secret_box.address_key(tenant_id, row["email"])
    return None


def sealer(
    container: Container, tenant_id: str, contact_id: str | None
) -> Callable[[str | None], str | None]:
    """How tracking UAs and IPs (cut first) and outcome bodies are sealed (§2.4): with the
    contact's key when the send has a contact, so a forget shreds them; else (proxy
    messages, unmatched items) with the instance box. A forgotten contact's: nothing kept."""
    if contact_id is None:
        box = container.secret_box
        return lambda value: box.encrypt(value) if value else None
    ident = UUID(contact_id)
    key = container.vault.keys(tenant_id, [ident], create=False).get(ident)
    vault = container.vault
    return lambda value: vault.seal(key, value) if value and key is not None else None


def _contact_of(container: Container, tenant_id: str, pk: UUID | None) -> str | None:
    row = container.projections["sends"].view.get(tenant_id, str(pk)) if pk else None
    return row["contact_id"] if row is not None else None


def item_of(container: Container, tenant_id: str, item: dict[str, Any]) -> OutcomeItem:
    """A validated feed item (camelCase dict, ``occurredAt`` as unix seconds), matched and sealed."""
    pk, key = _match(container, tenant_id, item)
    bounce = item.get("bounce") or {}
    ua, ip = item.get("userAgent"), truncate_ip(item.get("ip"))
    seal = sealer(container, tenant_id, _contact_of(container, tenant_id, pk))
    return OutcomeItem(
        item_id=item["id"],
        type=item["type"],
        occurred_at=item["occurredAt"],
        send_pk=pk,
        address_key=key,
        email=normal_email(item["email"]) if item.get("email") else None,
        bounce_type=bounce.get("type"),
        bounce_code=bounce.get("code"),
        bounce_text=" ".join(str(bounce.get(k) or "") for k in ("smtpReply", "diagnostic")).strip(),
        url=item.get("url"),
        raw_user_agent=ua,
        user_agent=seal(ua),
        ip=seal(ip),
        detail=seal(msgspec.json.encode(item).decode()),
    )


def email_invalid(value: Any) -> bool:
    return not isinstance(value, str) or bool(email_problem(normal_email(value)))


def apply_outcomes(
    container: Container, tenant_id: str, source: str, items: list[dict[str, Any]], meta: CommandMeta
) -> tuple[list[ItemResult], Positions]:
    prepared = [item_of(container, tenant_id, i) for i in items]
    results, effects, position = container.outcomes.apply(tenant_id, source, prepared, meta)
    console_at = mark_contacts(container, tenant_id, effects, f"webhook:{source}", meta)
    return results, Positions(console=console_at, sending=position)


def mark_contacts(
    container: Container, tenant_id: str, effects: list[Effect], source: str, meta: CommandMeta
) -> int:
    """§6: the contacts with each address become bounced / complained / unsubscribed."""
    view = container.projections["contacts"].view
    changes = [
        (UUID(row.contact_id), e.status, e.reason, source)
        for e in effects
        for row in view.by_address(tenant_id, e.address_key)
    ]
    return container.console.mark_contacts(tenant_id, changes, meta) if changes else 0  # type: ignore[arg-type]


def one_click_unsubscribe(container: Container, claims: dict[str, Any], source: str) -> Positions:
    """§10: (marketing, unsubscribed, source) for the contact, `unsubscribed`, the send's
    ``unsubscribedAt``; the actor is the recipient. An unknown or forgotten contact: nothing."""
    tenant_id, contact_id = claims["t"], _uuid(claims.get("c"))
    contacts = container.console.contacts_with_address(tenant_id, [contact_id]) if contact_id else []
    if not contacts:
        return Positions()
    contact = contacts[0]
    meta = CommandMeta(actor=f"recipient:{contact.id}")
    done = container.sending.add_suppression(
        tenant_id,
        None,
        "marketing",
        "unsubscribed",
        source=source,
        address_key=contact.address_key,
        meta=meta,
    )
    sending_at = done.position
    pk = _uuid(claims.get("m"))
    message = container.tracking_hits.message(pk) if pk else None
    if message is not None and message.tenant_id == tenant_id:
        sending_at = max(sending_at, container.tracking_hits.unsubscribed(message, source, meta))
    console_at = container.console.mark_contacts(
        tenant_id, [(contact.id, "unsubscribed", source, source)], meta
    )
    return Positions(console=console_at, sending=sending_at)
