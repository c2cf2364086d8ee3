"""The console in a real browser: sign in, queue a message and watch it reach "sent", add
and lift a suppression, every main page renders (with a screenshot), and a phone width."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.live import ADMIN, Live
from tests.ui.conftest import shot

pytestmark = [pytest.mark.ui, pytest.mark.e2e]
PAGES = ["dashboard", "messages", "contacts", "suppressions", "accounts", "tenants", "audit",
         "templates", "broadcasts", "flows", "health", "dnsbl", "dmarc", "postmaster", "hygiene"]


def sign_in(page: Any, live: Live, token: str = ADMIN) -> None:
    page.goto(f"{live.base_url}/admin")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin#/dashboard")


def tenant_with_account(live: Live, sink: Any) -> str:
    key = live.create_tenant("acme")
    answer = live.call("POST", "/account", key, json={"id": "smtp1", "host": sink.host, "port": sink.port,
                                                      "use_tls": False})
    assert answer.status_code == 201, answer.text
    return key


def test_a_message_queued_in_the_console_reaches_sent(console: tuple[Live, Any], page: Any) -> None:
    live, sink = console
    tenant_with_account(live, sink)
    sign_in(page, live)
    assert page.locator("#tenant-switcher").input_value() == "acme"
    page.get_by_role("link", name="Messages").click()
    page.get_by_text("Queue a message").click()
    form = page.locator("#queue-form")
    form.get_by_label("Id").fill("ui-1")
    form.get_by_label("From").fill("news@acme.test")
    form.get_by_label("To").fill("reader@dest.test")
    form.get_by_label("Subject").fill("Hello from the console")
    form.get_by_label("Body").fill("It works.")
    form.get_by_role("button", name="Queue message").click()
    page.wait_for_url("**/admin#/messages/ui-1")
    page.locator("#message-status .status.sent").wait_for()  # the page refreshes until terminal
    assert [m.message["Subject"] for m in sink.wait_for_messages(1)] == ["Hello from the console"]
    timeline = page.locator(".timeline li strong").all_inner_texts()
    assert timeline == ["queued", "attempt_started", "sent"]
    shot(page, "message-detail")


def test_a_suppression_is_added_and_lifted(console: tuple[Live, Any], page: Any) -> None:
    live, sink = console
    tenant_with_account(live, sink)
    sign_in(page, live)
    page.get_by_role("link", name="Suppressions").click()
    form = page.locator("#suppression-add")
    form.get_by_label("Email").fill("Blocked@Dest.test")
    form.get_by_label("Notes").fill("asked by phone")
    form.get_by_role("button", name="Add suppression").click()
    row = page.locator("tr", has_text="blocked@dest.test")
    row.wait_for()
    shot(page, "suppressions")
    page.once("dialog", lambda dialog: dialog.accept("customer asked again"))
    row.get_by_role("button", name="Lift").click()
    row.wait_for(state="detached")
    page.get_by_role("link", name="Audit log").click()
    page.locator("td", has_text="suppression.lift").first.wait_for()


def test_a_bad_token_gets_a_clear_message(console: tuple[Live, Any], page: Any) -> None:
    live, _ = console
    page.goto(f"{live.base_url}/admin")
    page.get_by_label("API token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    page.locator("#alert", has_text="not accepted").wait_for()
    assert page.locator("#login").is_visible()


def test_every_main_page_renders_without_an_error(console: tuple[Live, Any], page: Any) -> None:
    live, sink = console
    tenant_with_account(live, sink)
    sign_in(page, live)
    for name in PAGES:
        page.goto(f"{live.base_url}/admin#/{name}")
        page.locator("#view h1").wait_for()
        assert page.locator("#alert").inner_text() == "", f"{name}: {page.locator('#alert').inner_text()}"
        shot(page, f"page-{name}")


@pytest.mark.parametrize("page", [390], indirect=True)
def test_a_phone_width_has_no_sideways_scroll(console: tuple[Live, Any], page: Any) -> None:
    live, sink = console
    tenant_with_account(live, sink)
    sign_in(page, live)
    for name in ("dashboard", "messages", "suppressions"):
        page.goto(f"{live.base_url}/admin#/{name}")
        page.locator("#view h1").wait_for()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} scrolls sideways by {overflow}px"
        shot(page, f"phone-{name}")


NEWS = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hello {{ contact.fields.first or "there" }}, here is our news
of the week with plenty of words for the reader.</mj-text>
<mj-button href="https://news.acme.test/offer">See the offer</mj-button>
<mj-text><a href="{{ unsubscribeUrl }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>"""


def test_a_template_is_blocked_by_the_linter_then_published(console: tuple[Live, Any], page: Any) -> None:
    live, sink = console
    tenant_with_account(live, sink)
    settings = live.call("PATCH", "/admin/api/settings", headers={"X-Tenant-Id": "acme"}, json={
        "senderDomains": {"news.acme.test": "marketing"}, "defaultAccounts": {"marketing": "smtp1"}})
    assert settings.status_code == 200, settings.text
    sign_in(page, live)
    page.get_by_role("link", name="Templates").click()
    page.get_by_text("New template").click()
    create = page.locator("#template-create")
    create.get_by_label("Slug").fill("news")
    create.get_by_label("Name").fill("Weekly news")
    create.get_by_label("From email").fill("hello@news.acme.test")
    create.get_by_role("button", name="Create template").click()
    page.wait_for_url("**/admin#/templates/news")
    draft = page.locator("#template-draft")
    draft.get_by_label("Subject").fill("This week at Acme")
    draft.get_by_label("Preheader").fill("Our news")
    draft.get_by_label("Body").fill(NEWS.replace('<a href="{{ unsubscribeUrl }}">Unsubscribe</a>', "bye"))
    page.get_by_role("button", name="Publish").click()
    page.locator("#template-results [data-rule=missing_unsubscribe_tag]").wait_for()
    assert "lint_failed" in page.locator("#template-results .gate").inner_text()
    shot(page, "template-blocked")
    draft.get_by_label("Body").fill(NEWS)
    page.get_by_role("button", name="Preview").click()
    page.locator("#template-results", has_text="Subject: This week at Acme").wait_for()
    page.get_by_role("button", name="Publish").click()
    page.locator("#template-results .published", has_text="Published version 1").wait_for()
    shot(page, "template-published")
