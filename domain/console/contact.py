"""The Contact: one person of a tenant, known by the tenant's ``externalId``.

Personal data (address, tags, fields, timezone, locale, consent IP and user agent) never
enters an event in clear: the application seals it with the contact's own data key
(``personal``, ``enc:c1:...``), which lives outside the event store, so deleting that key
forgets the person without rewriting history (console.md §2.4). What stays clear is what
rules need: statuses, times, and ``address_key``, a keyed hash of the address.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import msgspec

from domain.console.ids import contact_uuid
from domain.console.rules import ContactForgotten, SubscriptionBlocked
from domain.model import Aggregate

SubscriptionStatus = Literal["subscribed", "pending_doi", "unsubscribed", "bounced", "complained"]
UnsubscribeReason = Literal["user_request", "manual", "one_click", "hard_bounce", "complaint"]
BLOCKING: tuple[str, ...] = ("bounced", "complained")


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    status: SubscriptionStatus
    subscribed_at: float | None = None
    unsubscribed_at: float | None = None
    unsubscribe_reason: str | None = None
    source: str | None = None
    doi_requested_at: float | None = None
    doi_confirmed_at: float | None = None


class Contact(Aggregate):
    TOPIC = "Contact"

    class Created(Aggregate.Created, frozen=True, kw_only=True):
        """First upsert of `external_id`: `personal` is the sealed personal data, `address_key`
        the keyed hash of the address; `import_id` names the import that created it, if any."""

        TOPIC: ClassVar[str] = "Contact.Created"
        tenant_id: str
        external_id: str
        personal: str
        address_key: str
        import_id: str | None = None

        def apply(self, c: Any) -> None:
            c.tenant_id, c.external_id = self.tenant_id, self.external_id
            c.personal, c.address_key, c.address_keys = self.personal, self.address_key, [self.address_key]
            c.subscription, c.forgotten, c.doi_token_hash, c.doi_count = None, False, None, 0

    class Updated(Aggregate.Event, frozen=True, kw_only=True):
        """An upsert that changed something: `personal` is the whole new sealed state,
        `changed` the top-level fields that differ, `before` the sealed old values of those."""

        TOPIC: ClassVar[str] = "Contact.Updated"
        personal: str
        address_key: str
        changed: list[str]
        before: str
        import_id: str | None = None

        def apply(self, c: Any) -> None:
            c.personal, c.address_key = self.personal, self.address_key
            if self.address_key not in c.address_keys:
                c.address_keys = [*c.address_keys, self.address_key]

    class Subscribed(Aggregate.Event, frozen=True, kw_only=True):
        """Consent given: `status` subscribed, or pending_doi with the hash of a confirmation
        token. `consent` seals the consent IP and user agent (null without them)."""

        TOPIC: ClassVar[str] = "Contact.Subscribed"
        status: Literal["subscribed", "pending_doi"]
        source: str
        subscribed_at: float
        doi_token_hash: str | None = None
        consent: str | None = None
        previous: SubscriptionStatus | None = None
        import_id: str | None = None

        def next_subscription(self, old: Subscription | None) -> Subscription:
            doi = self.status == "pending_doi"
            return Subscription(
                status=self.status,
                subscribed_at=self.subscribed_at,
                source=self.source,
                doi_requested_at=self.timestamp if doi else None,
            )

        def apply(self, c: Any) -> None:
            c.subscription = self.next_subscription(c.subscription)
            doi = self.status == "pending_doi"
            c.doi_token_hash = self.doi_token_hash
            c.doi_count += 1 if doi else 0

    class DoiConfirmed(Aggregate.Event, frozen=True, kw_only=True):
        """The confirmation link was followed (POST): pending_doi becomes subscribed."""

        TOPIC: ClassVar[str] = "Contact.DoiConfirmed"
        consent: str | None = None

        def next_subscription(self, old: Subscription | None) -> Subscription:
            base = old or Subscription(status="subscribed")
            return msgspec.structs.replace(base, status="subscribed", doi_confirmed_at=self.timestamp)

        def apply(self, c: Any) -> None:
            c.subscription = self.next_subscription(c.subscription)
            c.doi_token_hash = None

    class Unsubscribed(Aggregate.Event, frozen=True, kw_only=True):
        """Consent withdrawn (`reason`, `source`), or lost to a hard bounce (`bounced`) or a
        complaint (`complained`): `status` is the new subscription status."""

        TOPIC: ClassVar[str] = "Contact.Unsubscribed"
        status: Literal["unsubscribed", "bounced", "complained"]
        reason: str
        source: str | None
        previous: SubscriptionStatus | None = None

        def next_subscription(self, old: Subscription | None) -> Subscription:
            base = old or Subscription(status="unsubscribed")
            return msgspec.structs.replace(
                base, status=self.status, unsubscribed_at=self.timestamp, unsubscribe_reason=self.reason
            )

        def apply(self, c: Any) -> None:
            c.subscription = self.next_subscription(c.subscription)
            c.doi_token_hash = None

    class Forgotten(Aggregate.Event, frozen=True, kw_only=True):
        """GDPR erasure: `address_keys` are every address the contact had (kept as hash-only
        suppressions). The data key is deleted next, so `personal` no longer opens."""

        TOPIC: ClassVar[str] = "Contact.Forgotten"
        address_keys: list[str]

        def apply(self, c: Any) -> None:
            c.forgotten, c.doi_token_hash = True, None

    tenant_id: str
    external_id: str
    personal: str
    address_key: str
    address_keys: list[str]
    subscription: Subscription | None
    forgotten: bool
    doi_token_hash: str | None
    doi_count: int

    @classmethod
    def create(
        cls, tenant_id: str, external_id: str, personal: str, address_key: str, import_id: str | None = None
    ) -> Contact:
        return cls._create(
            cls.Created,
            id=contact_uuid(tenant_id, external_id),
            tenant_id=tenant_id,
            external_id=external_id,
            personal=personal,
            address_key=address_key,
            import_id=import_id,
        )

    @property
    def status(self) -> str | None:
        return None if self.subscription is None else self.subscription.status

    def _live(self) -> None:
        if self.forgotten:
            raise ContactForgotten(f"contact {self.external_id} was forgotten")

    def update(
        self, personal: str, address_key: str, changed: list[str], before: str, import_id: str | None = None
    ) -> None:
        self._live()
        if changed:
            self.trigger_event(
                self.Updated,
                personal=personal,
                address_key=address_key,
                changed=sorted(changed),
                before=before,
                import_id=import_id,
            )

    def subscribe(
        self,
        source: str,
        at: float,
        *,
        doi_token_hash: str | None = None,
        consent: str | None = None,
        import_id: str | None = None,
    ) -> bool:
        """False when nothing changes (already subscribed, no double opt-in asked)."""
        self._live()
        if self.status in BLOCKING:
            raise SubscriptionBlocked(
                f"contact {self.external_id} is {self.status}; lift the suppression first"
            )
        if self.status == "subscribed" and doi_token_hash is None:
            return False
        status = "pending_doi" if doi_token_hash else "subscribed"
        self.trigger_event(
            self.Subscribed,
            status=status,
            source=source,
            subscribed_at=at,
            doi_token_hash=doi_token_hash,
            consent=consent,
            previous=self.status,
            import_id=import_id,
        )
        return True

    def confirm_doi(self, consent: str | None) -> bool:
        """False when there is nothing to confirm (already confirmed, or never asked)."""
        self._live()
        if self.status != "pending_doi":
            return False
        self.trigger_event(self.DoiConfirmed, consent=consent)
        return True

    def unsubscribe(
        self,
        reason: str,
        source: str | None,
        status: Literal["unsubscribed", "bounced", "complained"] = "unsubscribed",
    ) -> bool:
        self._live()
        if self.status == status:
            return False
        self.trigger_event(
            self.Unsubscribed, status=status, reason=reason, source=source, previous=self.status
        )
        return True

    def forget(self) -> bool:
        """False when it was forgotten already."""
        if self.forgotten:
            return False
        self.trigger_event(self.Forgotten, address_keys=list(self.address_keys))
        return True
