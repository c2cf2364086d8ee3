"""Stop rules and pauses with real sending: the dispatcher and a loopback SMTP sink, a
manual clock, both backends (console.md §9.2, §17 #37, #38)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.bootstrap import bootstrap
from adapters.campaigns import broadcast_ops as ops
from adapters.console_outcomes import apply_outcomes
from adapters.settings import Settings
from application.base import CommandMeta
from domain.sending.ids import message_uuid
from tests.support.broadcasts import Harness, ManualClock
from tests.support.live import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def sending(settings: Settings, smtp_sink: Any) -> Iterator[tuple[Harness, Any]]:
    sink, clock = smtp_sink(), ManualClock()
    c = bootstrap(settings, create_tables=True, clock=clock)
    c.tenancy.initialise_instance()
    h = Harness(c, clock, smtp=(sink.host, sink.port))
    c.start_dispatcher()
    yield h, sink
    c.close()


def statuses(h: Harness, slug: str = "b") -> dict[str, int]:
    out: dict[str, int] = {}
    for s in h.sends(slug):
        out[s["status"]] = out.get(s["status"], 0) + 1
    return out


def minute(h: Harness) -> None:
    h.clock.advance(60)
    h.c.dispatch_hub.wake()


def test_pause_after_two_then_resume_sends_all(sending: tuple[Harness, Any]) -> None:  # scenario 37
    h, sink = sending
    h.contacts([f"u{i}" for i in range(1, 11)])
    h.create(rate_per_minute=1)
    h.start()
    h.drain()
    eventually(lambda: statuses(h).get("sent") == 1)
    minute(h)
    eventually(lambda: statuses(h).get("sent") == 2)
    ops.pause(h.c, "acme", "b", "looks wrong")
    assert statuses(h) == {"sent": 2, "held": 8}
    for _ in range(10):
        minute(h)
    h.c.dispatch_hub.wake()
    assert statuses(h) == {"sent": 2, "held": 8} and len(sink.messages) == 2
    ops.resume(h.c, "acme", "b", None, None)
    h.drain()
    h.c.dispatch_hub.wake()
    eventually(lambda: statuses(h).get("sent") == 10)
    assert len({m.rcpt_to[0] for m in sink.messages}) == 10


def test_hard_bounces_breach_pause_and_resume_starts_a_fresh_sample(
        sending: tuple[Harness, Any]) -> None:  # scenario 38
    h, _ = sending
    h.contacts([f"u{i:02d}" for i in range(1, 31)])
    h.create(rate_per_minute=10, stop_rules={"minSample": 10})
    h.start()
    h.drain()
    eventually(lambda: statuses(h).get("sent") == 10)
    sent = [s["dedupe_key"] for s in h.sends() if s["status"] == "sent"][:2]
    at = h.clock.now()
    items = [{"id": f"e{i}", "type": "bounce", "messageId": str(message_uuid("acme", key)), "occurredAt": at,
              "bounce": {"code": "5.1.1"}} for i, key in enumerate(sent)]
    apply_outcomes(h.c, "acme", "mta", items, CommandMeta(actor="admin"))
    h.c.catch_up(["sends"])
    h.drain()
    b = h.broadcast()
    assert (b.status, b.pause_reason["code"]) == ("paused", "stop_rule")
    assert statuses(h) == {"sent": 8, "bounced": 2, "held": 20}
    h.c.catch_up(["audit"])
    found = [e for e in _audit(h) if e["action"] == "broadcast.auto_pause"]
    assert found and found[0]["actor"] == "system:stop-rules"
    ops.resume(h.c, "acme", "b", None, None)
    for _ in range(3):
        minute(h)
    h.drain()
    eventually(lambda: statuses(h).get("sent") == 28)
    h.c.catch_up(["sends"])
    h.drain()
    assert h.broadcast().status == "sent"


def _audit(h: Harness) -> list[dict[str, Any]]:
    view: Any = h.c.projections["audit"].view
    with h.c.db.transaction(write=False) as tx:
        rows = tx.execute(f"SELECT action, actor FROM {view.t('audit')} WHERE tenant_id = ?", ("acme",))
    return [{"action": a, "actor": b} for a, b in rows]
