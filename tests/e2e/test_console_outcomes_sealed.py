"""A console send's bounce, complaint and SMTP reply keep no clear address (console.md §2.4,
issue #7, ADR 0031): sealed with the contact's key, hashed for the suppression, cut from
the texts; after a forget no table holds the address, and the hash-only suppression still
refuses the address. Both backends, the real dispatcher, a loopback SMTP sink, and a real
ARF report through ``POST /bounces/inbound``."""

from __future__ import annotations

from typing import Any

import pytest

from application.sending.personal import REDACTED
from domain.sending.ids import message_uuid
from tests.e2e.test_console_recipe import console, every_table_text, send_of, stored_states
from tests.support.bounce_mail import arf
from tests.support.console import Console
from tests.support.live import eventually

pytestmark = pytest.mark.e2e
__all__ = ["console"]  # the fixture, shared with the recipe tests
REFUSAL = "550 5.1.1 <Bea@Ex.test>: Recipient address rejected: User unknown in virtual mailbox table"


def send(c: Console, external_id: str, key: str) -> str:
    answer = c.admin("POST", "/sends", json={"templateSlug": "code", "externalId": external_id,
                                             "dedupeKey": key, "vars": {"code": "C-1"}})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["sendId"])


def events_of(c: Console, client_id: str) -> dict[str, Any]:
    message = c.live.container.sending.repository.get(message_uuid("acme", client_id))
    return {type(e).__name__: e for e in message.trail}


def suppression_reasons(c: Console) -> list[str]:
    return sorted(r["reason"] for r in c.admin("GET", "/suppressions").json()["suppressions"])


def test_outcomes_are_sealed_and_a_forget_leaves_only_the_hash(console: tuple[Console, Any]) -> None:
    c, sink = console
    c.admin("PUT", "/contacts/bea", json={"email": "bea@ex.test", "fields": {"first": "Bea"}})
    c.admin("PUT", "/contacts/cy", json={"email": "cy@ex.test", "fields": {"first": "Cy"}})
    sink.reply("RCPT", REFUSAL, address="bea@ex.test")
    bounced = send(c, "bea", "b1")
    assert eventually(lambda: send_of(c, bounced)["status"] in ("bounced", "failed"))
    delivered = send(c, "cy", "c1")
    mail = sink.wait_for_messages(1)[0]
    assert mail.rcpt_to == ["cy@ex.test"]
    report = arf("abuse", "cy@ex.test", ledgermail_id=mail.message["X-Ledgermail-Id"])
    answer = c.live.call("POST", "/bounces/inbound", "admin-test-token", content=report,
                         headers={"Content-Type": "message/rfc822"})
    assert answer.status_code in (200, 201, 202), answer.text
    assert eventually(lambda: suppression_reasons(c) == ["complaint", "hard_bounce"])

    # sealed in the log, hashed for the suppression, and the server's quote of it cut out
    bounce, failure = events_of(c, "oneoff:b1")["Bounced"], events_of(c, "oneoff:b1")["Failed"]
    assert bounce.recipient.startswith("enc:c1:") and bounce.recipient_key
    assert REDACTED in bounce.reason and "bea" not in bounce.reason.lower()
    assert "bea" not in failure.error.lower()
    complaint = events_of(c, "oneoff:c1")["Complained"]
    assert complaint.recipient.startswith("enc:c1:") and complaint.recipient_key
    leaks = [s for s in stored_states(c) if b"bea@ex.test" in s.lower() or b"cy@ex.test" in s.lower()]
    assert not leaks, leaks
    assert send_of(c, delivered)["status"] == "complained"
    detail = c.live.admin("GET", "/messages/oneoff:b1", params={"tenant_id": "acme"})
    assert detail.status_code == 200 and detail.json()["bounce"]["recipient"] is None

    for who in ("bea", "cy"):
        assert c.admin("POST", f"/contacts/{who}/forget", json={}).status_code in (200, 202)
    assert eventually(lambda: send_of(c, bounced)["email"] is None)
    c.live.container.catch_up(list(c.live.container.projections))
    stored = every_table_text(c).lower()
    for secret in (b"bea@ex.test", b"cy@ex.test"):
        assert secret not in stored, secret
    # the hash-only entries still refuse the address, whoever brings it back
    c.admin("PUT", "/contacts/bea2", json={"email": "BEA@ex.test", "fields": {"first": "B"}})
    again = c.admin("POST", "/sends", json={"templateSlug": "code", "externalId": "bea2", "dedupeKey": "b2",
                                            "vars": {"code": "C-2"}})
    assert again.status_code in (202, 409, 422) and again.json().get("status") != "queued", again.text
