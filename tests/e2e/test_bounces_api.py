"""Bounces and complaints through the running server (proxy.md §10, scenarios 5, 25, 51-54):
``POST /bounces/inbound``, the reporter's bounce and complaint items, suppression at the next
send, and the IMAP poller restarted by ``reload-bounce`` against a loopback IMAP server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.settings import Settings
from application.sending.dispatch_settings import CONFIG_SECONDS
from tests.support.bounce_mail import arf, auto_reply, dsn, plain_bounce
from tests.support.client_app import ClientApp, client_app
from tests.support.imap_server import ImapServer
from tests.support.live import Live, eventually, live_server

pytestmark = pytest.mark.e2e
RFC822 = {"Content-Type": "message/rfc822"}


def M(x: str, to: str = "u@dest.test") -> dict[str, Any]:
    return {"id": x, "account_id": "smtp1", "from": "a@acme.test", "to": to, "subject": "s", "body": "b"}


@pytest.fixture
def app() -> Iterator[ClientApp]:
    with client_app() as c:
        yield c


@pytest.fixture
def acme(live_dispatching: Live, smtp_sink: Any, app: ClientApp) -> tuple[Live, str, Any]:
    sink = smtp_sink()
    live = live_dispatching
    ka = live.create_tenant("acme", client_base_url=app.url, client_auth={"method": "bearer", "token": "cb"})
    answer = live.call("POST", "/account", ka, json={"id": "smtp1", "host": sink.host, "port": sink.port,
                                                     "use_tls": False})
    assert answer.status_code == 201, answer.text
    live.container.start_reporter()
    return live, ka, sink


def send(live: Live, ka: str, sink: Any, message: dict[str, Any], count: int) -> Any:
    answer = live.call("POST", "/commands/add-messages", ka, json={"messages": [message]})
    assert answer.status_code == 200 and answer.json()["queued"] == 1, answer.text
    return sink.wait_for_messages(count)[-1]


def status_of(live: Live, ka: str, client_id: str) -> dict[str, Any]:
    return dict(live.call("GET", f"/messages/{client_id}", ka).json())


def items(app: ClientApp, event: str) -> list[dict[str, Any]]:
    return [i for r in list(app.requests) if r.body for i in r.reports if i["event"] == event]


def inbound(live: Live, raw: bytes, token: str | None = None, **kwargs: Any) -> Any:
    headers = kwargs.pop("headers", RFC822)
    return live.call("POST", "/bounces/inbound", token or "admin-test-token", content=raw, headers=headers,
                     **kwargs)


def test_a_hard_bounce_is_reported_deduplicated_and_suppresses(acme: tuple[Live, str, Any],
                                                               app: ClientApp) -> None:
    live, ka, sink = acme
    mail = send(live, ka, sink, M("m1"), 1)
    pk = mail.message["X-Ledgermail-Id"]
    eventually(lambda: status_of(live, ka, "m1")["status"] == "sent")
    raw = dsn("u@dest.test", "5.1.1", "550 5.1.1 user unknown", ledgermail_id=pk)
    answer = inbound(live, raw)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ok": True, "kind": "bounce", "duplicate": False, "matched": True,
                             "tenant_id": "acme", "id": "m1", "pk": pk, "recipients": [
                                 {"email": "u@dest.test", "bounce_type": "hard", "bounce_code": "5.1.1",
                                  "category": "recipient"}]}
    [item] = eventually(lambda: items(app, "bounce"))
    assert (item["id"], item["recipient_email"], item["bounce_type"], item["bounce_code"],
            item["bounce_category"]) == ("m1", "u@dest.test", "hard", "5.1.1", "recipient")
    assert "5.1.1" in item["bounce_reason"] and item["bounce_ts"] > 0
    again = inbound(live, raw, headers={"Content-Type": "application/octet-stream"}).json()
    assert again["duplicate"] is True and again["matched"] is True
    history = [h["type"] for h in status_of(live, ka, "m1")["history"]]
    assert history.count("bounced") == 1
    # scenario 25: the next message to that address is never sent
    live.call("POST", "/commands/add-messages", ka, json={"messages": [M("m2")]})
    eventually(lambda: status_of(live, ka, "m2")["status"] == "error")
    assert status_of(live, ka, "m2")["error_code"] == "recipient_suppressed" and len(sink.messages) == 1
    metrics = live.call("GET", "/metrics", None).text
    assert 'ledgermail_bounces_total{bounce_type="hard",tenant_id="acme"} 1.0' in metrics
    assert eventually(lambda: 'ledgermail_inbound_reports_total{kind="bounce",matched="true"} 1.0'
                      in live.call("GET", "/metrics", None).text)
    logged = live.admin("GET", "/command-log", params={"endpoint": "/bounces/inbound"}).json()["commands"]
    assert logged[0]["payload"]["body"]["size"] == len(raw) and "sha256" in logged[0]["payload"]["body"]


def test_soft_verp_ignored_and_unmatched_reports(acme: tuple[Live, str, Any]) -> None:
    live, ka, sink = acme
    mail = send(live, ka, sink, M("m3", "p@dest.test"), 1)
    pk = mail.message["X-Ledgermail-Id"]
    policy = inbound(live, dsn("p@dest.test", "5.7.1", "554 5.7.1 blocked", ledgermail_id=pk)).json()
    assert policy["recipients"][0] | {"email": None} == {"email": None, "bounce_type": "soft",
                                                         "bounce_code": "5.7.1", "category": "policy"}
    full = inbound(live, dsn("p@dest.test", "4.2.2", "452 4.2.2 full", ledgermail_id=pk,
                             action="delayed")).json()
    assert full["recipients"][0]["bounce_type"] == "soft"
    send(live, ka, sink, M("m4", "p@dest.test"), 2)  # soft bounces never suppress
    put = live.admin("PUT", "/instance", json={"bounce": {"return_path": "bounces@mx.acme.test"}})
    assert put.status_code == 200
    time.sleep(CONFIG_SECONDS + 0.5)  # the dispatcher re-reads the instance config this often
    mail = send(live, ka, sink, M("m5", "v@dest.test"), 3)
    assert mail.mail_from.startswith("bounces+")
    verp = inbound(live, plain_bounce("v@dest.test", "550 5.1.1 no such user", to=mail.mail_from)).json()
    assert (verp["kind"], verp["matched"], verp["id"], verp["recipients"][0]["bounce_type"]) == (
        "bounce", True, "m5", "hard")
    ignored = inbound(live, auto_reply()).json()
    assert (ignored["kind"], ignored["matched"], ignored["recipients"]) == ("ignored", False, [])
    lost = inbound(live, dsn("x@dest.test", "5.1.1", "550 5.1.1 unknown")).json()
    assert (lost["kind"], lost["matched"], lost["id"], lost["tenant_id"]) == ("bounce", False, None, None)


def test_a_complaint_is_reported_and_suppresses(acme: tuple[Live, str, Any], app: ClientApp) -> None:
    live, ka, sink = acme
    mail = send(live, ka, sink, M("m6"), 1)
    answer = inbound(live, arf("abuse", "u@dest.test", ledgermail_id=mail.message["X-Ledgermail-Id"],
                               message_id=mail.message["Message-ID"])).json()
    assert (answer["kind"], answer["matched"], answer["id"]) == ("complaint", True, "m6")
    assert answer["recipients"] == [{"email": "u@dest.test", "bounce_type": None, "bounce_code": None,
                                     "category": None}]
    [item] = eventually(lambda: items(app, "complaint"))
    assert (item["complaint_type"], item["recipient_email"]) == ("abuse", "u@dest.test")
    live.call("POST", "/commands/add-messages", ka, json={"messages": [M("m7")]})
    eventually(lambda: status_of(live, ka, "m7")["status"] == "error")
    assert status_of(live, ka, "m7")["error_code"] == "recipient_suppressed"


def test_the_route_is_admin_only_and_checks_its_body(acme: tuple[Live, str, Any]) -> None:
    live, ka, _ = acme
    raw = dsn("u@dest.test", "5.1.1", "550 5.1.1 unknown")
    assert inbound(live, raw, ka).status_code == 403
    assert inbound(live, raw, "nope").status_code == 401
    wrong = inbound(live, raw, headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 415 and wrong.json()["error"] == "unsupported_media_type"
    big = inbound(live, b"Subject: x\n\n" + b"a" * (10 * 1024 * 1024 + 1))
    assert big.status_code == 413 and big.json()["error"] == "payload_too_large"


def test_reload_bounce_starts_the_poller_on_a_loopback_imap_server(settings: Settings,
                                                                   acme: tuple[Live, str, Any]) -> None:
    live, ka, sink = acme
    live.container.start_bounce_poller(tick=0.1)
    put = live.admin("PUT", "/instance", json={"bounce": {"enabled": True}}).json()
    assert put["reload_required"] is True
    bad = live.admin("POST", "/instance/reload-bounce")
    assert bad.status_code == 400 and bad.json()["error"] == "bounce_misconfigured"
    pks = [send(live, ka, sink, M(f"i{n}", f"i{n}@dest.test"), n).message["X-Ledgermail-Id"] for n in (1, 2)]
    imap = ImapServer(user="bounces", password="imapp").start()
    try:
        for n, pk in enumerate(pks, start=1):
            imap.add("INBOX", dsn(f"i{n}@dest.test", "5.1.1", "550 5.1.1 unknown", ledgermail_id=pk))
        config = {"imap_host": "127.0.0.1", "imap_port": imap.port, "imap_user": "bounces",
                  "imap_password": "imapp", "imap_ssl": False, "poll_interval": 10}
        assert live.admin("PUT", "/instance", json={"bounce": config}).status_code == 200
        assert live.admin("GET", "/instance").json()["instance"]["bounce"]["imap_password"] == "***"
        reload = live.admin("POST", "/instance/reload-bounce").json()
        assert reload["ok"] is True and reload["enabled"] is True
        for n in (1, 2):
            eventually(lambda n=n: "bounced" in [h["type"] for h in status_of(live, ka, f"i{n}")["history"]],
                       timeout=10)
        assert imap.flags("INBOX", 1) == imap.flags("INBOX", 2) == {"\\Seen"}
        live.http.close()
        live.container.close()  # a restart: a new process on the same store
        fetches = sum("FETCH" in c for c in imap.commands)
        with live_server(settings) as again:
            poller = again.container.start_bounce_poller(tick=0.1)
            eventually(lambda: poller.polls >= 1)
            assert sum("FETCH" in c for c in imap.commands) == fetches
            history = [h["type"] for h in again.call("GET", "/messages/i1", ka).json()["history"]]
            assert history.count("bounced") == 1
    finally:
        imap.stop()


def test_an_rcpt_refusal_suppresses_the_next_message(acme: tuple[Live, str, Any], app: ClientApp) -> None:
    """Scenario 25: the dispatcher's 550 5.1.1 is a hard bounce, reported and suppressing."""
    live, ka, sink = acme
    sink.reply("RCPT", "550 5.1.1 user unknown", times=1)
    live.call("POST", "/commands/add-messages", ka, json={"messages": [M("r1", "gone@dest.test")]})
    eventually(lambda: status_of(live, ka, "r1")["status"] == "error")
    assert status_of(live, ka, "r1")["error_code"] == "smtp_permanent"
    [item] = eventually(lambda: items(app, "bounce"))
    assert (item["bounce_type"], item["bounce_code"], item["recipient_email"]) == ("hard", "5.1.1",
                                                                                   "gone@dest.test")
    eventually(lambda: live.container.suppression_list().suppressed("acme", ["gone@dest.test"]))
    live.call("POST", "/commands/add-messages", ka, json={"messages": [M("r2", "gone@dest.test")]})
    eventually(lambda: status_of(live, ka, "r2")["status"] == "error")
    assert status_of(live, ka, "r2")["error_code"] == "recipient_suppressed" and sink.messages == []
