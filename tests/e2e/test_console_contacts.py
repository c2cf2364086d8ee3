"""Contacts and subscriptions over HTTP (console.md §4; §17 scenarios 5, 10, 12)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.console import Console
from tests.support.live import Live

pytestmark = pytest.mark.e2e


@pytest.fixture
def console(live: Live) -> Iterator[Console]:
    c = Console(live)
    c.tenant("acme")
    c.tenant("beta")
    yield c


def put(console: Console, external_id: str, tenant: str = "acme", **body: object) -> dict:
    answer = console.admin("PUT", f"/contacts/{external_id}", tenant, json=body)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_upsert_lowercases_merges_fields_and_validates(console: Console) -> None:  # scenario 10
    first = console.admin(
        "PUT",
        "/contacts/u50",
        json={"email": "Bob@Example.com", "fields": {"plan": "pro", "age": 3}, "timezone": "Europe/Rome"},
    )
    assert first.status_code == 201, first.text
    contact = first.json()["contact"]
    assert first.json()["created"] is True and contact["email"] == "bob@example.com"
    assert contact["createdAt"].endswith("Z") and contact["subscription"] is None
    again = put(console, "u50", email="bob@example.com", fields={"plan": None})
    assert again["created"] is False and again["contact"]["fields"] == {"age": 3}
    assert again["contact"]["timezone"] == "Europe/Rome"
    mars = console.admin("PUT", "/contacts/u50", json={"email": "b@example.com", "timezone": "Mars/Base"})
    assert mars.status_code == 400 and mars.json()["details"][0]["path"] == "$.timezone"
    assert console.admin("PUT", "/contacts/u51", json={"email": "nope"}).status_code == 400
    assert (
        console.admin("PUT", "/contacts/u51", json={"email": "a@b.test", "locale": "!!"}).status_code == 400
    )
    tagged = put(console, "u50", email="bob@example.com", tags=["a", "b"])
    assert tagged["contact"]["tags"] == ["a", "b"]
    edited = console.admin("POST", "/contacts/u50/tags", json={"add": ["c"], "remove": ["a"]})
    assert edited.json() == {"ok": True, "tags": ["b", "c"]}


def test_pages_of_fifty_and_limits(console: Console) -> None:  # scenarios 5, 10
    rows = [{"externalId": f"p{i:03d}", "email": f"p{i}@ex.test"} for i in range(120)]
    done = console.admin("POST", "/contacts/import", json={"contacts": rows})
    assert done.status_code == 200 and done.json()["created"] == 120, done.text
    sizes, cursor, seen = [], None, []
    while True:
        answer = console.admin("GET", "/contacts", params={"cursor": cursor} if cursor else {})
        body = answer.json()
        sizes.append(len(body["contacts"]))
        seen += [c["externalId"] for c in body["contacts"]]
        cursor = body.get("nextCursor")
        if cursor is None:
            break
    assert sizes == [50, 50, 20] and len(set(seen)) == 120
    assert body["counts"]["total"] == 120
    assert console.admin("GET", "/contacts", params={"limit": 0}).status_code == 400
    assert len(console.admin("GET", "/contacts", params={"limit": 1000}).json()["contacts"]) == 120
    first = console.admin("GET", "/contacts", params={"limit": 1}).json()["nextCursor"]
    stolen = console.admin("GET", "/contacts", "beta", params={"cursor": first})
    assert stolen.status_code == 400 and stolen.json()["error"] == "bad_cursor"
    filtered = console.admin("GET", "/contacts", params={"cursor": first, "status": "subscribed"})
    assert filtered.json()["error"] == "bad_cursor"
    assert console.admin("GET", "/contacts", "beta").json()["contacts"] == []


def test_import_reports_bad_rows_and_keeps_unsubscribed(console: Console) -> None:  # scenario 10
    rows = [
        {"externalId": "i1", "email": "i1@ex.test"},
        {"externalId": "i2", "email": "bad"},
        {"externalId": "i3", "email": "i3@ex.test"},
    ]
    done = console.admin("POST", "/contacts/import", json={"contacts": rows, "subscribe": {"source": "csv"}})
    body = done.json()
    assert (body["created"], body["subscribed"]) == (2, 2), body
    assert [f["index"] for f in body["failed"]] == [1] and body["failed"][0]["externalId"] == "i2"
    assert console.admin("POST", "/contacts/i1/unsubscribe", json={}).json()["status"] == "unsubscribed"
    again = console.admin(
        "POST", "/contacts/import", json={"contacts": rows[:1], "subscribe": {"source": "csv"}}
    )
    assert again.json()["unchanged"] == 1 and again.json()["subscribed"] == 0
    detail = console.admin("GET", "/contacts/i1").json()
    assert detail["subscription"]["status"] == "unsubscribed"


def test_subscribe_and_unsubscribe_move_suppressions(console: Console) -> None:  # scenario 12
    put(console, "u1", email="u1@ex.test")
    assert console.admin("POST", "/contacts/u1/subscribe", json={"source": "form"}).json() == {
        "status": "subscribed"
    }
    gone = console.admin("POST", "/contacts/u1/unsubscribe", json={})
    assert gone.json() == {"status": "unsubscribed", "suppressionCreated": True}
    rows = console.admin("GET", "/contacts/u1").json()["suppressions"]
    assert [(r["scope"], r["reason"], r["email"]) for r in rows] == [
        ("marketing", "unsubscribed", "u1@ex.test")
    ]
    added = console.admin(
        "POST", "/suppressions", json={"email": "u1@ex.test", "scope": "all", "reason": "complaint"}
    )
    assert added.status_code == 201, added.text
    back = console.admin("POST", "/contacts/u1/subscribe", json={"source": "form"})
    assert back.json()["status"] == "subscribed"
    rows = console.admin("GET", "/contacts/u1").json()["suppressions"]
    assert [(r["scope"], r["reason"]) for r in rows] == [("all", "complaint")]
    doi = console.admin("POST", "/contacts/u1/subscribe", json={"source": "form", "doubleOptIn": True})
    assert doi.status_code == 409 and doi.json()["error"] == "doi_template_missing"
    ghost = console.admin("POST", "/contacts/ghost/subscribe", json={"source": "form"})
    assert ghost.status_code == 404 and ghost.json()["error"] == "contact_not_found"
