"""Delivery reports through the running server (proxy.md §8, scenarios 42-43): the reporter
thread of ``serve``, ``GET /tenants/sync-status`` and run-now, against a real client app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.client_app import Answer, ClientApp, client_app
from tests.support.dispatch import wait_until
from tests.support.live import Live

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(live: Live) -> Iterator[ClientApp]:
    with client_app() as app:
        live.create_tenant("acme", client_base_url=app.url, client_auth={"method": "bearer", "token": "cb"})
        live.create_tenant("beta")
        live.container.start_reporter()
        yield app


def states(live: Live) -> dict[str, dict[str, Any]]:
    answer = live.admin("GET", "/tenants/sync-status")
    assert answer.status_code == 200, answer.text
    return {t["id"]: t for t in answer.json()["tenants"]}


def test_heartbeat_sync_status_dnd_and_run_now(live: Live, app: ClientApp) -> None:
    assert app.quiet(1.5) == []
    now = live.advance(300)
    [beat] = app.wait_for(1, timeout=5)
    assert beat.json == {"reports": []} and beat.headers["authorization"] == "Bearer cb"
    acme = wait_until(lambda: (s := states(live)["acme"])["last_status"] and s, what="the ack")
    assert (acme["last_status"], acme["consecutive_failures"], acme["pending_reports"]) == (200, 0, 0)
    assert acme["next_sync_due"] is False and acme["in_dnd"] is False
    assert abs(acme["last_sync_ts"] - now) < 1
    beta = states(live)["beta"]
    assert beta["last_status"] is None and beta["next_sync_due"] is False
    app.answer(Answer(200, {"ok": True, "next_sync_after": now + 3900}))
    live.advance(300)
    app.wait_for(2, timeout=5)
    wait_until(lambda: states(live)["acme"]["in_dnd"], what="DND")
    live.advance(300)
    assert app.quiet(1.5) == []  # DND: no heartbeat although one is due
    answer = live.admin("POST", "/commands/run-now", json={"tenant_id": "acme"})
    assert answer.status_code == 200, answer.text
    assert states(live)["acme"]["in_dnd"] is False  # run-now answered after the view had it
    app.wait_for(3, timeout=5)
    acme = wait_until(lambda: (s := states(live)["acme"])["next_sync_due"] is False and s, what="the ack")
    assert acme["dnd_until"] is None and acme["last_status"] == 200
