"""Postmaster, SNDS and hygiene over HTTP (console.md §14, §15; §17 scenarios 47-49): scopes,
tenant walls, error bodies, audit, on SQLite and PostgreSQL against loopback feeds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.console import Console
from tests.support.hygiene_sends import scenario_49
from tests.support.live import Live
from tests.support.postmaster_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    SNDS_KEY,
    FeedServer,
    feed_server,
    stat,
)

pytestmark = pytest.mark.e2e
ROW = "203.0.113.5,6/1/2026 12:00 AM,6/2/2026 12:00 AM,120,118,118,RED,0.1-0.3%,2,mx.acme.test,x@acme.test"


@pytest.fixture
def feeds(live: Live) -> Iterator[tuple[Console, FeedServer]]:
    console = Console(live)
    console.tenant("acme")
    console.tenant("beta")
    answer = console.admin(
        "PATCH",
        "/settings",
        json={"senderDomains": {"news.acme.test": "marketing", "mail.acme.test": "transactional"}},
    )
    assert answer.status_code == 200, answer.text
    with feed_server() as server:
        live.container.feed_endpoints = server.endpoints  # type: ignore[attr-defined]
        yield console, server


def configure(console: Console) -> None:
    answer = console.admin(
        "PATCH",
        "/settings",
        json={
            "postmaster": {
                "clientId": CLIENT_ID,
                "clientSecret": CLIENT_SECRET,
                "refreshToken": REFRESH_TOKEN,
            },
            "snds": {"key": SNDS_KEY},
        },
    )
    assert answer.status_code == 200, answer.text
    shown = answer.json()["settings"]
    assert shown["postmaster"]["clientSecret"] == "***" and shown["postmaster"]["configured"] is True
    assert shown["snds"] == {**shown["snds"], "key": "***", "configured": True}


def refresh(console: Console, feed: str, tenant: str = "acme") -> dict[str, Any]:
    answer = console.admin("POST", f"/{feed}/refresh", tenant, json={})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_postmaster_scenario_47(feeds: tuple[Console, FeedServer]) -> None:
    console, server = feeds
    empty = console.admin("GET", "/postmaster").json()
    assert empty["configured"] is False and empty["intervalHours"] == 24
    assert refresh(console, "postmaster") == {"ran": False, "reason": "not_configured"}
    configure(console)
    server.stats["acme.test"] = [
        stat("acme.test", d, domainReputation="HIGH", userReportedSpamRatio=0.0002)
        for d in ("20260501", "20260502")
    ]
    assert refresh(console, "postmaster") == {"ran": True, "fetched": 2, "trippedDomains": [], "errors": []}
    got = console.admin("GET", "/postmaster").json()
    acme = next(d for d in got["domains"] if d["domain"] == "acme.test")
    assert acme["latest"]["date"] == "2026-05-02" and len(acme["history"]) == 2
    assert acme["latest"]["fetchedAt"].endswith("Z")
    server.stats["acme.test"].append(stat("acme.test", "20260503", userReportedSpamRatio=0.0045))
    tripped = refresh(console, "postmaster")
    assert tripped["trippedDomains"] == ["news.acme.test|marketing", "mail.acme.test|transactional"]
    trips = console.admin("GET", "/health/trips").json()
    assert any("0.45%" in str(t) for t in trips.get("entries", trips.get("trips", [])))
    assert console.admin("POST", "/health/resume", json={}).status_code == 200
    assert refresh(console, "postmaster")["trippedDomains"] == []
    assert console.admin("GET", "/postmaster", "beta").json()["domains"] == []  # tenant wall
    audit = console.admin("GET", "/audit", params={"action": "postmaster."}).json()["entries"]
    assert audit and audit[0]["action"] == "postmaster.refresh" and audit[0]["actor"] == "admin"


def test_snds_scenario_48_and_errors(feeds: tuple[Console, FeedServer]) -> None:
    console, server = feeds
    assert refresh(console, "snds") == {"ran": False, "reason": "not_configured"}
    configure(console)
    server.snds_csv = ROW
    assert refresh(console, "snds") == {"ran": True, "rowsParsed": 1, "rowsPersisted": 1}
    ip = console.admin("GET", "/snds").json()["ips"][0]
    assert ip["ip"] == "203.0.113.5" and ip["latest"]["activityStart"] == "2026-06-01T07:00:00.000Z"
    assert (ip["latest"]["complaintRate"], ip["latest"]["trapMessageCount"]) == (0.003, 2)
    health = console.admin("GET", "/health").json()
    assert "snds" in str(health["signals"])
    server.fail("/snds", 500)
    failed = console.admin("POST", "/snds/refresh", json={})
    assert failed.status_code == 502 and failed.json()["error"] == "upstream_error"
    assert SNDS_KEY not in failed.text
    assert console.admin("POST", "/snds/refresh", json={"x": 1}).status_code == 400
    assert console.admin("GET", "/snds", "beta").json()["ips"] == []


def test_scopes(feeds: tuple[Console, FeedServer]) -> None:
    console, _ = feeds
    publish, _ = console.token(["publish"])
    reader, _ = console.token(["admin-read"])
    assert console.call("GET", "/postmaster", publish).status_code == 403
    assert console.call("POST", "/snds/refresh", publish, json={}).status_code == 403
    assert console.call("POST", "/postmaster/refresh", reader, json={}).status_code == 200
    assert console.call("GET", "/hygiene", reader).status_code == 200
    denied = console.call("POST", "/hygiene/sunset", reader, json={"confirmCount": 0})
    assert denied.status_code == 403 and denied.json()["error"] == "forbidden"
    assert console.call("POST", f"/hygiene/sunsets/{'a' * 32}/revert", reader).status_code == 403
    assert console.admin("POST", "/hygiene/sunsets/nope/revert").json()["error"] == "bad_id"
    assert console.admin("POST", f"/hygiene/sunsets/{'a' * 32}/revert").status_code == 404
    assert console.admin("POST", "/hygiene/sunset", json={"confirmCount": -1}).status_code == 400
    nothing = console.admin("POST", "/hygiene/sunset", json={"confirmCount": 0})
    assert nothing.status_code == 200 and nothing.json()["changed"] is False
    assert console.admin("GET", "/hygiene/sunsets").json() == {"runs": []}
    assert (
        console.call("GET", "/hygiene", console.keys["beta"], headers={"X-Tenant-Id": "acme"}).status_code
        == 403
    )


def test_hygiene_scenario_49(feeds: tuple[Console, FeedServer]) -> None:
    console, _ = feeds
    live = console.live
    scenario_49(live.container, "acme", live.advance)
    got = console.admin("GET", "/hygiene", params={"refresh": "1"}).json()
    assert got["totalSubscribers"] == 5 and [b["count"] for b in got["buckets"]] == [1, 0, 1, 0, 1, 2]
    assert got["sunsetCandidate"]["count"] == 2 and got["computedAt"].endswith("Z")
    mismatch = console.admin("POST", "/hygiene/sunset", json={"confirmCount": 3})
    assert mismatch.status_code == 409 and mismatch.json()["error"] == "count_mismatch"
    assert mismatch.json()["sunsetCandidateCount"] == 2
    done = console.as_key("POST", "/hygiene/sunset", json={"confirmCount": 2, "notes": "winter clean"})
    assert done.status_code == 201 and done.json()["suppressed"] == 2
    run_id = done.json()["runId"]
    after = console.admin("GET", "/hygiene").json()
    assert after["sunsetCandidate"]["count"] == 0 and after["totalSubscribers"] == 3
    assert after["lastSunset"]["runId"] == run_id
    rows = console.admin("GET", "/suppressions", params={"reason": "list_cleaning"}).json()["suppressions"]
    assert len(rows) == 2 and {r["source"] for r in rows} == {f"sunset:{run_id}"}
    assert {r["email"] for r in rows} == {"u3@ex.test", "u4@ex.test"}
    runs = console.admin("GET", "/hygiene/sunsets").json()["runs"]
    assert [(r["runId"], r["suppressed"], r["revertedAt"]) for r in runs] == [(run_id, 2, None)]
    assert console.admin("POST", f"/hygiene/sunsets/{run_id}/revert", "beta").status_code == 404
    assert console.admin("POST", f"/hygiene/sunsets/{run_id}/revert").json() == {"lifted": 2, "skipped": 0}
    again = console.admin("POST", f"/hygiene/sunsets/{run_id}/revert")
    assert again.status_code == 409 and again.json()["error"] == "already_reverted"
    assert console.admin("GET", "/hygiene").json()["sunsetCandidate"]["count"] == 2
    actions = [
        e["action"] for e in console.admin("GET", "/audit", params={"action": "hygiene."}).json()["entries"]
    ]
    assert actions == ["hygiene.revert", "hygiene.sunset"]
    assert console.admin("GET", "/hygiene", "beta").json()["totalSubscribers"] == 0
