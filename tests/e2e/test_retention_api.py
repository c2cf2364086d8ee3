"""Reported times, unreported counts and retention through the running server, as ``serve``
runs it (dispatcher, reporter and retention job threads): scenarios 40 and 45."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.client_app import Answer, ClientApp, client_app
from tests.support.live import Live, eventually

pytestmark = pytest.mark.e2e
WEEK = 604_800


def M(x: str, **extra: Any) -> dict[str, Any]:
    return {"id": x, "account_id": "smtp1", "from": "a@acme.test", "to": "u@dest.test", "subject": "s",
            "body": "b", **extra}


@pytest.fixture
def acme(live_dispatching: Live, smtp_sink: Any) -> Iterator[tuple[Live, str, ClientApp]]:
    sink = smtp_sink()
    live = live_dispatching
    with client_app() as app:
        ka = live.create_tenant("acme", client_base_url=app.url,
                                client_auth={"method": "bearer", "token": "cb"})
        answer = live.call("POST", "/account", ka, json={"id": "smtp1", "host": sink.host, "port": sink.port,
                                                         "use_tls": False})
        assert answer.status_code == 201, answer.text
        live.container.start_reporter()
        live.container.start_retention(poll_seconds=0.1)
        yield live, ka, app


def add(live: Live, key: str, *messages: dict[str, Any]) -> dict[str, Any]:
    answer = live.call("POST", "/commands/add-messages", key, json={"messages": list(messages)})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def one(live: Live, key: str, client_id: str) -> dict[str, Any]:
    answer = live.call("GET", f"/messages/{client_id}", key)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def reported(live: Live, key: str, client_id: str) -> dict[str, Any]:
    """The message once it is sent and its ``sent`` item acknowledged."""
    return eventually(lambda: (m := one(live, key, client_id))["status"] == "sent"  # type: ignore[no-any-return]
                      and m["unreported_reports"] == 0 and m)


def listed(live: Live, key: str) -> list[str]:
    return [m["id"] for m in live.call("GET", "/messages", key).json()["messages"]]


def test_reported_ts_and_unreported_reports_follow_the_client(acme: tuple[Live, str, ClientApp]) -> None:
    live, ka, app = acme  # scenario 40, read through GET /messages
    app.answer(Answer(500, {"ok": False}), Answer(200, "ok"))
    add(live, ka, M("m1"))
    app.wait_for(1)
    m1 = eventually(lambda: (m := one(live, ka, "m1"))["status"] == "sent" and m["unreported_reports"] == 1
                    and live.admin("GET", "/tenants/sync-status").json()["tenants"][0]["last_status"] == 500
                    and m)
    assert [h["reported_ts"] for h in m1["history"]] == [None, None, None]
    [row] = live.call("GET", "/messages", ka).json()["messages"]
    assert row["unreported_reports"] == 1
    now = live.advance(6)
    m1 = reported(live, ka, "m1")
    queued, started, sent = m1["history"]
    assert queued["reported_ts"] is None and started["reported_ts"] is None  # never reportable
    assert sent["reported_ts"] == now
    listing = live.call("GET", "/messages?include_history=true", ka).json()["messages"]
    assert listing[0]["unreported_reports"] == 0 and listing[0]["history"][2]["reported_ts"] == now


def test_scenario_45_cleanup_and_automatic_retention(acme: tuple[Live, str, ClientApp]) -> None:
    live, ka, _ = acme
    assert live.call("POST", "/commands/suspend?batch_code=HOLD", ka).status_code == 200
    add(live, ka, M("m1"), M("m18", batch_code="HOLD"))
    reported(live, ka, "m1")
    answer = live.call("POST", "/commands/cleanup-messages", ka, json={"older_than_seconds": 0})
    assert answer.status_code == 200 and answer.json() == {"ok": True, "removed": 1}
    assert listed(live, ka) == ["m18"]
    m1 = one(live, ka, "m1")
    assert m1["purged"] is True and m1["status"] == "sent" and m1["unreported_reports"] == 0
    assert [h["type"] for h in m1["history"]] == ["queued", "attempt_started", "sent"]
    assert m1["history"][2]["reported_ts"] is not None  # kept through the purge
    again = add(live, ka, M("m1"))
    assert again["queued"] == 0 and again["rejected"][0]["reason"] == "already_sent"
    add(live, ka, M("m19"))
    reported(live, ka, "m19")
    assert sorted(listed(live, ka)) == ["m18", "m19"]
    live.advance(WEEK + 601)
    eventually(lambda: listed(live, ka) == ["m18"])  # the retention job ran on the moved clock
    assert one(live, ka, "m19")["purged"] is True
