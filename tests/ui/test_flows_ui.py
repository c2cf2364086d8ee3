"""The flows page in a real browser: the list with stats, one flow paused with its runs held,
then resumed, and its runs filtered by status (with a screenshot)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.campaigns.flow_effects import ContainerFlowEffects
from adapters.campaigns.flow_worker import FlowWorker
from adapters.settings import Settings
from tests.support.console import Console
from tests.support.flows import acme_fixture
from tests.support.live import Live, live_server
from tests.ui.conftest import shot
from tests.ui.test_console_ui import sign_in

pytestmark = [pytest.mark.ui, pytest.mark.e2e]


@pytest.fixture
def flows_live(tmp_path: Path) -> Iterator[Live]:
    settings = Settings.from_env({}, data_dir=tmp_path / "data", projection_poll_seconds=0.05)
    with live_server(settings) as live:
        yield live


def test_pause_with_held_runs_then_resume(flows_live: Live, page: Any) -> None:
    live, console = flows_live, Console(flows_live)
    console.tenant("acme")
    acme_fixture(live.container, "acme", create=False)
    call = console.admin
    assert (
        call(
            "POST",
            "/flows",
            json={"slug": "welcome", "name": "Welcome", "trigger": {"type": "event", "eventName": "Signup"}},
        ).status_code
        == 201
    )
    steps = [{"type": "wait", "value": 1, "unit": "days"}, {"type": "send", "templateSlug": "news"}]
    assert call("PATCH", "/flows/welcome/draft", json={"steps": steps}).status_code == 200
    assert call("POST", "/flows/welcome/publish", json={}).status_code == 200
    live.advance(1)
    for ext in ("u1", "u2"):
        call("PUT", f"/contacts/{ext}", json={"email": f"{ext}@ex.test"})
        call("POST", f"/contacts/{ext}/subscribe", json={"source": "test"})
        call("POST", "/events", json={"name": "Signup", "externalId": ext, "dedupeKey": f"k-{ext}"})
    FlowWorker(live.container, effects=ContainerFlowEffects(live.container)).drain()
    live.container.catch_up(["flows"])

    sign_in(page, live)
    page.get_by_role("link", name="Flows").click()
    page.wait_for_url("**/admin#/flows")
    row = page.locator("#flows-list tr", has_text="welcome")
    row.locator(".status.enabled").wait_for()
    assert "event Signup (once)" in row.inner_text()
    row.click()
    page.locator("#flow-summary", has_text="2 active").wait_for()
    page.locator("#flow-steps li[data-path='1']", has_text="send news").wait_for()
    page.get_by_label("hold runs").check()
    page.get_by_role("button", name="Pause").click()
    page.locator("#flow-result", has_text="Flow paused.").wait_for()
    page.locator("#flow-summary", has_text="runs held").wait_for()
    page.locator("#flow-runs .status.held").first.wait_for()
    assert page.locator("#flow-runs .status.held").count() == 2
    shot(page, "flows")
    page.get_by_role("button", name="Resume").click()
    page.locator("#flow-result", has_text="Flow resumed.").wait_for()
    page.locator("#flow-summary .status.enabled").wait_for()
    page.locator("#flow-runs-status").select_option("held")
    page.locator("#flow-runs", has_text="Nothing here yet.").wait_for()
    page.locator("#flow-runs-status").select_option("active")
    page.locator("#flow-runs .status.active").nth(1).wait_for()
    assert page.locator("#flow-runs .status.active").count() == 2
