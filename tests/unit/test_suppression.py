"""SuppressionEntry: given events -> when command -> then events (console.md §7 rules)."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValue
from domain.model import Envelope, command_context
from domain.suppression import LiftRequiresForce, SuppressionEntry, suppression_uuid

pytestmark = pytest.mark.unit
T0 = 1_800_000_000.0


def at(now: float = T0):  # type: ignore[no-untyped-def]
    return command_context(Envelope(actor="admin", tenant_id="acme"), now=now)


def added(reason: str = "manual", **kw: object) -> SuppressionEntry:
    with at():
        entry = SuppressionEntry.add("acme", "k1", " Bob@Example.COM ", "all", reason, source="manual",  # type: ignore[arg-type]
                                     added_by="admin", **kw)  # type: ignore[arg-type]
    entry.collect_events()
    return entry


def topics(entry: SuppressionEntry) -> list[str]:
    return [type(e).TOPIC for e in entry.collect_events()]


def test_an_entry_is_keyed_by_tenant_address_key_and_scope() -> None:
    entry = added()
    assert entry.id == suppression_uuid("acme", "k1", "all") != suppression_uuid("beta", "k1", "all")
    assert suppression_uuid("acme", "k1", "marketing") != entry.id
    assert entry.email == "bob@example.com" and entry.active(T0)


def test_adding_again_keeps_the_first_row_while_it_applies() -> None:
    entry = added()
    with at():
        assert entry.renew("bob@example.com", "complaint", source="complaint:arf", added_by="system") is False
    assert topics(entry) == [] and entry.reason == "manual"


def test_a_lift_needs_force_for_hard_bounces_complaints_and_forgets() -> None:
    entry = added("hard_bounce")
    with at(T0 + 1), pytest.raises(LiftRequiresForce):
        entry.lift("wrong address fixed", "admin")
    with at(T0 + 1):
        assert entry.lift("wrong address fixed", "admin", force=True)
    assert topics(entry) == ["SuppressionEntry.Lifted"] and not entry.active(T0 + 2)
    with at(T0 + 2):
        assert entry.lift("again", "admin", force=True) is False  # nothing to lift


def test_a_lifted_or_expired_entry_is_added_again() -> None:
    entry = added()
    with at(T0 + 1):
        entry.lift("ok now", "admin")
    with at(T0 + 2):
        assert entry.renew("bob@example.com", "hard_bounce", source="bounce:dsn", added_by="system")
    assert topics(entry) == ["SuppressionEntry.Lifted", "SuppressionEntry.Added"]
    assert entry.reason == "hard_bounce" and entry.active(T0 + 3) and entry.lifted_ts is None
    expiring = added(expires_at=T0 + 10)
    assert expiring.active(T0 + 9) and not expiring.active(T0 + 10)
    with at(T0 + 11):
        assert expiring.renew(None, "manual", source="manual", added_by="admin")
    assert expiring.email == "bob@example.com"  # a renewal without an address keeps the known one


def test_rules_with_names() -> None:
    with at(), pytest.raises(InvalidValue):
        SuppressionEntry.add("acme", "k", None, "marketing", "gdpr_forget", source="gdpr_request",
                             added_by="a")
    with at(), pytest.raises(InvalidValue):
        SuppressionEntry.add("acme", "k", "a@b.test", "all", "manual", source="manual", added_by="a",
                             notes="x" * 501)
    with at():
        hashed = SuppressionEntry.add("acme", "k", None, "all", "gdpr_forget", source="gdpr_request",
                                      added_by="a")
    assert hashed.email is None
