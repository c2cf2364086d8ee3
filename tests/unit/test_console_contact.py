"""The Contact aggregate and the personal-data rules: given events -> command -> events."""

from __future__ import annotations

import pytest

from domain.console.contact import Contact
from domain.console.contact_event import EventDefinition, dedupe_key
from domain.console.personal import Personal, differences, merged, problem
from domain.console.rules import ContactForgotten, SubscriptionBlocked
from domain.model import Envelope, command_context

pytestmark = pytest.mark.unit


def new_contact() -> Contact:
    with command_context(Envelope(actor="admin", tenant_id="acme"), now=100.0):
        contact = Contact.create("acme", "u1", "enc:c1:x", "hash1")
    contact.collect_events()
    return contact


def topics(contact: Contact) -> list[str]:
    return [type(e).TOPIC for e in contact.collect_events()]


def test_subscribe_unsubscribe_and_blocked_statuses() -> None:
    contact = new_contact()
    assert contact.subscribe("form", 100.0) is True and contact.status == "subscribed"
    assert contact.subscribe("form", 101.0) is False
    assert contact.unsubscribe("user_request", "page") is True and contact.status == "unsubscribed"
    assert topics(contact) == ["Contact.Subscribed", "Contact.Unsubscribed"]
    contact.unsubscribe("complaint", "mta", status="complained")
    with pytest.raises(SubscriptionBlocked):
        contact.subscribe("form", 102.0)


def test_double_opt_in_needs_the_pending_state() -> None:
    contact = new_contact()
    assert contact.confirm_doi(None) is False
    contact.subscribe("form", 100.0, doi_token_hash="h")
    assert contact.status == "pending_doi" and contact.subscription.doi_requested_at is not None  # type: ignore[union-attr]
    assert contact.confirm_doi(None) is True and contact.status == "subscribed"
    assert contact.doi_token_hash is None


def test_forgotten_is_terminal_and_keeps_every_address_hash() -> None:
    contact = new_contact()
    contact.update("enc:c1:y", "hash2", ["email"], "enc:c1:z")
    assert contact.forget() is True and contact.forget() is False
    events = contact.collect_events()
    assert events[-1].address_keys == ["hash1", "hash2"]  # type: ignore[attr-defined]
    with pytest.raises(ContactForgotten):
        contact.update("enc:c1:w", "hash3", ["email"], "enc:c1:v")


def test_an_upsert_without_changes_appends_nothing() -> None:
    contact = new_contact()
    contact.update("enc:c1:y", "hash1", [], "enc:c1:z")
    assert topics(contact) == []


def test_personal_rules_and_merge() -> None:
    assert problem({"email": "Bob@Example.com"}) is None
    assert problem({"email": "nope"})[0] == "$.email"  # type: ignore[index]
    assert problem({"timezone": "Mars/Base"})[0] == "$.timezone"  # type: ignore[index]
    assert problem({"fields": {"9bad": 1}})[0] == "$.fields"  # type: ignore[index]
    assert problem({"tags": ["x" * 65]})[0] == "$.tags"  # type: ignore[index]
    old = Personal(email="bob@example.com", tags=["a"], fields={"plan": "pro", "age": 3})
    new = merged(old, {"fields": {"plan": None}, "email": " BOB@example.com "})
    assert new.fields == {"age": 3} and new.email == "bob@example.com" and new.tags == ["a"]
    assert differences(old, new) == ["fields"]


def test_dedupe_keys_follow_the_policy() -> None:
    from uuid import UUID

    cid = UUID(int=1)
    assert dedupe_key("once-per-contact", cid, "Created", 0.0, "n") == f"{cid}:Created"
    assert dedupe_key("once-per-day", cid, "D", 86400.0 * 2 + 5, "n") == f"{cid}:D:1970-01-03"
    assert dedupe_key("every-time", cid, "E", 0.0, "abc") == f"{cid}:E:abc"


def test_registering_twice_changes_only_the_policy() -> None:
    definition, created = EventDefinition.register("acme", "Signup", "every-time", None)
    definition.collect_events()
    same, again = EventDefinition.register("acme", "Signup", "every-time", definition)
    assert created and not again and same.collect_events() == []
    EventDefinition.register("acme", "Signup", "once-per-day", definition)
    assert [type(e).TOPIC for e in definition.collect_events()] == ["EventDefinition.PolicyChanged"]
