"""The broadcasts page in a real browser: create with a segment, count and confirm (the
count shown on the button), schedule, the fan-out, pause, resume and cancel (a screenshot)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.settings import Settings
from tests.support.console import Console
from tests.support.flows import acme_fixture
from tests.support.live import Live, live_server
from tests.ui.conftest import shot
from tests.ui.test_console_ui import sign_in

pytestmark = [pytest.mark.ui, pytest.mark.e2e]


@pytest.fixture
def broadcasts_live(tmp_path: Path) -> Iterator[Live]:
    settings = Settings.from_env({}, data_dir=tmp_path / "data", projection_poll_seconds=0.05)
    with live_server(settings) as live:
        yield live


def fan_out(live: Live) -> None:
    live.container.run_broadcasts()
    live.container.catch_up(["broadcasts", "sends"])


def test_create_confirm_schedule_pause_resume_cancel(broadcasts_live: Live, page: Any) -> None:
    live, console = broadcasts_live, Console(broadcasts_live)
    console.tenant("acme")
    acme_fixture(live.container, "acme", create=False)
    rows = [{"externalId": f"u{i}", "email": f"u{i}@ex.test", "tags": ["vip"] if i <= 3 else []}
            for i in range(1, 6)]
    assert console.admin("POST", "/contacts/import",
                         json={"contacts": rows, "subscribe": {"source": "test"}}).status_code == 200

    sign_in(page, live)
    page.get_by_role("link", name="Broadcasts").click()
    page.wait_for_url("**/admin#/broadcasts")
    form = page.locator("#broadcast-create")
    form.get_by_label("Slug").fill("spring")
    form.get_by_label("Name").fill("Spring sale")
    form.get_by_label("Template").fill("news")
    form.get_by_label("Segment (JSON)").fill('{"tag": "vip"}')
    form.get_by_role("button", name="Create").click()
    page.wait_for_url("**/admin#/broadcasts/spring")
    page.locator("#broadcast-summary .status.draft").wait_for()
    page.get_by_role("button", name="Count recipients").click()
    page.locator("#broadcast-count", has_text="3 recipients").wait_for()
    page.get_by_role("button", name="Confirm 3 recipients").click()
    page.locator("#broadcast-result", has_text="Confirmed 3 recipients.").wait_for()
    page.get_by_label("Send at (UTC)").fill("2020-01-01T00:00")  # past: the next tick (the clock is fake)
    page.get_by_role("button", name="Schedule").click()
    page.locator("#broadcast-result", has_text="Scheduled.").wait_for()
    fan_out(live)
    page.reload()
    page.locator("#broadcast-summary .status.sent").wait_for()
    page.locator("#broadcast-stats", has_text="total 3").wait_for()
    page.get_by_role("button", name="Pause").click()  # sent, sends still queued: pausable
    page.locator("#broadcast-summary", has_text="paused: manual").wait_for()
    page.locator("#broadcast-stats", has_text="held 3").wait_for()
    shot(page, "broadcasts")
    page.get_by_role("button", name="Resume").click()
    page.locator("#broadcast-result", has_text="Resumed.").wait_for()
    fan_out(live)
    page.reload()
    page.locator("#broadcast-summary .status.sent").wait_for()
    page.get_by_role("button", name="Cancel").click()
    page.locator("#broadcast-result", has_text="Cancelled 3 sends.").wait_for()
    page.locator("#broadcast-summary .status.cancelled").wait_for()
    page.get_by_role("link", name="Broadcasts").click()
    page.locator("#broadcasts-list tr", has_text="spring").locator(".status.cancelled").wait_for()
