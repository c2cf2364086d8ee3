"""Contact events, the registry and the audit log over HTTP (console.md §3, §1.5; §17 scenarios 6, 9)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.console import Console
from tests.support.live import Live

pytestmark = pytest.mark.e2e
DAY = 86400


@pytest.fixture
def console(live: Live) -> Iterator[Console]:
    c = Console(live)
    c.tenant("acme")
    c.tenant("beta")
    for n in (1, 2):
        assert c.admin("PUT", f"/contacts/u{n}", json={"email": f"u{n}@ex.test"}).status_code == 201
    yield c


def fire(console: Console, name: str, external_id: str = "u1", **extra: object) -> dict:
    answer = console.admin("POST", "/events", json={"name": name, "externalId": external_id, **extra})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_dedupe_policies(console: Console, live: Live) -> None:  # scenario 9
    for name, policy in (("Created", "once-per-contact"), ("Daily", "once-per-day"), ("Click", "every-time")):
        put = console.admin("PUT", f"/events/registry/{name}", json={"dedupePolicy": policy})
        assert put.json() == {"ok": True, "created": True}, put.text
    contact_id = console.admin("GET", "/contacts/u1").json()["contact"]["contactId"]
    first, second = fire(console, "Created"), fire(console, "Created")
    assert first["duplicate"] is False and second["duplicate"] is True
    assert second["dedupeKey"] == f"{contact_id}:Created" and second["eventId"] == first["eventId"]
    assert [fire(console, "Daily")["duplicate"] for _ in range(2)] == [False, True]
    live.advance(DAY)
    assert fire(console, "Daily")["duplicate"] is False
    assert [fire(console, "Click")["duplicate"] for _ in range(2)] == [False, False]
    legacy = console.admin("POST", "/events", json={"name": "Legacy", "externalId": "u1"})
    assert legacy.status_code == 400 and legacy.json()["error"] == "dedupe_key_required"
    assert fire(console, "Legacy", dedupeKey="legacy-1")["duplicate"] is False
    ghost = console.admin("POST", "/events", json={"name": "Created", "externalId": "ghost"})
    assert ghost.status_code == 404 and ghost.json()["error"] == "contact_not_found"
    assert (
        console.admin("PUT", "/events/registry/Never", json={"dedupePolicy": "every-time"}).status_code == 200
    )
    live.advance(45 * DAY)
    doc = console.admin("GET", "/events").json()
    assert doc["seen"] == ["Legacy"]
    assert {k: doc["stats"]["Legacy"][k] for k in ("total", "last7d", "last30d")} == {
        "total": 1,
        "last7d": 0,
        "last30d": 0,
    }
    assert "Never" not in doc["stats"] and [r["name"] for r in doc["registered"]] == [
        "Click",
        "Created",
        "Daily",
        "Never",
    ]
    assert console.admin("GET", "/events", "beta").json() == {"registered": [], "seen": [], "stats": {}}
    detail = console.admin("GET", "/contacts/u1").json()
    assert len(detail["recentEvents"]) == 6
    removed = console.admin("DELETE", "/events/registry/Never")
    assert removed.json() == {"ok": True, "removed": True}
    assert (
        console.admin("PUT", "/events/registry/bad name", json={"dedupePolicy": "every-time"}).status_code
        == 400
    )


def test_audit_entries_name_actor_action_and_changes(console: Console) -> None:  # scenario 6 (contacts)
    answer = console.admin(
        "PUT",
        "/contacts/u1",
        json={"email": "u1@ex.test", "tags": ["vip"]},
        headers={"X-Actor": "human:ops@acme.test", "X-Request-Id": "req-42"},
    )
    assert answer.status_code == 200
    entry = console.admin("GET", "/audit", params={"limit": 1}).json()["entries"][0]
    assert entry["action"] == "contact.upsert" and entry["category"] == "data"
    assert entry["actor"] == "human:ops@acme.test" and entry["requestId"] == "req-42"
    assert entry["before"] == {"tags": []} and entry["after"] == {"tags": ["vip"]}
    assert entry["resource"]["type"] == "contact"
    same = console.admin("PUT", "/contacts/u1", json={"email": "u1@ex.test", "tags": ["vip"]})
    assert same.status_code == 200
    assert console.admin("GET", "/audit", params={"limit": 1}).json()["entries"][0]["id"] == entry["id"]
    created = console.admin("GET", "/audit", params={"action": "contact.upsert"}).json()["entries"][-1]
    assert created["after"]["email"] == "u***@ex.test"
    page = console.admin("GET", "/audit", params={"limit": 1}).json()
    nxt = console.admin("GET", "/audit", params={"limit": 1, "cursor": page["nextCursor"]}).json()
    assert nxt["entries"][0]["id"] != page["entries"][0]["id"]
    assert console.admin("GET", "/audit", "beta").json()["entries"] == []
    console.admin("POST", "/tokens", json={"label": "ro", "scopes": ["admin-read"]})
    token = console.admin("GET", "/audit", params={"action": "token."}).json()["entries"][0]
    assert token["category"] == "config" and token["after"]["token"] == "***"
