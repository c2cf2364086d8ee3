"""Broadcasts over HTTP on both backends (console.md §9, §17 #33, #34, scopes, walls, audit)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.settings import Settings
from tests.support.console import Console
from tests.support.live import eventually, live_server

pytestmark = pytest.mark.e2e
HTML = '<p>Hi {{ contact.email }}</p><p><a href="{{ unsubscribeUrl }}">Unsubscribe</a></p>'


@pytest.fixture
def acme(settings: Settings) -> Iterator[Console]:
    yield from tenant_acme(settings, ("127.0.0.1", 2525))


@pytest.fixture
def mailing(settings: Settings, smtp_sink: Any) -> Iterator[tuple[Console, Any]]:
    sink = smtp_sink()
    for c in tenant_acme(settings, (sink.host, sink.port), dispatch=True):
        yield c, sink


def tenant_acme(settings: Settings, smtp: tuple[str, int], dispatch: bool = False) -> Iterator[Console]:
    with live_server(settings, dispatch=dispatch) as live:
        c = Console(live)
        key = c.tenant("acme")
        c.tenant("beta")
        assert live.call("POST", "/account", key, json={"id": "sink", "host": smtp[0], "port": smtp[1],
                                                         "use_tls": False}).status_code == 201
        settings_body = {"senderDomains": {"mail.acme.test": "transactional", "news.acme.test": "marketing"},
                         "defaultAccounts": {"marketing": "sink", "transactional": "sink"}}
        assert c.admin("PATCH", "/settings", json=settings_body).status_code == 200
        for slug, kind, domain in (("news", "marketing", "news"), ("receipt", "transactional", "mail")):
            body = {"slug": slug, "name": slug, "kind": kind, "fromEmail": f"hi@{domain}.acme.test",
                    "subject": slug, "format": "html"}
            assert c.admin("POST", "/templates", json=body).status_code == 201
            assert c.admin("PATCH", f"/templates/{slug}/draft", json={"html": HTML}).status_code == 200
            assert c.admin("POST", f"/templates/{slug}/publish", json={}).status_code == 200
        rows = [{"externalId": f"u{i}", "email": f"u{i}@ex.test"} for i in range(1, 7)]
        done = c.admin("POST", "/contacts/import", json={"contacts": rows, "subscribe": {"source": "test"}})
        assert done.status_code == 200 and done.json()["subscribed"] == 6
        yield c


def error(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json().get("error")


def test_create_rules_scopes_and_walls(acme: Console) -> None:  # scenario 33, 4
    c = acme
    made = c.admin("POST", "/broadcasts", json={"slug": "b", "name": "B", "templateSlug": "news"})
    assert made.status_code == 201, made.text
    assert (made.json()["segment"], made.json()["status"]) == ({"all": []}, "draft")
    base = {"slug": "c", "name": "C", "templateSlug": "news"}
    assert error(c.admin("POST", "/broadcasts", json={**base, "recipientCap": 0})) == (
        400, "invalid_recipient_cap")
    assert error(c.admin("POST", "/broadcasts", json={**base, "templateSlug": "receipt"})) == (
        409, "template_not_marketing")
    bad = c.admin("POST", "/broadcasts", json={**base, "segment": {"teleport": 1}})
    assert error(bad) == (400, "invalid_segment") and bad.json()["path"] == "$.segment.teleport"
    assert error(c.admin("POST", "/broadcasts", json={**base, "templateSlug": "ghost"})) == (
        422, "template_not_found")
    assert error(c.admin("POST", "/broadcasts", json={**base, "order": {"field": "x"}})) == (
        400, "invalid_order")
    assert error(c.admin("POST", "/broadcasts", json={**base, "slug": "b"})) == (409, "slug_taken")
    assert error(c.admin("POST", "/broadcasts", json={**base, "teleport": 1})) == (400, "validation_failed")
    reader, _ = c.token(["admin-read"])
    assert c.call("POST", "/broadcasts", reader, json=base).status_code == 403
    writer, _ = c.token(["broadcasts", "admin-read"], label="w")
    assert c.call("POST", "/broadcasts", writer, json=base).status_code == 201
    assert c.call("GET", "/broadcasts/b", reader).status_code == 200
    assert error(c.admin("GET", "/broadcasts/b", "beta")) == (404, "not_found")
    assert c.admin("GET", "/broadcasts", "beta").json()["broadcasts"] == []
    listed = c.admin("GET", "/broadcasts", params={"limit": 1}).json()
    assert [b["slug"] for b in listed["broadcasts"]] == ["c"] and "nextCursor" in listed
    rest = c.admin("GET", "/broadcasts", params={"limit": 1, "cursor": listed["nextCursor"]}).json()
    assert [b["slug"] for b in rest["broadcasts"]] == ["b"] and "nextCursor" not in rest
    assert error(c.admin("GET", "/broadcasts/Bad_Slug")) == (400, "bad_id")
    entries = c.admin("GET", "/audit", params={"action": "broadcast."}).json()["entries"]
    actions = [e["action"] for e in entries]
    assert actions.count("broadcast.create") == 2


def test_count_confirm_schedule_send(acme: Console) -> None:  # scenario 34
    c = acme
    c.admin("POST", "/contacts/u1/tags", json={"add": ["vip"]})
    assert c.admin("POST", "/suppressions", json={"email": "u4@ex.test", "scope": "marketing",
                                                   "reason": "manual"}).status_code == 201
    assert c.admin("POST", "/contacts/u5/forget").status_code == 200
    assert c.admin("POST", "/contacts/u6/unsubscribe", json={}).status_code == 200
    made = c.admin("POST", "/broadcasts", json={"slug": "b", "name": "B", "templateSlug": "news"})
    assert made.status_code == 201
    count = c.admin("POST", "/broadcasts/b/count", json={}).json()
    assert (count["eligible"], count["recipientCount"], count["alreadySent"]) == (3, 3, 0)
    vip = c.admin("POST", "/broadcasts/b/count", json={"segment": {"tag": "vip"}})
    assert vip.json()["recipientCount"] == 1
    bad = c.admin("POST", "/broadcasts/b/count", json={"segment": {"x": 1}})
    assert error(bad) == (400, "invalid_segment")
    past = "2020-01-01T00:00:00.000Z"
    early = c.admin("POST", "/broadcasts/b/schedule", json={"scheduledAt": past})
    assert error(early) == (409, "not_confirmed")
    wrong = c.admin("POST", "/broadcasts/b/confirm", json={"confirmedCount": 4})
    assert error(wrong) == (409, "count_mismatch") and wrong.json()["recipientCount"] == 3
    assert c.admin("POST", "/broadcasts/b/confirm", json={"confirmedCount": 3}).json()["recipientCount"] == 3
    assert c.admin("PATCH", "/broadcasts/b", json={"name": "B2"}).json()["confirmation"] is None
    confirmed = c.admin("POST", "/broadcasts/b/confirm", json={"confirmedCount": 3})
    assert confirmed.status_code == 200 and confirmed.json()["confirmedAt"].endswith("Z")
    scheduled = c.admin("POST", "/broadcasts/b/schedule", json={"scheduledAt": past})
    assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled", scheduled.text
    c.live.container.run_broadcasts()
    c.live.container.catch_up(["broadcasts", "sends"])  # what a drain waits for
    doc = c.admin("GET", "/broadcasts/b").json()
    assert (doc["status"], doc["recipientCount"], doc["stats"]["total"]) == ("sent", 3, 3)
    sends = c.admin("GET", "/sends", params={"broadcast": "b"}).json()["sends"]
    assert len(sends) == 3 and all(s["dedupeKey"].startswith("broadcast:") for s in sends)
    assert error(c.admin("PATCH", "/broadcasts/b", json={"name": "x"})) == (409, "not_draft")
    # sent, but its sends still queued (no dispatcher here): pause and cancel still apply
    paused = c.admin("POST", "/broadcasts/b/pause", json={"reason": "typo"})
    assert paused.json()["status"] == "paused" and paused.json()["stats"]["held"] == 3
    assert c.admin("POST", "/broadcasts/b/cancel").json() == {"ok": True, "cancelledSends": 3}
    assert error(c.admin("POST", "/broadcasts/b/cancel")) == (409, "already_finished")
    assert error(c.admin("POST", "/broadcasts/b/pause", json={})) == (409, "not_sending")
    entries = c.admin("GET", "/audit", params={"action": "broadcast."}).json()["entries"]
    actions = [e["action"] for e in entries]
    assert {"broadcast.confirm", "broadcast.schedule", "broadcast.start", "broadcast.complete",
            "broadcast.pause", "broadcast.cancel"} <= set(actions)
    assert error(c.admin("POST", "/broadcasts/ghost/count", json={})) == (404, "not_found")


def test_drain_mails_a_scheduled_broadcast(mailing: tuple[Console, Any]) -> None:  # scenario 34, end to end
    c, sink = mailing
    assert c.admin("POST", "/broadcasts", json={"slug": "b", "name": "B", "templateSlug": "news",
                                                "segment": {"tagAny": ["none"]}}).status_code == 201
    assert c.admin("PATCH", "/broadcasts/b", json={"segment": {"all": []}}).status_code == 200
    assert c.admin("POST", "/broadcasts/b/confirm", json={"confirmedCount": 6}).status_code == 200
    c.admin("POST", "/broadcasts/b/schedule", json={"scheduledAt": "2020-01-01T00:00:00.000Z"})
    drained = c.live.admin("POST", "/_test/drain", json={})
    assert drained.status_code == 200 and drained.json()["idle"], drained.text
    got = sink.wait_for_messages(6)
    assert sorted(m.rcpt_to[0] for m in got) == sorted(f"u{i}@ex.test" for i in range(1, 7))
    assert all(m.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in got)
    def sent() -> dict[str, Any] | None:
        doc = c.admin("GET", "/broadcasts/b").json()
        return doc if doc["stats"]["accepted"] == 6 else None

    doc = eventually(sent)  # the sends view may be a moment behind the last Sent
    assert (doc["status"], doc["recipientCount"]) == ("sent", 6)


def test_a_template_of_an_unfinished_broadcast_cannot_be_deleted(acme: Console) -> None:  # console.md §5.2
    c = acme
    made = c.admin("POST", "/broadcasts", json={"slug": "b", "name": "B", "templateSlug": "news"})
    assert made.status_code == 201
    refused = c.admin("DELETE", "/templates/news")
    assert error(refused) == (409, "template_in_use") and refused.json()["usedBy"] == ["broadcast:b"]
    assert c.admin("POST", "/broadcasts/b/cancel", json={}).status_code == 200
    assert c.admin("DELETE", "/templates/news").status_code == 200
    assert c.admin("DELETE", "/templates/receipt").status_code == 200  # nobody used it
