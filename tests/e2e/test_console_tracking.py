"""Open, click and one-click unsubscribe end to end on both backends (console.md §2.3, §5.1,
§10; issue #7): a marketing one-off goes through the loopback SMTP sink, the links are
parsed out of the received mail and followed over HTTP like a mail client would."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any
from uuid import UUID

import pytest

from adapters.settings import Settings
from domain.console.ids import contact_uuid
from tests.support.console import Console
from tests.support.live import eventually, live_server

pytestmark = pytest.mark.e2e
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.0"
NEWS = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ contact.fields.first or "there" }}, here is our news
of the week with plenty of words for every reader.</mj-text>
<mj-button href="https://news.acme.test/offer?a=1&amp;b=2">See the offer</mj-button>
<mj-text><a href="https://news.acme.test/about" data-lm-notrack>About us</a>
<a href="{{ unsubscribeUrl }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>"""


class Links(HTMLParser):
    """Every ``<a href>`` and ``<img src>`` of an HTML part, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if tag == "img" and values.get("src"):
            self.images.append(str(values["src"]))


def links_of(mail: EmailMessage) -> Links:
    part = mail.get_body(("html",))
    assert part is not None
    parser = Links()
    parser.feed(part.get_content())
    return parser


@pytest.fixture
def console(settings: Settings, smtp_sink: Any) -> Iterator[tuple[Console, Any]]:
    sink = smtp_sink()
    with live_server(settings, dispatch=True) as live:
        c = Console(live)
        key = c.tenant("acme")
        account = {"id": "sink", "host": sink.host, "port": sink.port, "use_tls": False}
        assert live.call("POST", "/account", key, json=account).status_code == 201
        patched = c.admin(
            "PATCH",
            "/settings",
            json={
                "senderDomains": {"news.acme.test": "marketing"},
                "defaultAccounts": {"marketing": "sink", "transactional": "sink"},
            },
        )
        assert patched.status_code == 200, patched.text
        body = {"slug": "news", "name": "News", "kind": "marketing", "fromEmail": "hello@news.acme.test"}
        assert c.admin("POST", "/templates", json={**body, "subject": "News"}).status_code == 201
        assert c.admin("PATCH", "/templates/news/draft", json={"mjml": NEWS}).status_code == 200
        assert c.admin("POST", "/templates/news/publish", json={}).status_code == 200
        yield c, sink


def rates(c: Console) -> tuple[Any, Any, Any]:
    kpis = c.admin("GET", "/dashboard").json()["kpis"]
    return kpis["openRate"]["value"], kpis["clickRate"]["value"], kpis["unsubscribeRate"]["value"]


def path_of(c: Console, url: str) -> str:
    base = c.live.container.tracking.public_url
    assert url.startswith(base), url
    return url[len(base) :]


def test_open_click_and_unsubscribe_from_the_delivered_mail(console: tuple[Console, Any]) -> None:
    c, sink = console
    live, contact_id = c.live, str(contact_uuid("acme", "u1"))
    c.admin("PUT", "/contacts/u1", json={"email": "u1@ex.test", "fields": {"first": "Ann"}})
    assert c.admin("POST", "/contacts/u1/subscribe", json={"source": "form"}).status_code == 200
    sent = c.admin("POST", "/sends", json={"templateSlug": "news", "externalId": "u1", "dedupeKey": "w1"})
    assert sent.status_code == 202 and sent.json()["status"] == "queued", sent.text
    send_id = sent.json()["sendId"]
    mail = sink.wait_for_messages(1)[0].message
    assert mail["Feedback-ID"] == "news:marketing:acme:lm"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(mail["List-Unsubscribe"])
    assert header.startswith("<") and header.endswith(">") and "u1@ex.test" not in header
    unsubscribe = path_of(c, header[1:-1])
    found = links_of(mail)
    pixels = [path_of(c, u) for u in found.images if "/t/o/" in u]
    clicks = [path_of(c, u) for u in found.hrefs if "/t/c/" in u]
    assert pixels == [f"/t/o/{send_id}.{pixels[0].split('.')[1]}.png"] and len(clicks) == 1
    # untouched: the notrack link and the unsubscribe link (it is the header's URL)
    assert "https://news.acme.test/about" in found.hrefs and header[1:-1] in found.hrefs
    assert eventually(lambda: c.admin("GET", f"/sends/{send_id}").json()["send"]["sentAt"])
    send = c.admin("GET", f"/sends/{send_id}").json()["send"]
    assert (send["origin"], send["kind"], send["contactId"], send["email"]) == (
        "oneoff",
        "marketing",
        contact_id,
        "u1@ex.test",
    )
    assert rates(c) == (0.0, 0.0, 0.0)

    live.advance(60)  # past tracking.botClickWindowSeconds after sentAt: a human click
    pixel = live.call("GET", pixels[0], None, headers={"User-Agent": DESKTOP})
    assert pixel.status_code == 200 and pixel.headers["content-type"] == "image/png"
    click = live.call("GET", clicks[0], None, follow_redirects=False, headers={"User-Agent": DESKTOP})
    assert click.status_code == 302 and click.headers["location"] == "https://news.acme.test/offer?a=1&b=2"
    detail = eventually(
        lambda: (d := c.admin("GET", f"/sends/{send_id}").json())["send"]["humanClickCount"] == 1 and d
    )
    assert detail["send"]["humanOpenCount"] == 1
    assert [h["botReason"] for h in detail["send"]["clicks"]] == [None]
    types = [t["type"] for t in detail["timeline"]]
    assert types.index("opened") < types.index("clicked")
    assert eventually(lambda: rates(c)[:2] == (1.0, 1.0))

    page = live.call("GET", unsubscribe, None)  # what a link scanner does: nothing changes
    assert page.status_code == 200 and 'method="post"' in page.text
    assert c.admin("GET", "/contacts/u1").json()["contact"]["subscription"]["status"] == "subscribed"
    assert c.admin("GET", "/suppressions").json()["suppressions"] == []
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    done = live.call("POST", unsubscribe, None, content="List-Unsubscribe=One-Click", headers=form)
    assert done.status_code == 200
    detail = c.admin("GET", "/contacts/u1").json()
    assert detail["contact"]["subscription"]["status"] == "unsubscribed"
    assert [s["sendId"] for s in detail["recentSends"]] == [send_id]
    assert detail["recentSends"][0]["unsubscribedAt"] is not None
    rows = c.admin("GET", "/suppressions").json()["suppressions"]
    assert [(r["scope"], r["reason"], r["source"]) for r in rows] == [
        ("marketing", "unsubscribed", "one_click")
    ]
    timeline = [t["type"] for t in c.admin("GET", f"/sends/{send_id}").json()["timeline"]]
    assert timeline[-1] == "unsubscribe_recorded"
    assert rates(c) == (1.0, 1.0, 1.0)
    by_recipient = {"actor": f"recipient:{contact_id}"}
    wanted = {"send.unsubscribe", "contact.unsubscribe", "suppression.add"}
    actions = eventually(
        lambda: (
            (
                a := {e["action"]: e for e in c.admin("GET", "/audit", params=by_recipient).json()["entries"]}
            ).keys()
            >= wanted
            and a
        )
    )
    assert actions["send.unsubscribe"]["category"] == "data"
    assert actions["send.unsubscribe"]["resource"]["id"] == send_id


def test_test_sends_are_never_tracked(console: tuple[Console, Any]) -> None:
    c, sink = console
    answer = c.admin("POST", "/templates/news/send-test", json={"to": "qa@ex.test"})
    assert answer.status_code == 202, answer.text
    mail = sink.wait_for_messages(1)[0].message
    assert mail["Subject"] == "[TEST] News" and "List-Unsubscribe" not in mail
    found = links_of(mail)
    assert not [u for u in [*found.hrefs, *found.images] if "/t/o/" in u or "/t/c/" in u]
    assert "https://news.acme.test/offer?a=1&b=2" in found.hrefs
    send = eventually(lambda: c.admin("GET", f"/sends/{answer.json()['sendId']}").json().get("send"))
    assert (send["origin"], send["email"], send["contactId"]) == ("test", "qa@ex.test", None)


def one_off(c: Console, sink: Any, user: str, n: int = 1) -> tuple[str, EmailMessage]:
    """A subscribed contact ``user``, a marketing one-off to it, sent: (sendId, received mail)."""
    c.admin("PUT", f"/contacts/{user}", json={"email": f"{user}@ex.test"})
    c.admin("POST", f"/contacts/{user}/subscribe", json={"source": "form"})
    body = {"templateSlug": "news", "externalId": user, "dedupeKey": f"k-{user}"}
    send_id = c.admin("POST", "/sends", json=body).json()["sendId"]
    mail = sink.wait_for_messages(n)[-1].message
    assert eventually(lambda: c.admin("GET", f"/sends/{send_id}").json()["send"]["sentAt"])
    return send_id, mail


def test_tracking_data_is_sealed_with_the_contact_key(console: tuple[Console, Any]) -> None:
    """§2.4: the UA and the IP (cut to /24) of a hit open with the contact's key only, and a
    forget shreds them with it."""
    c, sink = console
    live, send_id = c.live, one_off(c, sink, "u2")[0]
    pixel = path_of(c, live.container.tracking.pixel_url("acme", send_id))
    live.advance(60)
    live.call("GET", pixel, None, headers={"User-Agent": DESKTOP})
    (message,) = live.container.sending.get_messages([UUID(send_id)])
    (opened,) = [e for e in message.trail if e.TOPIC == "Message.Opened"]
    assert opened.user_agent.startswith("enc:c1:") and "Thunderbird" not in opened.user_agent
    vault, ident = live.container.vault, contact_uuid("acme", "u2")
    assert opened.meta.actor == f"recipient:{ident}"  # the hit is the recipient's
    key = vault.keys("acme", [ident], create=False)[ident]
    assert (vault.open(key, opened.user_agent), vault.open(key, opened.ip)) == (DESKTOP, "127.0.0.0")
    assert c.admin("POST", "/contacts/u2/forget").status_code == 200
    assert vault.keys("acme", [ident], create=False) == {}
    (message,) = live.container.sending.get_messages([UUID(send_id)])
    (opened,) = [e for e in message.trail if e.TOPIC == "Message.Opened"]
    assert vault.open(vault.keys("acme", [ident], create=False).get(ident), opened.user_agent) is None
    with pytest.raises(Exception):  # noqa: B017 - not the instance box's either
        live.container.secret_box.decrypt(opened.user_agent)


def test_applied_outcomes_are_audited(console: tuple[Console, Any]) -> None:
    c, sink = console
    send_id = one_off(c, sink, "u3")[0]
    at = c.admin("GET", f"/sends/{send_id}").json()["send"]["sentAt"]
    items = [
        {"id": "d1", "type": "delivered", "messageId": send_id, "occurredAt": at},
        {"id": "o1", "type": "open", "messageId": send_id, "occurredAt": at, "userAgent": DESKTOP},
    ]
    first = c.admin("POST", "/webhooks/events", json={"source": "mta", "events": items})
    assert first.status_code == 200 and first.json()["accepted"] == 2, first.text
    again = c.admin("POST", "/webhooks/events", json={"source": "mta", "events": items[:1]})
    assert again.json()["duplicates"] == 1
    query = {"action": "webhook.outcome"}
    entries = eventually(
        lambda: len(e := c.admin("GET", "/audit", params=query).json()["entries"]) == 2 and e
    )
    assert {(e["category"], e["actor"], e["resource"]["type"]) for e in entries} == {
        ("data", "admin", "outcome")
    }
    assert sorted((e["after"]["id"], e["after"]["type"], e["after"]["sendId"]) for e in entries) == [
        ("d1", "delivered", send_id),
        ("o1", "open", send_id),
    ]
    assert c.admin("GET", "/dashboard").json()["kpis"]["openRate"]["value"] == 1.0
