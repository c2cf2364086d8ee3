"""The SuppressionEntry: one (tenant, address, scope) the tenant must not mail (spec proxy.md
§10.3, console.md §2.1, §7).

Its id is the uuid5 of the tenant, the address key and the scope, so "is x suppressed" and
"add x" need no read model and adding twice is one entry. The address key is a keyed hash
of the lower-cased address (console.md §2.4: HMAC under a per-tenant key, computed by the
application's ``SecretBox``); ``email`` is the clear address, or None for hash-only rows
(``gdpr_forget``). A lifted or expired entry can be added again: ``Added`` restarts it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

from domain.errors import InvalidValue, RuleViolation
from domain.instance import LEDGERMAIL_NAMESPACE
from domain.model import Aggregate, current_context

Scope = Literal["all", "marketing", "transactional"]
Reason = Literal["unsubscribed", "hard_bounce", "complaint", "manual", "list_cleaning", "gdpr_forget"]
SCOPES: tuple[Scope, ...] = ("all", "marketing", "transactional")
FORCED_LIFT: frozenset[str] = frozenset({"hard_bounce", "complaint", "gdpr_forget"})
NOTES_MAX = 500


class LiftRequiresForce(RuleViolation):
    """Hard bounces, complaints and forgets are lifted only on purpose (console.md §7)."""

    code = "lift_requires_force"
    status = 409


def normalize_address(email: str) -> str:
    """The form every suppression check compares: trimmed, lower-cased."""
    return email.strip().lower()


def suppression_uuid(tenant_id: str, address_key: str, scope: Scope) -> UUID:
    return uuid5(LEDGERMAIL_NAMESPACE, f"suppression/{tenant_id}/{address_key}/{scope}")


class SuppressionEntry(Aggregate):
    TOPIC = "SuppressionEntry"

    class Added(Aggregate.Created, frozen=True, kw_only=True):
        """`tenant_id` must not mail the address whose keyed hash is `address_key` (`email`:
        the lower-cased address, null for hash-only rows) in `scope` (all, marketing,
        transactional), because of `reason`; `source` says what found it (`bounce:smtp`,
        `bounce:dsn`, `bounce:other`, `complaint:arf`, `manual`, ...), `added_by` who (an
        actor), `notes` why in words; it stops applying at `expires_at` (null: never)."""

        TOPIC: ClassVar[str] = "SuppressionEntry.Added"
        tenant_id: str
        address_key: str
        email: str | None
        scope: Scope
        reason: Reason
        source: str
        notes: str | None
        added_by: str
        expires_at: float | None

        def apply(self, entry: Any) -> None:
            for name in ("tenant_id", "address_key", "email", "scope", "reason", "source", "notes",
                         "added_by", "expires_at"):
                setattr(entry, name, getattr(self, name))
            entry.added_ts = self.timestamp
            entry.lifted_ts = None
            entry.lift_note = None
            entry.lifted_by = None

    class Lifted(Aggregate.Event, frozen=True, kw_only=True):
        """The entry stopped applying before its time: `note` says why, `lifted_by` who."""

        TOPIC: ClassVar[str] = "SuppressionEntry.Lifted"
        note: str
        lifted_by: str

        def apply(self, entry: Any) -> None:
            entry.lifted_ts = self.timestamp
            entry.lift_note = self.note
            entry.lifted_by = self.lifted_by

    tenant_id: str
    address_key: str
    email: str | None
    scope: Scope
    reason: Reason
    source: str
    notes: str | None
    added_by: str
    expires_at: float | None
    added_ts: float
    lifted_ts: float | None
    lift_note: str | None
    lifted_by: str | None

    @classmethod
    def add(cls, tenant_id: str, address_key: str, email: str | None, scope: Scope, reason: Reason, *,
            source: str, added_by: str, notes: str | None = None,
            expires_at: float | None = None) -> SuppressionEntry:
        """A new entry (the caller checked that none exists for this id)."""
        fields = _checked(tenant_id, address_key, email, scope, reason, source, added_by, notes, expires_at)
        return cls._create(cls.Added, id=suppression_uuid(tenant_id, address_key, scope), **fields)

    def active(self, now: float | None = None) -> bool:
        now = current_context().now if now is None else now
        return self.lifted_ts is None and (self.expires_at is None or now < self.expires_at)

    def renew(self, email: str | None, reason: Reason, *, source: str, added_by: str,
              notes: str | None = None, expires_at: float | None = None) -> bool:
        """Add again; only a lifted or expired entry changes (an active one keeps its first
        reason and source: False, nothing appended)."""
        if self.active():
            return False
        fields = _checked(self.tenant_id, self.address_key, email if email is not None else self.email,
                          self.scope, reason, source, added_by, notes, expires_at)
        self.trigger_event(self.Added, **fields)
        return True

    def lift(self, note: str, lifted_by: str, *, force: bool = False) -> bool:
        """Stop applying now; False (nothing appended) when it no longer applies anyway."""
        if not self.active():
            return False
        if self.reason in FORCED_LIFT and not force:
            raise LiftRequiresForce(f"a {self.reason} suppression is lifted only with force", field="force")
        self.trigger_event(self.Lifted, note=note, lifted_by=lifted_by)
        return True


def _checked(tenant_id: str, address_key: str, email: str | None, scope: Scope, reason: Reason,
             source: str, added_by: str, notes: str | None, expires_at: float | None) -> dict[str, Any]:
    if scope not in SCOPES:
        raise InvalidValue(f"scope must be one of {', '.join(SCOPES)}", field="scope")
    if reason == "gdpr_forget" and scope != "all":
        raise InvalidValue("a gdpr_forget suppression needs scope all", field="scope")
    if notes is not None and len(notes) > NOTES_MAX:
        raise InvalidValue(f"notes are at most {NOTES_MAX} characters", field="notes")
    return dict(tenant_id=tenant_id, address_key=address_key,
                email=normalize_address(email) if email is not None else None, scope=scope,
                reason=reason, source=source, notes=notes, added_by=added_by, expires_at=expires_at)
