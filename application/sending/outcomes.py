"""The normalised outcome feed (console.md §6) and tracking hits (§10), applied to messages.

One save per request: each item's ``OutcomeEvent`` (the de-duplication record), the
Message event it causes and the suppressions it adds go to the sending log together, so
a repeated request finds every item seen and changes nothing. The contact's subscription
(console log) is the caller's second step; this returns which addresses need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec

from application.base import SYSTEM, CommandMeta, LedgerApplication
from application.sending.app import SendingApplication
from domain.bounces.classify import classify_bounce, find_reply
from domain.errors import RuleViolation
from domain.model import current_context
from domain.sending.bots import BotRules, bot_reason
from domain.sending.message import Message
from domain.sending.outcome import OutcomeEvent, outcome_uuid
from domain.suppression import Reason, Scope, SuppressionEntry, suppression_uuid


class OutcomeItem(msgspec.Struct, frozen=True, kw_only=True):
    """One feed item, matched by the caller: ``send_pk`` (None: unmatched) and the address."""

    item_id: str
    type: str
    occurred_at: float
    send_pk: UUID | None
    address_key: str | None
    email: str | None = None
    bounce_type: str | None = None
    bounce_code: str | None = None
    bounce_text: str = ""
    url: str | None = None
    user_agent: str | None = None  # sealed
    ip: str | None = None  # sealed, truncated
    raw_user_agent: str | None = None  # clear, only to judge bots; never stored
    detail: str | None = None  # the item, sealed


class Effect(msgspec.Struct, frozen=True):
    """A subscription change the console log still has to record for an address."""

    address_key: str
    status: str  # bounced | complained | unsubscribed
    reason: str


class ItemResult(msgspec.Struct, frozen=True, omit_defaults=True):
    id: str
    status: str  # accepted | duplicate | unmatched
    send_id: str | None = None


class OutcomeRecorder:
    def __init__(self, sending: SendingApplication, rules: BotRules = BotRules()) -> None:
        self.sending, self.rules = sending, rules

    def apply(
        self, tenant_id: str, source: str, items: Sequence[OutcomeItem], meta: CommandMeta = SYSTEM
    ) -> tuple[list[ItemResult], list[Effect], int]:
        ids = [outcome_uuid(tenant_id, source, i.item_id) for i in items]
        seen = set(self.sending.existing.existing(ids))
        pks = sorted({i.send_pk for i in items if i.send_pk is not None})
        messages = {m.id: m for m in self.sending.get_messages(pks) if m.tenant_id == tenant_id}
        saved: dict[UUID, Any] = {}
        results, effects = [], []
        with self.sending.under(meta, tenant_id):
            for ident, item in zip(ids, items, strict=True):
                if ident in seen:
                    results.append(ItemResult(item.item_id, "duplicate"))
                    continue
                seen.add(ident)
                message = messages.get(item.send_pk) if item.send_pk else None
                applied = message is not None and self._on_message(message, source, item)
                if applied:
                    saved[message.id] = message  # type: ignore[union-attr]
                effect = self._suppress(tenant_id, source, item, saved)
                effects += [effect] if effect else []
                saved[ident] = OutcomeEvent.receive(
                    tenant_id,
                    source,
                    item.item_id,
                    item.type,
                    item.occurred_at,  # type: ignore[arg-type]
                    send_pk=str(message.id) if applied else None,
                    address_key=item.address_key,  # type: ignore[union-attr]
                    bounce_type=self._verdict(item)[0] if item.type == "bounce" else None,
                    bounce_code=item.bounce_code,
                    detail=item.detail,
                )
                results.append(
                    ItemResult(
                        item.item_id,
                        "accepted" if applied else "unmatched",
                        str(message.id) if applied else None,
                    )
                )  # type: ignore[union-attr]
            # the feed adds its own entries (source webhook:<source>): no save-time policy
            position = LedgerApplication.record(self.sending, *saved.values()) if saved else 0
        return results, effects, position

    def _verdict(self, item: OutcomeItem) -> tuple[str, str | None, str]:
        verdict = classify_bounce(item.bounce_code, find_reply(item.bounce_text), item.bounce_text)
        kind = item.bounce_type if item.bounce_type in ("hard", "soft") else verdict.bounce_type
        category = verdict.category if item.bounce_code or item.bounce_text else "unknown"
        return kind, verdict.bounce_code or item.bounce_code, category

    def _on_message(self, message: Message, source: str, item: OutcomeItem) -> bool:
        """Apply the item to its message; False when the message cannot take it (never sent)."""
        tag = f"webhook:{source}"
        recipient = item.email or (message.content.to[0] if message.content and message.content.to else "")
        try:
            if item.type == "delivered":
                message.record_delivered(tag, item.occurred_at, item.item_id)
            elif item.type in ("open", "click"):
                reason = bot_reason(
                    item.type,
                    item.raw_user_agent,
                    None,
                    message.sent_ts,  # type: ignore[arg-type]
                    item.occurred_at,
                    self.rules,
                )
                if item.type == "open":
                    message.record_open(
                        at=item.occurred_at,
                        bot_reason=reason,
                        source=tag,
                        user_agent=item.user_agent,
                        ip=item.ip,
                    )
                else:
                    message.record_click(
                        at=item.occurred_at,
                        link_id=None,
                        url=item.url,
                        bot_reason=reason,
                        source=tag,
                        user_agent=item.user_agent,
                        ip=item.ip,
                    )
            elif item.type == "bounce":
                kind, code, category = self._verdict(item)
                message.record_bounce(
                    recipient,
                    kind,
                    bounce_code=code,
                    category=category,  # type: ignore[arg-type]
                    reason=item.bounce_text or f"reported by {source}",
                    source="webhook",
                )
            elif item.type == "complaint":
                message.record_complaint(recipient, "abuse")
            elif item.type == "unsubscribe":
                message.record_unsubscribe(tag, item.occurred_at)
        except RuleViolation:
            return False
        return True

    def _suppress(
        self, tenant_id: str, source: str, item: OutcomeItem, saved: dict[UUID, Any]
    ) -> Effect | None:
        """§6 table: hard bounce and complaint -> (all, ...); unsubscribe -> (marketing, ...)."""
        if item.address_key is None:
            return None
        rule: tuple[Scope, Reason, str] | None = None
        if item.type == "bounce" and self._verdict(item)[0] == "hard":
            rule = ("all", "hard_bounce", "bounced")
        elif item.type == "complaint":
            rule = ("all", "complaint", "complained")
        elif item.type == "unsubscribe":
            rule = ("marketing", "unsubscribed", "unsubscribed")
        if rule is None:
            return None
        scope, reason, status = rule
        entry_id = suppression_uuid(tenant_id, item.address_key, scope)
        entry = saved.get(entry_id) or self.sending.get_suppression(tenant_id, item.address_key, scope)
        actor, tag = current_context().envelope.actor, f"webhook:{source}"
        if entry is None:
            entry = SuppressionEntry.add(
                tenant_id, item.address_key, item.email, scope, reason, source=tag, added_by=actor
            )
            saved[entry_id] = entry
        elif entry.renew(item.email, reason, source=tag, added_by=actor):
            saved[entry_id] = entry
        return Effect(item.address_key, status, reason)
