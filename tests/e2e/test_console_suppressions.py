"""Suppressions and GDPR forget over HTTP (console.md §7, §2.4; §17 scenarios 3, 5, 13, 14, 25)."""

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


def add(console: Console, tenant: str = "acme", **body: object) -> dict:
    answer = console.admin("POST", "/suppressions", tenant, json=body)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_first_row_wins_and_lifts_are_audited(console: Console) -> None:  # scenario 25
    first = add(console, email="Bob@Example.com", scope="marketing", reason="manual")
    assert first["created"] is True and first["suppression"]["email"] == "bob@example.com"
    again = add(console, email="bob@example.com", scope="marketing", reason="complaint")
    assert again["created"] is False and again["suppression"]["reason"] == "manual"
    rows = console.admin("GET", "/suppressions").json()["suppressions"]
    assert [(r["email"], r["scope"], r["reason"]) for r in rows] == [
        ("bob@example.com", "marketing", "manual")
    ]
    assert len(rows[0]["emailHash"]) == 64
    lifted = console.admin("POST", "/suppressions/lift", json={"email": "bob@example.com", "note": "asked"})
    assert lifted.json() == {"ok": True, "lifted": 1}
    entry = console.admin("GET", "/audit", params={"action": "suppression.lift"}).json()["entries"][0]
    assert entry["before"]["reason"] == "manual" and entry["before"]["email"] == "b***@example.com"
    assert console.admin("GET", "/suppressions").json()["suppressions"] == []
    add(console, email="hb@ex.test", scope="all", reason="hard_bounce")
    refused = console.admin("POST", "/suppressions/lift", json={"email": "hb@ex.test", "note": "try"})
    assert refused.status_code == 409 and refused.json()["error"] == "lift_requires_force"
    forced = console.admin(
        "POST", "/suppressions/lift", json={"email": "hb@ex.test", "note": "try", "force": True}
    )
    assert forced.json()["lifted"] == 1


def test_lists_are_tenant_walls_newest_first_and_paged(console: Console) -> None:  # scenario 3
    for n in range(3):
        add(console, email=f"x{n}@ex.test", scope="all", reason="manual")
    assert console.admin("GET", "/suppressions", "beta").json()["suppressions"] == []
    page = console.admin("GET", "/suppressions", params={"limit": 2}).json()
    assert [r["email"] for r in page["suppressions"]] == ["x2@ex.test", "x1@ex.test"]
    rest = console.admin("GET", "/suppressions", params={"limit": 2, "cursor": page["nextCursor"]}).json()
    assert [r["email"] for r in rest["suppressions"]] == ["x0@ex.test"] and "nextCursor" not in rest
    stolen = console.admin("GET", "/suppressions", "beta", params={"cursor": page["nextCursor"]})
    assert stolen.status_code == 400 and stolen.json()["error"] == "bad_cursor"
    one = console.admin("GET", "/suppressions", params={"email": "X1@ex.test"}).json()["suppressions"]
    assert [r["email"] for r in one] == ["x1@ex.test"]


def test_bad_input_is_400_never_500(console: Console, live: Live) -> None:  # scenario 5
    typo = console.admin(
        "POST", "/suppressions", json={"email": "x@ex.test", "scop": "all", "reason": "manual"}
    )
    assert typo.status_code == 400 and typo.json()["details"][0]["path"] == "$.scop"
    assert (
        console.admin(
            "POST", "/suppressions", json={"email": "nope", "scope": "all", "reason": "manual"}
        ).status_code
        == 400
    )
    broken = console.admin(
        "POST", "/suppressions", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    text = console.admin("POST", "/suppressions", content=b"x", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415
    gdpr = console.admin(
        "POST", "/suppressions", json={"email": "x@ex.test", "scope": "marketing", "reason": "gdpr_forget"}
    )
    assert gdpr.status_code == 400
    big = b'{"email":"x@ex.test","scope":"all","reason":"manual","notes":"' + b"a" * (2 << 20) + b'"}'
    huge = console.admin("POST", "/suppressions", content=big, headers={"Content-Type": "application/json"})
    assert (huge.status_code, huge.json()["error"]) == (413, "payload_too_large")
    bad_id = console.admin("GET", "/sends/not-a-uuid")
    assert (bad_id.status_code, bad_id.json()["error"]) == (400, "bad_id")
    assert console.admin("GET", "/contacts", params={"limit": 0}).status_code == 400
    assert console.admin("DELETE", "/dashboard").status_code == 405


def test_forget_shreds_the_contact(console: Console, live: Live) -> None:  # scenarios 13, 14
    put = console.admin(
        "PUT", "/contacts/u2", json={"email": "u2@ex.test", "fields": {"secret": "s3cr3t-f1eld"}}
    )
    assert put.status_code == 201
    console.admin("POST", "/contacts/u2/unsubscribe", json={})
    console.admin(
        "POST",
        "/events",
        json={
            "name": "Seen",
            "externalId": "u2",
            "dedupeKey": "seen-1",
            "properties": {"note": "s3cr3t-pr0p"},
        },
    )
    forgot = console.admin("POST", "/contacts/u2/forget")
    body = forgot.json()
    assert forgot.status_code == 200 and body["alreadyForgotten"] is False and body["suppressionsAdded"] == 1
    assert console.admin("GET", "/contacts/u2").status_code == 404
    rows = console.admin("GET", "/suppressions", params={"reason": "gdpr_forget"}).json()["suppressions"]
    assert len(rows) == 1 and rows[0]["email"] is None and len(rows[0]["emailHash"]) == 64
    assert rows[0]["scope"] == "all"
    assert console.admin("POST", "/contacts/u2/forget").json()["alreadyForgotten"] is True
    again = console.admin("PUT", "/contacts/u2", json={"email": "u2@ex.test"})
    assert again.status_code == 409 and again.json()["error"] == "contact_forgotten"
    audit = console.admin("GET", "/audit", params={"action": "contact.upsert"}).json()["entries"]
    assert all(e["after"] == {"value": "[erased]"} for e in audit if e["resource"]["id"] == body["contactId"])
    assert_nowhere(live, [b"u2@ex.test", b"s3cr3t-f1eld", b"s3cr3t-pr0p"], body["contactId"])


def test_gdpr_forget_suppression_forgets_contacts_with_the_address(console: Console) -> None:  # scenario 13
    assert console.admin("PUT", "/contacts/u3", json={"email": "u3@ex.test"}).status_code == 201
    done = add(console, email="u3@ex.test", scope="all", reason="gdpr_forget")
    assert done["created"] is True and done["suppression"]["email"] is None
    assert console.admin("GET", "/contacts/u3").status_code == 404


def assert_nowhere(live: Live, needles: list[bytes], contact_id: str) -> None:
    """Neither the event tables nor any read-model table holds the clear values; the key is gone."""
    db = live.container.db
    with db.transaction(write=False) as tx:
        if db.dialect == "sqlite":
            tables = [r[0] for r in tx.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        else:
            tables = [
                r[0]
                for r in tx.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                )
            ]
        for table in tables:
            for row in tx.execute(f"SELECT * FROM {table}"):
                text = repr(row).encode()
                for needle in needles:
                    assert needle not in text, f"{needle!r} found in {table}"
        assert tx.execute("SELECT COUNT(*) FROM contact_keys WHERE contact_id = ?", (contact_id,))[0][0] == 0
