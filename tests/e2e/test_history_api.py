"""GET /admin/api/history/...: a recorded run over HTTP, replayed as of the times it was observed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.live import Live, eventually

pytestmark = pytest.mark.e2e


def M(x: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": x,
        "account_id": "smtp1",
        "from": "a@acme.test",
        "to": "u@dest.test",
        "subject": "s",
        "body": "b",
        **extra,
    }


@pytest.fixture
def acme(live_dispatching: Live, smtp_sink: Any) -> tuple[Live, str]:
    sink = smtp_sink()
    live = live_dispatching
    key = live.create_tenant("acme")
    answer = live.call(
        "POST",
        "/account",
        key,
        json={
            "id": "smtp1",
            "host": sink.host,
            "port": sink.port,
            "use_tls": False,
            "password": "pw-hidden-1",
        },
    )
    assert answer.status_code == 201, answer.text
    return live, key


def observe(live: Live, key: str) -> dict[str, Any]:
    """What a client saw at this moment: GET /messages, the history state, the clock."""
    return {
        "message": live.call("GET", "/messages/m1", key).json(),
        "history": live.call("GET", "/admin/api/history/messages/m1", key).json(),
        "now": live.advance(0),
    }


def test_as_of_replay_over_http_equals_what_was_observed(acme: tuple[Live, str]) -> None:
    live, key = acme
    now = live.advance(0)
    accepted = live.call(
        "POST", "/commands/add-messages", key, json={"messages": [M("m1", deferred_ts=now + 60)]}
    ).json()
    pk = accepted["accepted"][0]["pk"]
    early = observe(live, key)
    assert early["message"]["status"] == "deferred" and early["history"]["state"]["status"] == "deferred"
    live.advance(61)
    eventually(lambda: live.call("GET", "/messages/m1", key).json()["status"] == "sent", timeout=30)
    late = observe(live, key)
    for seen in (early, late):
        base = f"/admin/api/history/aggregates/{pk}"
        by_position = live.call(
            "GET", base, key, params={"as_of_position": seen["history"]["position"]}
        ).json()
        by_time = live.call("GET", base, key, params={"as_of_ts": seen["now"]}).json()
        assert by_position["state"] == by_time["state"] == seen["history"]["state"]
        assert by_position["state"]["status"] == seen["message"]["status"]
        assert by_position["tenantId"] == "acme" and by_position["type"] == "Message"
    steps = live.call("GET", f"/admin/api/history/aggregates/{pk}/transitions", key).json()["transitions"]
    assert [s["topic"] for s in steps] == ["Message.Queued", "Message.AttemptStarted", "Message.Sent"]
    assert steps[0]["actor"] == "tenant:acme" and steps[0]["commandId"]
    assert steps[-1]["changes"]["status"] == {"before": "sending", "after": "sent"}
    full = live.call("GET", f"/admin/api/history/aggregates/{pk}/transitions", key, params={"full": "true"})
    assert full.json()["transitions"][-1]["after"] == late["history"]["state"]


def test_scoping_errors_and_views(acme: tuple[Live, str]) -> None:
    live, key = acme
    other = live.create_tenant("bravo")
    pk = live.call("POST", "/commands/add-messages", key, json={"messages": [M("m1")]}).json()["accepted"][0][
        "pk"
    ]
    path = f"/admin/api/history/aggregates/{pk}"
    assert live.call("GET", path, key).status_code == 200
    assert live.admin("GET", path).status_code == 200
    foreign = live.call("GET", path, other)
    assert foreign.status_code == 404 and foreign.json()["error"] == "not_found"
    assert live.call("GET", path, None).status_code == 401
    bad = live.call("GET", "/admin/api/history/aggregates/not-a-uuid", key)
    assert bad.status_code == 400 and bad.json()["error"] == "bad_id"
    wrong = live.call("GET", path, key, params={"as_of_position": "x"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "validation_failed"
    assert live.call("GET", path, key, params={"as_of_ts": "yesterday"}).status_code == 400
    assert live.call("GET", path, key, params={"as_of_ts": "2000-01-01T00:00:00Z"}).status_code == 404
    assert live.admin("GET", "/admin/api/history/messages/m1").json()["error"] == "tenant_required"
    account = live.call("GET", "/admin/api/history/aggregates/" + _account_id(), key).json()
    assert account["state"]["settings"]["password"].startswith("enc:v1:")  # secrets stay encrypted
    assert live.call("GET", "/admin/api/history/views/messages", key).status_code == 403
    view = live.admin("GET", "/admin/api/history/views/messages", params={"limit": "1"}).json()
    assert view["tables"]["messages"]["total"] >= 1 and len(view["tables"]["messages"]["rows"]) == 1
    empty = live.admin("GET", "/admin/api/history/views/messages", params={"positions": "sending:0"}).json()
    assert empty["tables"]["messages"]["total"] == 0
    assert live.admin("GET", "/admin/api/history/views/nosuch").status_code == 404
    assert (
        live.admin("GET", "/admin/api/history/views/messages", params={"positions": "nowhere:3"}).status_code
        == 400
    )
    at = live.admin("GET", "/admin/api/history/positions", params={"as_of_ts": live.advance(0)}).json()
    assert at["positions"]["sending"] >= 1


def _account_id() -> str:
    from domain.tenancy.ids import account_uuid

    return str(account_uuid("acme", "smtp1"))
