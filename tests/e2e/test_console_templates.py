"""Templates over HTTP on both backends (console.md §5; §17 scenarios 3, 4, 15-20)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from adapters.settings import Settings
from tests.support.console import Console
from tests.support.live import eventually, live_server
from tests.support.mail_tester import MailTesterStub, mail_tester_stub

pytestmark = pytest.mark.e2e

NEWS = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ contact.fields.first or "there" }}, here is our news
of the week with plenty of words.</mj-text>
<mj-button href="https://news.acme.test/offer">See the offer</mj-button>
<mj-text><a href="{{ unsubscribeUrl }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>"""
RECEIPT = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Thanks for your order {{ vars.orderId }}. It is on its way to you now.</mj-text>
</mj-column></mj-section></mj-body></mjml>"""


@pytest.fixture
def stub() -> Iterator[MailTesterStub]:
    with mail_tester_stub() as s:
        yield s


@pytest.fixture
def console(settings: Settings, stub: MailTesterStub, smtp_sink: Any) -> Iterator[tuple[Console, Any]]:
    sink = smtp_sink()
    settings = msgspec.structs.replace(settings, mailtester_url=stub.base_url)
    with live_server(settings, dispatch=True) as live:
        c = Console(live)
        key = c.tenant("acme")
        c.tenant("beta")
        answer = live.call(
            "POST",
            "/account",
            key,
            json={"id": "sink", "host": sink.host, "port": sink.port, "use_tls": False},
        )
        assert answer.status_code == 201, answer.text
        patched = c.admin(
            "PATCH",
            "/settings",
            json={
                "senderDomains": {"news.acme.test": "marketing", "mail.acme.test": "transactional"},
                "defaultAccounts": {"marketing": "sink", "transactional": "sink"},
            },
        )
        assert patched.status_code == 200, patched.text
        yield c, sink


def create(c: Console, slug: str, kind: str, from_email: str, tenant: str = "acme", **more: Any) -> Any:
    return c.admin(
        "POST",
        "/templates",
        tenant,
        json={"slug": slug, "name": slug.title(), "kind": kind, "fromEmail": from_email, **more},
    )


def draft(c: Console, slug: str, **fields: Any) -> Any:
    answer = c.admin("PATCH", f"/templates/{slug}/draft", json=fields)
    assert answer.status_code == 200, answer.text
    return answer.json()


def publish(c: Console, slug: str, **body: Any) -> Any:
    return c.admin("POST", f"/templates/{slug}/publish", json=body)


def rules(body: dict[str, Any]) -> set[str]:
    return {i["rule"] for part in ("errors", "warnings", "infos") for i in body[part]}


def test_sender_registry_and_publish_gate(console: tuple[Console, Any]) -> None:  # scenario 15
    c, _ = console
    wrong = create(c, "r1", "transactional", "a@news.acme.test")
    assert wrong.status_code == 400 and wrong.json()["error"] == "sender_domain_invalid"
    assert wrong.json()["code"] == "wrong_kind"
    other = create(c, "r2", "transactional", "a@other.test")
    assert other.json()["code"] == "unregistered_domain"
    assert create(c, "news", "marketing", "hello@news.acme.test", subject="Weekly news").status_code == 201
    assert create(c, "news", "marketing", "hello@news.acme.test").json()["error"] == "slug_taken"
    draft(
        c,
        "news",
        mjml=NEWS.replace('<a href="{{ unsubscribeUrl }}">Unsubscribe</a>', "bye"),
        preheader="This week",
    )
    refused = publish(c, "news")
    assert refused.status_code == 422 and refused.json()["error"] == "lint_failed"
    assert "missing_unsubscribe_tag" in {i["rule"] for i in refused.json()["lint"]["errors"]}
    draft(c, "news", mjml=NEWS.replace("https://news.acme.test/offer", "https://bit.ly/x"))
    assert "url_shortener" in {i["rule"] for i in publish(c, "news").json()["lint"]["errors"]}
    assert (
        create(c, "receipt", "transactional", "billing@mail.acme.test", subject="Receipt").status_code == 201
    )
    draft(c, "receipt", mjml=RECEIPT, preheader="Your order")
    done = publish(c, "receipt")
    assert done.status_code == 200 and done.json()["version"] == 1, done.text


def test_versions_are_immutable_and_drafts_revisioned(console: tuple[Console, Any]) -> None:  # scenario 16
    c, _ = console
    create(c, "news", "marketing", "hello@news.acme.test")
    saved = draft(c, "news", subject="S" * 80, preheader="p", mjml=NEWS)
    first = publish(c, "news")
    assert first.json()["version"] == 1 and "subject_too_long" in rules(first.json()["lint"])
    assert publish(c, "news").json()["error"] == "no_draft"
    html_v1 = c.admin("GET", "/templates/news/versions/1").json()["html"]
    draft(c, "news", subject="Short subject")
    assert publish(c, "news").json()["version"] == 2
    old = c.admin("GET", "/templates/news/versions/1").json()
    assert old["subject"] == "S" * 80 and old["html"] == html_v1
    listed = c.admin("GET", "/templates/news/versions").json()["versions"]
    assert [v["version"] for v in listed] == [2, 1] and "html" not in listed[0]
    stale = c.admin(
        "PATCH", "/templates/news/draft", json={"notes": "x"}, headers={"If-Match": str(saved["revision"])}
    )
    assert stale.status_code == 409 and stale.json()["error"] == "stale_revision"
    doc = c.admin("GET", "/templates/news").json()
    assert doc["version"] == 2 and doc["draft"] is None and doc["trackClicks"] is True
    seeded = draft(c, "news", notes="next")  # a missing draft is seeded from version 2
    assert c.admin("GET", "/templates/news").json()["draft"]["subject"] == "Short subject"
    assert seeded["revision"] > saved["revision"]


def test_lint_endpoint_falls_back_and_reports(console: tuple[Console, Any]) -> None:  # scenarios 17, 18
    c, _ = console
    create(c, "news", "marketing", "hello@news.acme.test")
    draft(c, "news", subject="Hello", mjml=NEWS)
    base = c.admin("POST", "/templates/news/lint", json={}).json()
    assert base["errors"] == [] and "empty_preheader" in rules(base) and base["compileFailed"] is False
    caps = c.admin("POST", "/templates/news/lint", json={"subject": "BIG SALE TODAY ONLY"}).json()
    assert "all_caps_subject" in rules(caps)
    assert "freemail_from" in rules(
        c.admin("POST", "/templates/news/lint", json={"fromEmail": "x@gmail.com"}).json()
    )
    broken = c.admin("POST", "/templates/news/lint", json={"mjml": "<mjml><mj-body><mj-section>"})
    assert broken.status_code == 200 and broken.json()["compileFailed"] is True
    syntax = c.admin("POST", "/templates/news/lint", json={"subject": "{{ contact.email "}).json()
    assert "template_syntax_error" in rules(syntax)
    raw = c.admin("POST", "/templates/news/lint", json={"html": "<p>hi"}).json()
    assert {"html_unbalanced_tags", "html_missing_body"} <= rules(raw)
    draft(c, "news", mjml="<mjml><mj-body><mj-section><mj-column>")
    failed = publish(c, "news")
    assert failed.status_code == 422 and failed.json()["error"] == "compile_failed"


def test_variables_preview_and_one_off_sends(console: tuple[Console, Any]) -> None:  # scenarios 18, 20, 21
    c, sink = console
    create(c, "receipt", "transactional", "billing@mail.acme.test", subject="Order {{ vars.orderId }}")
    draft(
        c,
        "receipt",
        mjml=RECEIPT,
        preheader="p",
        variablesSchema={
            "type": "object",
            "properties": {"orderId": {"type": "string"}},
            "required": ["orderId"],
        },
    )
    unknown = c.admin(
        "POST", "/templates/receipt/lint", json={"mjml": RECEIPT.replace("orderId", "orderNo")}
    ).json()
    assert "unknown_variable" in rules(unknown)
    preview = c.admin("POST", "/templates/receipt/preview", json={"vars": {"orderId": "42"}}).json()
    assert "42" in preview["html"] and preview["subject"] == "Order 42" and "42" in preview["text"]
    assert (
        c.admin("POST", "/templates/receipt/preview", json={"useDraft": False}).json()["error"]
        == "not_published"
    )
    assert publish(c, "receipt").status_code == 200
    c.admin("PUT", "/contacts/u1", json={"email": "u1@ex.test"})
    body = {"templateSlug": "receipt", "externalId": "u1", "dedupeKey": "o-1"}
    missing = c.admin("POST", "/sends", json=body)
    assert missing.status_code == 400 and missing.json()["error"] == "validation_failed"
    sent = c.admin("POST", "/sends", json={**body, "vars": {"orderId": "1"}})
    assert sent.status_code == 202 and sent.json()["status"] == "queued", sent.text
    again = c.admin("POST", "/sends", json={**body, "vars": {"orderId": "1"}}).json()
    assert again["sendId"] == sent.json()["sendId"] and again["duplicate"] is True
    mail = sink.wait_for_messages(1)[0].message
    assert mail["Subject"] == "Order 1" and mail["To"] == "u1@ex.test" and "List-Unsubscribe" not in mail
    assert mail["Feedback-ID"] == "receipt:transactional:acme:lm"
    ghost = c.admin("POST", "/sends", json={**body, "externalId": "ghost", "dedupeKey": "o-2"})
    assert ghost.status_code == 404 and ghost.json()["error"] == "contact_not_found"
    c.admin("POST", "/suppressions", json={"email": "u1@ex.test", "scope": "all", "reason": "manual"})
    blocked = c.admin("POST", "/sends", json={**body, "dedupeKey": "o-3", "vars": {"orderId": "3"}}).json()
    assert blocked["status"] == "suppressed" and blocked["statusReason"] == "suppressed:manual"
    test = c.admin(
        "POST", "/templates/receipt/send-test", json={"to": "qa@ex.test", "vars": {"orderId": "9"}}
    )
    assert test.status_code == 202
    mails = sink.wait_for_messages(2)
    assert mails[1].message["Subject"] == "[TEST] Order 9"
    assert (
        c.admin("POST", "/templates/receipt/send-test", json={"to": "u1@ex.test"}).json()["error"]
        == "recipient_suppressed"
    )


def test_marketing_one_off_needs_consent(console: tuple[Console, Any]) -> None:  # scenario 21
    c, _ = console
    create(c, "news", "marketing", "hello@news.acme.test", subject="News")
    draft(c, "news", mjml=NEWS, preheader="p")
    assert publish(c, "news").status_code == 200
    c.admin("PUT", "/contacts/u2", json={"email": "u2@ex.test"})
    body = {"templateSlug": "news", "externalId": "u2", "dedupeKey": "n-1"}
    assert c.admin("POST", "/sends", json=body).json()["statusReason"] == "not_subscribed"
    c.admin("POST", "/contacts/u2/subscribe", json={"source": "test"})
    assert c.admin("POST", "/sends", json={**body, "dedupeKey": "n-2"}).json()["status"] == "queued"


def test_mail_tester_gate(console: tuple[Console, Any], stub: MailTesterStub) -> None:  # scenario 19
    c, sink = console
    create(c, "news", "marketing", "hello@news.acme.test", subject="News of the week")
    draft(c, "news", mjml=NEWS, preheader="p")
    assert c.admin("POST", "/templates/news/mail-tester-check").json()["error"] == "not_configured"
    c.admin("PATCH", "/settings", json={"mailTester": {"apiKey": "k-123"}})
    assert c.admin("GET", "/settings").json()["settings"]["mailTester"]["apiKey"] == "***"
    check = c.admin("POST", "/templates/news/mail-tester-check").json()
    assert check["status"] == "pending" and check["checkId"] == "chk1"
    mail = sink.wait_for_messages(1)[0].message
    assert mail["To"] == "test-chk1@srv1.mail-tester.test"
    pending = c.admin("GET", "/templates/news/mail-tester-result", params={"checkId": "chk1"}).json()
    assert pending == {"status": "pending", "score": None}
    stub.score("chk1", 4.2)
    ready = c.admin("GET", "/templates/news/mail-tester-result", params={"checkId": "chk1"}).json()
    assert ready["status"] == "ready" and ready["score"]["score"] == 4.2
    blocked = publish(c, "news")
    assert blocked.status_code == 422 and blocked.json()["error"] == "mail_tester_blocked"
    assert blocked.json()["code"] == "low_score"
    calls = len(stub.calls)
    cached = c.admin("POST", "/templates/news/mail-tester-check").json()
    assert cached["cached"] is True and len(stub.calls) == calls
    assert publish(c, "news", bypassMailTester=True).status_code == 200
    entry = eventually(
        lambda: c.admin("GET", "/audit", params={"action": "template.publish"}).json()["entries"]
    )
    assert entry[0]["after"]["bypassMailTester"] is True and entry[0]["resource"]["slug"] == "news"
    c.admin("PATCH", "/settings", json={"mailTester": {"requireScore": True}})
    draft(c, "news", subject="Fresh content")
    no_score = publish(c, "news")
    assert no_score.status_code == 422 and no_score.json()["code"] == "no_score"
    stub.fail_with = 500
    assert c.admin("POST", "/templates/news/mail-tester-check").status_code == 502


def test_tenants_and_scopes(console: tuple[Console, Any]) -> None:  # scenarios 3, 4
    c, _ = console
    create(c, "news", "marketing", "hello@news.acme.test")
    assert c.admin("GET", "/templates/news", "beta").status_code == 404
    assert create(c, "news", "marketing", "hello@beta.test", tenant="beta").status_code == 201
    token, _ = c.token(["admin-read"])
    refused = c.call("POST", "/templates", token, json={"slug": "x", "name": "x", "kind": "marketing"})
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    listed = c.call("GET", "/templates", token).json()["templates"]
    assert [t["slug"] for t in listed] == ["news"]
    assert c.admin("GET", "/templates/Bad_Slug").json()["error"] == "bad_id"
    assert c.admin("POST", "/templates", json={"slug": "y", "name": "y", "kind": "x"}).status_code == 400
    assert c.admin("DELETE", "/templates/news").status_code == 200
    assert c.admin("GET", "/templates/news").status_code == 404
    assert create(c, "news", "marketing", "hello@news.acme.test").json()["error"] == "slug_taken"
