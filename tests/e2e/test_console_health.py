"""Health buckets over HTTP (console.md §11; §17 scenarios 39 and 41) on both backends:
console sends through the real dispatcher to a loopback SMTP sink, bounces through the
outcome feed, the evaluator running as a worker, holds and releases of console sends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.console_sends import ConsoleSend, enqueue_sends
from adapters.settings import Settings
from api.admin_common import iso
from tests.support.console import Console
from tests.support.live import eventually, live_server

pytestmark = pytest.mark.e2e
MKT, TXN = "d:news.acme.test|k:marketing", "d:mail.acme.test|k:transactional"
HTML = "<p>Hello {{ contact.fields.first }}, here is the news of the week for you.</p>"
UNSUBSCRIBE = '<p><a href="{{ unsubscribeUrl }}">Unsubscribe</a></p>'
USERS = [f"u{i}" for i in range(10)]


@pytest.fixture
def console(settings: Settings, smtp_sink: Any) -> Iterator[tuple[Console, Any]]:
    sink = smtp_sink()
    with live_server(settings, dispatch=True) as live:
        c = Console(live)
        key = c.tenant("acme")
        c.tenant("beta")
        account = {"id": "sink", "host": sink.host, "port": sink.port, "use_tls": False}
        assert live.call("POST", "/account", key, json=account).status_code == 201
        body = {
            "senderDomains": {"mail.acme.test": "transactional", "news.acme.test": "marketing"},
            "defaultAccounts": {"marketing": "sink", "transactional": "sink"},
            "health": {"minSendsBeforeEval": 10},
        }
        assert c.admin("PATCH", "/settings", json=body).status_code == 200
        for slug, kind, domain in (("receipt", "transactional", "mail"), ("news", "marketing", "news")):
            template = {
                "slug": slug,
                "name": slug,
                "kind": kind,
                "fromEmail": f"hi@{domain}.acme.test",
                "subject": "Hi {{ contact.fields.first }}",
            }
            assert c.admin("POST", "/templates", json=template).status_code == 201
            draft = {"format": "html", "html": HTML if kind == "transactional" else HTML + UNSUBSCRIBE}
            assert c.admin("PATCH", f"/templates/{slug}/draft", json=draft).status_code == 200
            assert c.admin("POST", f"/templates/{slug}/publish", json={}).status_code == 200
        for user in USERS:
            c.admin("PUT", f"/contacts/{user}", json={"email": f"{user}@ex.test", "fields": {"first": user}})
            assert c.admin("POST", f"/contacts/{user}/subscribe", json={"source": "form"}).status_code == 200
        live.container.start_health_evaluator(poll_seconds=0.2)
        yield c, sink


def send(c: Console, slug: str, user: str, key: str) -> dict[str, Any]:
    answer = c.admin("POST", "/sends", json={"templateSlug": slug, "externalId": user, "dedupeKey": key})
    assert answer.status_code == 202, answer.text
    return dict(answer.json())


def status_of(c: Console, send_id: str) -> str:
    return str(c.admin("GET", f"/sends/{send_id}").json()["send"]["status"])


def bucket(c: Console, key: str) -> dict[str, Any]:
    return next(b for b in c.admin("GET", "/health").json()["buckets"] if b["id"] == key)


def hard_bounce(c: Console, item: str, send_id: str) -> None:
    at = iso(c.live.container.clock.now())
    answer = c.admin(
        "POST",
        "/webhooks/events",
        json={
            "source": "mta",
            "events": [
                {
                    "id": item,
                    "type": "bounce",
                    "messageId": send_id,
                    "occurredAt": at,
                    "bounce": {"code": "5.1.1"},
                }
            ],
        },
    )
    assert answer.status_code == 200 and answer.json()["accepted"] == 1, answer.text


def test_a_trip_holds_marketing_and_resume_releases(console: tuple[Console, Any]) -> None:
    c, sink = console
    news = [send(c, "news", u, f"n-{u}")["sendId"] for u in USERS]
    receipts = [send(c, "receipt", u, f"r-{u}")["sendId"] for u in USERS]
    sink.wait_for_messages(20)
    assert eventually(lambda: all(status_of(c, s) == "sent" for s in news + receipts))
    hard_bounce(c, "e1", news[0])
    # the evaluator worker trips the bucket without anyone reading /health
    trips = eventually(lambda: c.admin("GET", "/audit", params={"action": "health.trip"}).json()["entries"])
    assert trips[0]["actor"] == "system:circuit-breaker" and trips[0]["resource"]["slug"] == MKT
    doc = c.admin("GET", "/health").json()
    found = {b["id"]: b for b in doc["buckets"]}
    assert doc["status"] == "tripped" and found[MKT]["trippedReason"] == "hard bounce rate 10.00% >= 2%"
    assert found[TXN]["status"] == "healthy" and doc["aggregate"]["counters"]["sent"] == 20
    assert c.admin("GET", "/me").json()["health"] == {"status": "tripped"}
    card = c.admin("GET", "/dashboard").json()["health"]
    assert card["status"] == "tripped" and card["rates"]["hardBounceRate"] == 0.05
    assert card["thresholds"]["minSendsBeforeEval"] == 10
    assert c.admin("GET", "/me", tenant="beta").json()["health"] == {"status": None}
    held = send(c, "news", "u1", "n-late")
    assert held["status"] == "held"
    detail = c.admin("GET", f"/sends/{held['sendId']}").json()["send"]
    assert detail["holds"] == [f"health:{MKT}"] and bucket(c, MKT)["held"] == 1
    flowing = send(c, "receipt", "u1", "r-late")
    assert eventually(lambda: status_of(c, flowing["sendId"]) == "sent")
    assert status_of(c, held["sendId"]) == "held"
    # resume: both or neither of senderDomain and kind
    half = c.admin("POST", "/health/resume", json={"senderDomain": "news.acme.test"})
    assert half.status_code == 400 and half.json()["error"] == "validation_failed"
    done = c.admin("POST", "/health/resume", json={"senderDomain": "news.acme.test", "kind": "marketing"})
    assert done.json() == {"ok": True, "resumed": 1, "released": 1, "pausedBroadcasts": 0, "changed": True}
    assert eventually(lambda: status_of(c, held["sendId"]) == "sent")
    fresh = bucket(c, MKT)
    assert fresh["status"] == "healthy" and fresh["counters"]["sent"] == 1 and fresh["countFrom"] is not None
    hard_bounce(c, "e2", news[1])  # made before the resume: only the roll-up counts it
    assert eventually(lambda: c.admin("GET", "/health").json()["aggregate"]["counters"]["hardBounced"] == 2)
    assert bucket(c, MKT)["counters"]["hardBounced"] == 0 and bucket(c, MKT)["status"] == "healthy"


def test_manual_trip_holds_transactional_and_trips_list_actors(console: tuple[Console, Any]) -> None:
    c, _sink = console
    reader, _ = c.token(["admin-read"], label="ro")
    assert (
        c.call(
            "POST", "/health/trip", reader, json={"senderDomain": "mail.acme.test", "reason": "x"}
        ).status_code
        == 403
    )
    assert c.call("GET", "/health", reader).status_code == 200
    bad = c.admin("POST", "/health/trip", json={"senderDomain": "mail.acme.test", "reason": ""})
    assert bad.status_code == 400
    trip = {
        "senderDomain": "mail.acme.test",
        "kind": "transactional",
        "reason": "provider asked",
        "holdTransactional": True,
    }
    ops = {"X-Actor": "human:ops@acme.test"}
    answer = c.admin("POST", "/health/trip", json=trip, headers=ops)
    assert answer.status_code == 200 and answer.json()["tripped"] == 1, answer.text
    held = send(c, "receipt", "u2", "r-held")
    assert held["status"] == "held"
    done = c.admin("POST", "/health/resume", json={}, headers=ops).json()
    assert done["resumed"] == 1 and done["released"] == 1
    assert eventually(lambda: status_of(c, held["sendId"]) == "sent")
    rows = c.admin("GET", "/health/trips").json()["trips"]
    assert [(r["action"], r["actor"]) for r in rows] == [
        ("health.resume", "human:ops@acme.test"),
        ("health.trip", "human:ops@acme.test"),
    ]
    # tenants are walls: beta sees none of it
    beta = c.admin("GET", "/health", tenant="beta").json()
    assert beta["status"] is None and beta["buckets"] == []
    assert c.admin("GET", "/health/trips", tenant="beta").json()["trips"] == []


def drain(c: Console) -> None:
    answer = c.live.admin("POST", "/_test/drain", json={})
    assert answer.status_code == 200 and answer.json()["idle"], answer.text


def test_scenarios_39_and_41_black_box(console: tuple[Console, Any]) -> None:
    c, sink = console
    rows = [{"externalId": f"s{i}", "email": f"s{i}@ex.test", "fields": {"first": "S"}} for i in range(100)]
    done = c.admin("POST", "/contacts/import", json={"contacts": rows, "subscribe": {"source": "test"}})
    assert done.status_code == 200 and done.json()["subscribed"] == 100, done.text
    # 200 one-offs in one call (POST /sends is covered above; one request each would be slow)
    sends = [
        ConsoleSend(origin="oneoff", dedupe_key=f"oneoff:{slug[0]}{i}", slug=slug, external_id=f"s{i}")
        for slug in ("news", "receipt")
        for i in range(100)
    ]
    queued = enqueue_sends(c.live.container, "acme", sends)
    assert {r.status for r in queued} == {"queued"}
    news = [r.send_id for r in queued[:100]]
    drain(c)
    assert len(sink.wait_for_messages(200)) == 200
    at = iso(c.live.container.clock.now())
    items = [
        {"id": f"b{i}", "type": "bounce", "messageId": news[i], "occurredAt": at, "bounce": {"code": "5.1.1"}}
        for i in range(5)
    ]
    assert (
        c.admin("POST", "/webhooks/events", json={"source": "mta", "events": items}).json()["accepted"] == 5
    )
    drain(c)
    doc = c.admin("GET", "/health").json()
    found = {b["id"]: b for b in doc["buckets"]}
    assert (found[MKT]["status"], found[MKT]["trippedReason"]) == ("tripped", "hard bounce rate 5.00% >= 2%")
    assert found[TXN]["status"] == "healthy" and doc["status"] == "tripped" and len(doc["buckets"]) == 2
    assert doc["aggregate"]["counters"]["sent"] == 200
    assert c.admin("GET", "/audit", params={"action": "health.trip"}).json()["entries"][0]["actor"] == (
        "system:circuit-breaker"
    )
    held, flowing = send(c, "news", "s10", "n-new"), send(c, "receipt", "s10", "r-new")
    drain(c)
    assert held["status"] == "held" and status_of(c, held["sendId"]) == "held"
    assert status_of(c, flowing["sendId"]) == "sent"
    # scenario 41
    assert c.admin("POST", "/health/resume", json={"senderDomain": "news.acme.test"}).status_code == 400
    resumed = c.admin("POST", "/health/resume", json={"senderDomain": "news.acme.test", "kind": "marketing"})
    assert (resumed.json()["resumed"], resumed.json()["released"]) == (1, 1)
    assert bucket(c, MKT)["counters"]["hardBounced"] == 0  # a fresh window (the released send may be out)
    drain(c)
    assert status_of(c, held["sendId"]) == "sent"
    before = c.admin("GET", "/health").json()
    late = {
        "id": "b-late",
        "type": "bounce",
        "messageId": news[50],
        "occurredAt": at,
        "bounce": {"code": "5.1.1"},
    }
    assert (
        c.admin("POST", "/webhooks/events", json={"source": "mta", "events": [late]}).json()["accepted"] == 1
    )
    drain(c)
    after = c.admin("GET", "/health").json()
    mkt = {b["id"]: b for b in after["buckets"]}[MKT]
    assert (
        mkt["counters"] == {b["id"]: b for b in before["buckets"]}[MKT]["counters"]
        and mkt["status"] == "healthy"
    )
    assert after["aggregate"]["counters"]["hardBounced"] == before["aggregate"]["counters"]["hardBounced"] + 1
    start = mkt["windowStartedAt"]
    c.live.advance(61 * 60)
    rolled = bucket(c, MKT)
    assert rolled["windowStartedAt"] != start and rolled["counters"]["sent"] == 0
