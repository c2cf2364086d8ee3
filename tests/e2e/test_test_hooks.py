"""``POST /_test/drain`` (console.md §1.6): everything due runs until nothing is, then it answers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.live import ADMIN, Live

pytestmark = pytest.mark.e2e


def message(client_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": client_id, "account_id": "sink", "from": "a@acme.test", "to": "u@dest.test",
            "subject": "s", "body": "b", **extra}


def test_drain_sends_what_is_due_and_leaves_what_is_not(live: Live, smtp_sink: Any) -> None:
    sink = smtp_sink()
    key = live.create_tenant("acme")
    account = {"id": "sink", "host": sink.host, "port": sink.port, "use_tls": False}
    assert live.call("POST", "/account", key, json=account).status_code == 201
    later = live.advance(0) + 3600
    batch = [message("m1"), message("m2"), message("m3", deferred_ts=later)]
    assert live.call("POST", "/commands/add-messages", key, json={"messages": batch}).status_code == 200
    done = live.call("POST", "/_test/drain", ADMIN, json={})
    assert done.status_code == 200 and done.json()["idle"] is True, done.text
    # the answer comes after the outcomes are recorded and projected, not merely after SMTP
    assert len(sink.messages) == 2
    statuses = {c: live.call("GET", f"/messages/{c}", key).json()["status"] for c in ("m1", "m2", "m3")}
    assert statuses == {"m1": "sent", "m2": "sent", "m3": "deferred"}
    live.advance(3601)
    assert live.call("POST", "/_test/drain", ADMIN, json={"maxSeconds": 20}).json()["idle"] is True
    assert len(sink.messages) == 3


def test_drain_is_for_admins_and_checks_its_input(live: Live) -> None:
    key = live.create_tenant("acme")
    assert live.call("POST", "/_test/drain", key, json={}).status_code == 403
    bad = live.call("POST", "/_test/drain", ADMIN, json={"maxSeconds": 0})
    assert bad.status_code == 400 and bad.json()["error"] == "validation_failed"
    assert live.call("POST", "/_test/drain", ADMIN, json={"rounds": 1}).status_code == 422  # ADR 0005
