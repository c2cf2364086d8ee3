"""The Health page in a real browser: a tripped bucket with its rates and reason, resume
from the page, the trips list; no resume buttons for a read-only key (with a screenshot)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.live import ADMIN, Live
from tests.ui.conftest import shot
from tests.ui.test_console_ui import sign_in

pytestmark = [pytest.mark.ui, pytest.mark.e2e]


def admin(live: Live, method: str, path: str, **kwargs: Any) -> Any:
    answer = live.call(method, f"/admin/api{path}", ADMIN, headers={"X-Tenant-Id": "acme"}, **kwargs)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def test_a_tripped_bucket_is_shown_and_resumed(console: tuple[Live, Any], page: Any) -> None:
    live, _sink = console
    live.create_tenant("acme")
    admin(
        live,
        "POST",
        "/health/trip",
        json={"senderDomain": "news.acme.test", "kind": "marketing", "reason": "provider complaint"},
    )
    sign_in(page, live)
    page.get_by_role("link", name="Health").click()
    page.wait_for_url("**/admin#/health")
    row = page.locator("#health-buckets tr", has_text="news.acme.test")
    row.locator(".status.tripped").wait_for()
    assert "provider complaint" in row.inner_text()
    page.locator("#health-summary", has_text="1 tripped").wait_for()
    shot(page, "health")
    row.get_by_role("button", name="Resume").click()
    page.locator("#health-result", has_text="Resumed 1 bucket(s)").wait_for()
    page.locator("#health-buckets tr", has_text="news.acme.test").locator(".status.healthy").wait_for()
    trips = page.locator("#health-trips tbody tr")
    assert trips.count() == 2 and "health.resume" in trips.first.inner_text()
    assert page.locator("#health-resume-all").count() == 0


def test_a_read_only_key_sees_no_resume_buttons(console: tuple[Live, Any], page: Any) -> None:
    live, _sink = console
    live.create_tenant("acme")
    admin(live, "POST", "/health/trip", json={"senderDomain": "news.acme.test", "reason": "manual stop"})
    token = admin(live, "POST", "/tokens", json={"label": "ro", "scopes": ["admin-read"]})["token"]
    sign_in(page, live, token)
    page.get_by_role("link", name="Health").click()
    page.locator("#health-buckets .status.tripped").first.wait_for()
    assert page.locator("#health-buckets button").count() == 0
    assert page.locator("#health-resume-all").count() == 0
