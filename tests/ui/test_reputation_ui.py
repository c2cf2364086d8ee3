"""The Postmaster / SNDS and List hygiene pages in a real browser: refresh both feeds from the
page against the loopback feed server, see snapshots and history; hygiene buckets, a
confirmed sunset and its revert; a read-only key gets no sunset button (with screenshots)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.hygiene_sends import scenario_49
from tests.support.live import ADMIN, Live
from tests.support.postmaster_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    SNDS_KEY,
    feed_server,
    stat,
)
from tests.ui.conftest import shot
from tests.ui.test_console_ui import sign_in

pytestmark = [pytest.mark.ui, pytest.mark.e2e]
ROW = "203.0.113.5,6/1/2026 12:00 AM,6/2/2026 12:00 AM,120,118,118,RED,0.1-0.3%,2,mx.acme.test,x@acme.test"


def admin(live: Live, method: str, path: str, **kwargs: Any) -> Any:
    answer = live.call(method, f"/admin/api{path}", ADMIN, headers={"X-Tenant-Id": "acme"}, **kwargs)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_feeds_are_refreshed_from_the_page(console: tuple[Live, Any], page: Any) -> None:
    live, _sink = console
    live.create_tenant("acme")
    settings = {
        "senderDomains": {"news.acme.test": "marketing"},
        "postmaster": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "refreshToken": REFRESH_TOKEN},
        "snds": {"key": SNDS_KEY},
    }
    admin(live, "PATCH", "/settings", json=settings)
    with feed_server() as server:
        live.container.feed_endpoints = server.endpoints  # type: ignore[attr-defined]
        server.stats["acme.test"] = [
            stat("acme.test", d, domainReputation="HIGH", userReportedSpamRatio=0.0002)
            for d in ("20260501", "20260502")
        ]
        server.snds_csv = ROW
        sign_in(page, live)
        page.get_by_role("link", name="Postmaster / SNDS").click()
        page.wait_for_url("**/admin#/postmaster")
        page.locator("#postmaster .feed-state", has_text="configured").wait_for()
        page.locator("#postmaster button.refresh").click()
        page.locator("#postmaster .feed-result", has_text="Fetched 2 day(s)").wait_for()
        target = page.locator('#postmaster .feed-target[data-target="acme.test"]')
        assert "2026-05-02" in target.locator("table").first.inner_text()
        assert "History (2)" in target.inner_text()
        page.locator("#snds button.refresh").click()
        page.locator("#snds .feed-result", has_text="Parsed 1 row(s), 1 changed").wait_for()
        assert "RED" in page.locator('#snds .feed-target[data-target="203.0.113.5"]').inner_text()
        shot(page, "postmaster")


def test_a_sunset_is_confirmed_and_reverted(console: tuple[Live, Any], page: Any) -> None:
    live, _sink = console
    live.create_tenant("acme")
    scenario_49(live.container, "acme", live.advance)
    sign_in(page, live)
    page.get_by_role("link", name="List hygiene").click()
    page.wait_for_url("**/admin#/hygiene")
    page.locator("#hygiene-candidates", has_text="Sunset candidates: 2").wait_for()
    assert "5 subscribers" in page.locator("#hygiene-summary").inner_text()
    assert "Never engaged" in page.locator("#hygiene-buckets").inner_text()
    shot(page, "hygiene")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.locator("#hygiene-sunset").get_by_label("Notes").fill("spring clean")
    page.get_by_role("button", name="Sunset 2 contact(s)").click()
    page.locator("#hygiene-result", has_text="Suppressed 2, skipped 0").wait_for()
    assert "Suppress 2 contact(s)" in dialogs[0]
    page.locator("#hygiene-candidates", has_text="Sunset candidates: 0").wait_for()
    page.locator("#hygiene-runs").get_by_role("button", name="Revert").click()
    page.locator("#hygiene-result", has_text="Lifted 2, skipped 0").wait_for()
    page.locator("#hygiene-candidates", has_text="Sunset candidates: 2").wait_for()
    assert page.locator("#hygiene-runs button.revert").count() == 0


def test_a_read_only_key_gets_no_sunset_button(console: tuple[Live, Any], page: Any) -> None:
    live, _sink = console
    live.create_tenant("acme")
    scenario_49(live.container, "acme", live.advance)
    token = admin(live, "POST", "/tokens", json={"label": "ro", "scopes": ["admin-read"]})["token"]
    sign_in(page, live, token)
    page.get_by_role("link", name="List hygiene").click()
    page.locator("#hygiene-candidates", has_text="Sunset candidates: 2").wait_for()
    assert page.locator("#hygiene-sunset button").count() == 0
