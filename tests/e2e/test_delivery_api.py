"""From add-messages to the SMTP server and back to GET /messages (scenarios 10, 17, 19, 25, 46)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.live import Live, eventually

pytestmark = pytest.mark.e2e


def M(x: str, **extra: Any) -> dict[str, Any]:
    return {"id": x, "account_id": "smtp1", "from": "a@acme.test", "to": "u@dest.test", "subject": "s",
            "body": "b", **extra}


@pytest.fixture
def acme(live_dispatching: Live, smtp_sink: Any) -> tuple[Live, str, Any]:
    sink = smtp_sink()
    live = live_dispatching
    ka = live.create_tenant("acme")
    answer = live.call("POST", "/account", ka, json={"id": "smtp1", "host": sink.host, "port": sink.port,
                                                     "use_tls": False})
    assert answer.status_code == 201, answer.text
    return live, ka, sink


def status_of(live: Live, key: str, client_id: str) -> str:
    return str(live.call("GET", f"/messages/{client_id}", key).json()["status"])


def test_a_queued_message_arrives_with_its_headers(acme: tuple[Live, str, Any]) -> None:
    live, ka, sink = acme
    accepted = live.call("POST", "/commands/add-messages", ka, json={"messages": [M("m1")]}).json()
    pk, message_id = accepted["accepted"][0]["pk"], accepted["accepted"][0]["message_id"]
    mail = sink.wait_for_messages(1)[0].message
    assert mail["Message-ID"] == message_id and mail["X-Ledgermail-Id"] == pk
    assert mail["From"] == "a@acme.test" and mail["To"] == "u@dest.test" and mail["Subject"] == "s"
    assert mail["Date"]
    eventually(lambda: status_of(live, ka, "m1") == "sent")
    one = live.call("GET", "/messages/m1", ka).json()
    assert [h["type"] for h in one["history"]] == ["queued", "attempt_started", "sent"]
    again = live.call("POST", "/commands/add-messages", ka, json={"messages": [M("m1")]}).json()
    assert again["queued"] == 0 and again["rejected"][0]["reason"] == "already_sent"
    gone = live.call("POST", "/commands/delete-messages", ka, json={"ids": ["m1"]}).json()
    assert gone["not_removable"] == [{"id": "m1", "status": "sent"}]
    assert live.call("GET", "/status", ka).json()["pending_messages"] == 0
    metrics = live.call("GET", "/metrics", None).text
    assert 'ledgermail_sent_total{account_id="smtp1",tenant_id="acme"} 1.0' in metrics


def test_scheduled_messages_wait_for_the_clock(acme: tuple[Live, str, Any]) -> None:
    live, ka, sink = acme
    now = live.advance(0)
    live.call("POST", "/commands/add-messages", ka, json={"messages": [M("m2", deferred_ts=now + 120)]})
    one = live.call("GET", "/messages/m2", ka).json()
    assert (one["status"], one["deferred_reason"]) == ("deferred", "scheduled")
    live.call("POST", "/commands/run-now", ka)
    time.sleep(0.5)  # a negative check: give a wrongly eager dispatcher the chance to send
    assert sink.messages == []
    live.advance(121)
    sink.wait_for_messages(1)
    eventually(lambda: status_of(live, ka, "m2") == "sent")


def test_a_permanent_refusal_fails_the_message(acme: tuple[Live, str, Any]) -> None:
    live, ka, sink = acme
    sink.reply("RCPT", "550 5.1.1 user unknown", times=None)
    live.call("POST", "/commands/add-messages", ka, json={"messages": [M("m3")]})
    eventually(lambda: status_of(live, ka, "m3") == "error")
    one = live.call("GET", "/messages/m3", ka).json()
    assert one["error_code"] == "smtp_permanent" and one["attempts"] == 1
    assert one["error"].startswith("SMTP 550")
