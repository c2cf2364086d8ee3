"""Sends, the outcome feed, tracking and unsubscribe over HTTP (console.md §6, §10;
§17 scenarios 22-24 on proxy messages: console sends arrive with the templates issue)."""

from __future__ import annotations

from typing import Any

import pytest

from domain.console.ids import contact_uuid
from tests.support.console import Console
from tests.support.live import Live, eventually

pytestmark = pytest.mark.e2e
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.0"


@pytest.fixture
def acme(live_dispatching: Live, smtp_sink: Any) -> tuple[Console, Any]:
    sink, console = smtp_sink(), Console(live_dispatching)
    key = console.tenant("acme")
    console.tenant("beta")
    answer = live_dispatching.call(
        "POST", "/account", key, json={"id": "sink", "host": sink.host, "port": sink.port, "use_tls": False}
    )
    assert answer.status_code == 201, answer.text
    return console, sink


def send(console: Console, *users: str) -> dict[str, str]:
    """Proxy messages m-<user> to <user>@ex.test, sent through the sink: {user: sendId}."""
    messages = [
        {
            "id": f"m-{u}",
            "account_id": "sink",
            "from": "hello@news.acme.test",
            "to": f"{u}@ex.test",
            "subject": "news",
            "body": "hi",
        }
        for u in users
    ]
    answer = console.live.call(
        "POST", "/commands/add-messages", console.keys["acme"], json={"messages": messages}
    )
    pks = {u: a["pk"] for u, a in zip(users, answer.json()["accepted"], strict=True)}
    for pk in pks.values():
        eventually(
            lambda pk=pk: console.admin("GET", f"/sends/{pk}").json().get("send", {}).get("status") == "sent"
        )
    return pks


def contact(console: Console, user: str) -> str:
    console.admin("PUT", f"/contacts/{user}", json={"email": f"{user}@ex.test"})
    answer = console.admin("POST", f"/contacts/{user}/subscribe", json={"source": "test"})
    assert answer.status_code == 200, answer.text
    return str(contact_uuid("acme", user))


def outcomes(console: Console, *events: dict[str, Any]) -> dict[str, Any]:
    answer = console.admin("POST", "/webhooks/events", json={"source": "mta", "events": list(events)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_sends_list_detail_and_the_outcome_feed(acme: tuple[Console, Any]) -> None:  # scenario 24
    console, _ = acme
    contact(console, "u1")
    pks = send(console, "u1", "u2")
    listed = console.admin("GET", "/sends", params={"status": "sent", "limit": 1}).json()
    assert len(listed["sends"]) == 1 and listed["sends"][0]["origin"] == "api"
    assert listed["sends"][0]["kind"] == "transactional"
    rest = console.admin(
        "GET", "/sends", params={"status": "sent", "limit": 1, "cursor": listed["nextCursor"]}
    )
    both = {s["sendId"]: s["email"] for s in [*listed["sends"], *rest.json()["sends"]]}
    assert both == {pks["u1"]: "u1@ex.test", pks["u2"]: "u2@ex.test"} and "nextCursor" not in rest.json()
    assert console.admin("GET", "/sends", "beta").json()["sends"] == []
    assert console.admin("GET", "/sends", "beta", params={"cursor": listed["nextCursor"]}).status_code == 400
    assert console.admin("GET", "/sends/not-a-uuid").json()["error"] == "bad_id"
    assert console.admin("GET", "/sends", params={"status": "nope"}).status_code == 400
    at = "2020-01-01T00:00:00.000Z"
    bounce = {
        "id": "e1",
        "type": "bounce",
        "messageId": pks["u1"],
        "occurredAt": at,
        "bounce": {"code": "5.1.1"},
    }
    assert outcomes(console, bounce)["accepted"] == 1
    detail = console.admin("GET", f"/sends/{pks['u1']}").json()
    assert detail["send"]["status"] == "bounced" and detail["send"]["bounce"]["type"] == "hard"
    assert [w["id"] for w in detail["webhookEvents"]] == ["e1"]
    assert [t["type"] for t in detail["timeline"]][-1] == "bounced"
    rows = console.admin("GET", "/suppressions").json()["suppressions"]
    assert [(r["scope"], r["reason"], r["source"]) for r in rows] == [("all", "hard_bounce", "webhook:mta")]
    assert console.admin("GET", "/contacts/u1").json()["contact"]["subscription"]["status"] == "bounced"
    again = outcomes(console, bounce)
    assert (again["duplicates"], again["accepted"]) == (1, 0)
    soft = outcomes(
        console,
        {"id": "e2", "type": "bounce", "messageId": pks["u2"], "occurredAt": at, "bounce": {"code": "5.7.1"}},
    )
    assert soft["accepted"] == 1 and len(console.admin("GET", "/suppressions").json()["suppressions"]) == 1
    assert console.admin("GET", f"/sends/{pks['u2']}").json()["send"]["bounce"]["category"] == "policy"
    stray = outcomes(console, {"id": "e3", "type": "complaint", "email": "ghost@ex.test", "occurredAt": at})
    assert stray["unmatched"] == 1
    assert ("all", "complaint") in [
        (r["scope"], r["reason"]) for r in console.admin("GET", "/suppressions").json()["suppressions"]
    ]
    mixed = outcomes(
        console,
        {"id": "e4", "type": "teleport", "occurredAt": at},
        {"id": "e5", "type": "delivered", "messageId": pks["u2"], "occurredAt": at},
    )
    assert (mixed["invalid"], mixed["accepted"]) == (1, 1)
    assert console.admin("POST", "/webhooks/events", json={"source": "mta", "events": []}).status_code == 400


def test_pixel_click_and_bot_flags(acme: tuple[Console, Any]) -> None:  # scenario 22
    console, _ = acme
    live, links = console.live, console.live.container.tracking
    pk = send(console, "u5")["u5"]
    pixel = links.pixel_url("acme", pk).replace(links.public_url, "")
    wrong = live.call("GET", pixel.replace(".png", "x.png").replace(f"{pk}.", f"{pk}.A"), None)
    assert wrong.status_code == 200 and wrong.headers["content-type"] == "image/png"
    assert live.call("HEAD", pixel, None).status_code == 200
    assert console.admin("GET", f"/sends/{pk}").json()["send"]["openCount"] == 0
    assert (
        live.call("GET", pixel, None, headers={"User-Agent": DESKTOP}).headers["cache-control"] == "no-store"
    )
    live.call("GET", pixel, None, headers={"User-Agent": "Mimecast-Protect/1.0"})
    live.call("GET", pixel, None, headers={"User-Agent": "Mozilla/5.0"})
    opened = console.admin("GET", f"/sends/{pk}").json()["send"]
    assert (opened["openCount"], opened["humanOpenCount"]) == (3, 1)
    assert [o["botReason"] for o in opened["opens"]] == [None, "scanner_ua", "apple_mpp"]
    links.remember(pk, {"abc123abc123": "https://acme.test/x"})
    click = links.click_url("acme", pk, "abc123abc123").replace(links.public_url, "")
    assert live.call("GET", click[:-2] + "zz", None).status_code == 404
    first = live.call("GET", click, None, follow_redirects=False, headers={"User-Agent": DESKTOP})
    assert first.status_code == 302 and first.headers["location"] == "https://acme.test/x"
    live.advance(60)
    live.call("GET", click, None, follow_redirects=False, headers={"User-Agent": DESKTOP})
    clicked = console.admin("GET", f"/sends/{pk}").json()["send"]
    assert [c["botReason"] for c in clicked["clicks"]] == ["fast_click", None]
    assert (clicked["clickCount"], clicked["humanClickCount"]) == (2, 1)
    links.remember(pk, {"js0000000000": "javascript:alert(1)"})
    bad = live.call("GET", links.click_url("acme", pk, "js0000000000").replace(links.public_url, ""), None)
    assert bad.status_code == 400 and "javascript" not in bad.text


def test_one_click_unsubscribe_and_double_opt_in(acme: tuple[Console, Any]) -> None:  # scenarios 23, 11
    console, _ = acme
    live, links = console.live, console.live.container.tracking
    contact_id = contact(console, "u3")
    pk = send(console, "u3")["u3"]
    url = links.unsubscribe_url("acme", contact_id, pk, now=live.advance(0)).replace(links.public_url, "")
    page = live.call("GET", url, None)
    assert page.status_code == 200 and 'method="post"' in page.text
    assert console.admin("GET", "/contacts/u3").json()["contact"]["subscription"]["status"] == "subscribed"
    body, form = "List-Unsubscribe=One-Click", {"Content-Type": "application/x-www-form-urlencoded"}
    assert live.call("POST", url[:-3] + "AAA", None, content=body, headers=form).status_code == 200
    assert console.admin("GET", "/suppressions").json()["suppressions"] == []
    assert live.call("POST", url, None, content=body, headers=form).status_code == 200
    rows = console.admin("GET", "/suppressions").json()["suppressions"]
    assert [(r["scope"], r["reason"], r["source"], r["addedBy"]) for r in rows] == [
        ("marketing", "unsubscribed", "one_click", f"recipient:{contact_id}")
    ]
    assert console.admin("GET", "/contacts/u3").json()["contact"]["subscription"]["status"] == "unsubscribed"
    assert console.admin("GET", f"/sends/{pk}").json()["send"]["unsubscribedAt"] is not None
    assert live.call("GET", "/t/u/garbage", None).status_code == 400
    console.admin("PUT", "/contacts/u60", json={"email": "u60@ex.test"})
    token = links.token("acme", str(contact_uuid("acme", "u60")), "doi", now=live.advance(0))
    live.container.console.subscribe_contact("acme", "u60", "form", None, token, None)
    doi = links.doi_url(token).replace(links.public_url, "")
    assert live.call("GET", doi, None).status_code == 200
    status = lambda: console.admin("GET", "/contacts/u60").json()["contact"]["subscription"]["status"]  # noqa: E731
    assert eventually(lambda: status() == "pending_doi")
    assert live.call("POST", doi, None).status_code == 200
    assert status() == "subscribed"
    names = [e["name"] for e in console.admin("GET", "/contacts/u60").json()["recentEvents"]]
    assert names == ["subscription.confirmed"]
    assert live.call("POST", "/t/doi/bogus", None).status_code == 400
