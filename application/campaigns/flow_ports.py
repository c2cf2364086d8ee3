"""What the flow engine needs from outside: contacts, their facts, and the step effects.

Adapters implement these over the console and sending applications (sends go through the
console send pipeline, ``adapters/console_sends.py``); tests use fakes of these ports.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from domain.campaigns.predicates import ContactFacts


class ContactState(msgspec.Struct, frozen=True):
    """What each step re-checks: missing, forgotten, or its subscription status."""

    exists: bool
    forgotten: bool = False
    status: str | None = None
    timezone: str | None = None


class FlowSend(msgspec.Struct, frozen=True, kw_only=True):
    dedupe_key: str
    slug: str
    external_id: str
    values: dict[str, Any] | None
    event: dict[str, Any] | None
    batch_code: str
    not_before: float | None
    account_id: str | None


class SendOutcome(msgspec.Struct, frozen=True):
    send_id: str | None
    status: str  # queued | held | suppressed | failed | skipped
    reason: str | None = None


class WebhookAnswer(msgspec.Struct, frozen=True):
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class FlowContacts(Protocol):
    def state(self, tenant_id: str, external_id: str) -> ContactState: ...

    def facts(
        self,
        tenant_id: str,
        external_id: str,
        needs: set[str],
        trigger: dict[str, Any] | None,
        flow_start: float | None,
    ) -> ContactFacts: ...

    def seal(self, tenant_id: str, external_id: str, data: dict[str, Any] | None) -> str | None:
        """Trigger properties sealed with the contact's data key (console.md §2.4)."""
        ...

    def open(self, tenant_id: str, external_id: str, sealed: str | None) -> dict[str, Any] | None: ...


class FlowEffects(Protocol):
    def send(self, tenant_id: str, send: FlowSend) -> SendOutcome: ...

    def tag(self, tenant_id: str, external_id: str, add: list[str], remove: list[str]) -> None: ...

    def fire_event(
        self, tenant_id: str, external_id: str, name: str, key: str, properties: dict[str, Any] | None
    ) -> None: ...

    def webhook_allowed(self, url: str) -> bool:
        """https and a public target, unless the instance allows private ones."""
        ...

    def webhook(self, tenant_id: str, url: str, method: str, body: bytes) -> WebhookAnswer:
        """One signed attempt (10 s timeout)."""
        ...
