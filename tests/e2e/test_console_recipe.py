"""Console sends carry a sealed render recipe, rendered at each attempt, and are re-checked
right before it (console.md §2.3, §2.4; issues #7, #8): on both backends, through the real
dispatcher and a loopback SMTP sink."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from adapters.console_sends import ConsoleSend, enqueue_sends, hold_sends, release_sends
from adapters.history.reader import EventFilter
from adapters.settings import Settings
from domain.sending.ids import message_uuid
from scripts.export import export
from tests.support.console import Console
from tests.support.live import eventually, live_server

pytestmark = pytest.mark.e2e
BODY = "<p>Hello {{ contact.fields.first }}, your code is {{ vars.code }} for the sign-in you asked for.</p>"
UNSUBSCRIBE = '<p><a href="{{ unsubscribeUrl }}">Unsubscribe</a></p>'


@pytest.fixture
def console(settings: Settings, smtp_sink: Any) -> Iterator[tuple[Console, Any]]:
    sink = smtp_sink()
    with live_server(settings, dispatch=True) as live:
        c = Console(live)
        key = c.tenant("acme")
        account = {"id": "sink", "host": sink.host, "port": sink.port, "use_tls": False}
        assert live.call("POST", "/account", key, json=account).status_code == 201
        settings_body = {"senderDomains": {"mail.acme.test": "transactional", "news.acme.test": "marketing"},
                         "defaultAccounts": {"marketing": "sink", "transactional": "sink"}}
        assert c.admin("PATCH", "/settings", json=settings_body).status_code == 200
        for slug, kind, domain in (("code", "transactional", "mail"), ("news", "marketing", "news")):
            body = {"slug": slug, "name": slug, "kind": kind, "fromEmail": f"hi@{domain}.acme.test",
                    "subject": "Code for {{ contact.fields.first }}"}
            assert c.admin("POST", "/templates", json=body).status_code == 201
            html = BODY if kind == "transactional" else BODY + UNSUBSCRIBE
            draft = {"format": "html", "html": html}
            assert c.admin("PATCH", f"/templates/{slug}/draft", json=draft).status_code == 200
            published = c.admin("POST", f"/templates/{slug}/publish", json={})
            assert published.status_code == 200, published.text
        c.admin("PUT", "/contacts/u1", json={"email": "ann@example.org", "fields": {"first": "Ann"}})
        assert c.admin("POST", "/contacts/u1/subscribe", json={"source": "form"}).status_code == 200
        yield c, sink


def stored_states(c: Console) -> list[bytes]:
    with c.live.container.db.transaction(write=False) as tx:
        return [bytes(r[0]) for r in tx.execute("SELECT state FROM sending_events")]


def dispatcher_idles(c: Console) -> None:
    """Two more dispatch cycles ran: whatever was due has been claimed and its outcome saved."""
    dispatcher = c.live.container.dispatchers[0]
    start = dispatcher.cycles
    c.live.container.dispatch_hub.wake()
    assert eventually(lambda: dispatcher.cycles >= start + 2 or c.live.container.dispatch_hub.wake())


def send_of(c: Console, send_id: str) -> dict[str, Any]:
    return dict(c.admin("GET", f"/sends/{send_id}").json()["send"])


def test_a_contact_send_stores_no_address_and_renders_at_its_attempt(console: tuple[Console, Any]) -> None:
    c, sink = console
    answer = c.admin("POST", "/sends", json={"templateSlug": "code", "externalId": "u1", "dedupeKey": "k1",
                                             "vars": {"code": "XK-42"}})
    assert answer.status_code == 202 and answer.json()["status"] == "queued", answer.text
    got = sink.wait_for_messages(1)[0]
    mail = got.message
    assert got.rcpt_to == ["ann@example.org"] and mail["Subject"] == "Code for Ann"
    assert "XK-42" in mail.get_body(("html",)).get_content()
    # neither the address nor the variables are in clear anywhere in the sending log
    states = stored_states(c)
    assert states and not any(b"ann@example.org" in s or b"XK-42" in s for s in states)
    send_id = answer.json()["sendId"]
    assert eventually(lambda: send_of(c, send_id)["status"] == "sent")
    message = c.live.container.sending.get_message("acme", "oneoff:k1")
    sent = next(e for e in message.trail if type(e).__name__ == "Sent")
    assert sent.body_hash == hashlib.sha256(got.data).hexdigest()


def test_forget_cancels_the_waiting_send_and_nothing_opens_again(console: tuple[Console, Any]) -> None:
    c, sink = console
    container = c.live.container
    later = container.clock.now() + 3600
    [queued] = enqueue_sends(container, "acme", [ConsoleSend(origin="flow", dedupe_key="flowrun:r1:step0",
                                                             slug="code", external_id="u1", not_before=later,
                                                             values={"code": "Z9"})])
    assert queued.status == "queued"
    assert c.admin("POST", "/contacts/u1/forget", json={}).status_code in (200, 202)
    assert eventually(lambda: send_of(c, queued.send_id)["status"] == "cancelled")
    c.live.advance(3700)
    dispatcher_idles(c)
    assert sink.messages == []
    # a repeat of the same key is the same send, never a second one
    [again] = enqueue_sends(container, "acme", [ConsoleSend(origin="flow", dedupe_key="flowrun:r1:step0",
                                                            slug="code", external_id="u1")])
    assert again.duplicate and again.send_id == queued.send_id


def test_a_suppression_added_after_enqueue_still_holds(console: tuple[Console, Any]) -> None:
    c, _sink = console
    container = c.live.container
    send = ConsoleSend(origin="flow", dedupe_key="flowrun:r2:step0", slug="code", external_id="u1",
                       holds=("test:hold",))
    [held] = enqueue_sends(container, "acme", [send])
    assert held.status == "held"
    assert eventually(lambda: send_of(c, held.send_id)["status"] == "held")
    entry = {"email": "ann@example.org", "scope": "all", "reason": "manual"}
    added = c.admin("POST", "/suppressions", json=entry)
    assert added.status_code in (200, 201), added.text
    assert release_sends(container, "acme", "test:hold") == 1
    assert eventually(lambda: send_of(c, held.send_id)["status"] == "suppressed")
    row = send_of(c, held.send_id)
    assert row["statusReason"] == "suppressed:manual"
    message = container.sending.get_message("acme", "flowrun:r2:step0")
    assert [type(e).__name__ for e in message.trail][-2:] == ["AttemptStarted", "Suppressed"]


def test_marketing_consent_is_checked_again_before_the_attempt(console: tuple[Console, Any]) -> None:
    c, _sink = console
    container = c.live.container
    send = ConsoleSend(origin="broadcast", dedupe_key="broadcast:b1:u1", slug="news", external_id="u1",
                       batch_code="b:spring", holds=("broadcast:b1",))
    [held] = enqueue_sends(container, "acme", [send])
    assert held.status == "held"
    c.admin("POST", "/contacts/u1/unsubscribe", json={"source": "form"})
    assert release_sends(container, "acme", "broadcast:b1") == 1
    assert eventually(lambda: send_of(c, held.send_id)["status"] == "suppressed")
    assert send_of(c, held.send_id)["statusReason"] in ("not_subscribed", "suppressed:unsubscribed")


def test_holds_keep_sends_back_until_the_last_is_lifted(console: tuple[Console, Any]) -> None:
    c, sink = console
    container = c.live.container
    later = container.clock.now() + 600
    sends = [ConsoleSend(origin="broadcast", dedupe_key=f"broadcast:b2:c{i}", slug="news", external_id="u1",
                         batch_code="b:autumn", not_before=later) for i in range(3)]
    results = enqueue_sends(container, "acme", sends)
    assert [r.status for r in results] == ["queued"] * 3
    pks = {str(message_uuid("acme", s.dedupe_key)) for s in sends}
    assert {r.send_id for r in results} == pks
    assert hold_sends(container, "acme", "broadcast:b2", batch_code="b:autumn") == 3
    assert hold_sends(container, "acme", "health:x", from_domain="news.acme.test", kind="marketing") == 3
    assert eventually(lambda: all(send_of(c, pk)["status"] == "held" for pk in pks))
    row = container.projections["messages"].view.get("acme", sends[0].dedupe_key)
    assert row is not None and (row.status, row.held_by) == ("held", "health_tripped")
    assert release_sends(container, "acme", "broadcast:b2") == 3
    c.live.advance(700)
    dispatcher_idles(c)
    assert all(send_of(c, pk)["status"] == "held" for pk in pks) and sink.messages == []
    assert release_sends(container, "acme", "health:x") == 3
    assert len(sink.wait_for_messages(3)) == 3
    trail = [type(e).__name__ for e in container.sending.get_message("acme", sends[0].dedupe_key).trail]
    assert trail[:5] == ["Queued", "Held", "Held", "Released", "Released"]
    assert UUID(results[0].send_id)


def every_table_text(c: Console) -> bytes:
    """Every row of every table of the store (events, read models, tracking), as bytes."""
    db = c.live.container.db
    with db.transaction(write=False) as tx:
        if db.dialect == "postgresql":
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            names = [r[0] for r in tx.execute(sql)]
        else:
            names = [r[0] for r in tx.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        chunks = []
        for name in names:
            for row in tx.execute(f"SELECT * FROM {name}"):
                chunks.append(b"|".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
                                        for v in row))
    return b"\n".join(chunks)


def test_after_a_forget_no_table_and_no_export_holds_the_contact(console: tuple[Console, Any],
                                                                 tmp_path: Any) -> None:
    c, sink = console  # scenarios 13 and 14, with a delivered send and a contact event
    c.admin("PUT", "/contacts/u2", json={"email": "u2@ex.test", "fields": {"first": "Zebulon"}})
    answer = c.admin("POST", "/sends", json={"templateSlug": "code", "externalId": "u2", "dedupeKey": "z",
                                             "vars": {"code": "Q-77"}})
    assert answer.status_code == 202, answer.text
    assert sink.wait_for_messages(1)[0].rcpt_to == ["u2@ex.test"]
    assert eventually(lambda: send_of(c, answer.json()["sendId"])["status"] == "sent")
    entry = {"email": "u2@ex.test", "scope": "marketing", "reason": "manual"}
    added = c.admin("POST", "/suppressions", json=entry)
    assert added.status_code == 201 and added.json()["suppression"]["email"] == "u2@ex.test"
    listed = c.admin("GET", "/suppressions").json()["suppressions"]
    assert [r["email"] for r in listed] == ["u2@ex.test"]  # shown through the contact
    assert c.admin("POST", "/contacts/u2/forget", json={}).status_code in (200, 202)
    assert eventually(lambda: send_of(c, answer.json()["sendId"])["email"] is None)
    c.live.container.catch_up(list(c.live.container.projections))
    stored = every_table_text(c)
    for secret in (b"u2@ex.test", b"Zebulon", b"Q-77"):
        assert secret not in stored, secret
    out = tmp_path / "acme.jsonl"
    assert export(c.live.container, EventFilter(tenant_id="acme"), out, "jsonl").events > 0
    exported = out.read_bytes()
    assert exported and b"u2@ex.test" not in exported and b"Zebulon" not in exported


def test_one_call_applies_each_suppression_to_its_kind(console: tuple[Console, Any]) -> None:
    c, _sink = console  # scenario 21, for a whole page of sends at once
    container = c.live.container
    entry = {"email": "ann@example.org", "scope": "marketing", "reason": "manual"}
    assert c.admin("POST", "/suppressions", json=entry).status_code == 201

    def page(tag: str) -> list[str]:
        flow = "flow"
        sends = [ConsoleSend(origin="broadcast", dedupe_key=f"broadcast:{tag}:u1", slug="news",
                             external_id="u1", batch_code="b:x"),
                 ConsoleSend(origin=flow, dedupe_key=f"flowrun:{tag}:step0", slug="code", external_id="u1"),
                 ConsoleSend(origin=flow, dedupe_key=f"flowrun:{tag}:step1", slug="code",
                             external_id="ghost")]
        return [f"{r.status}:{r.status_reason}" for r in enqueue_sends(container, "acme", sends)]

    assert page("p1") == ["suppressed:suppressed:manual", "queued:None", "skipped:contact_not_found"]
    entry["scope"] = "all"
    assert c.admin("POST", "/suppressions", json=entry).status_code == 201
    assert page("p2")[:2] == ["suppressed:suppressed:manual", "suppressed:suppressed:manual"]
