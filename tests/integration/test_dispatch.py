"""The dispatcher end to end on both backends: a real SMTP sink, the ``messages`` view, the fake
clock (spec proxy.md §6, §17 scenarios 10, 18-22)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from adapters.settings import Settings
from tests.support.dispatch import DispatchRig, M, open_rig
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration


@pytest.fixture
def rig(settings: Settings, smtp_sink: Callable[..., SmtpSink]) -> Iterator[DispatchRig]:
    with open_rig(settings, smtp_sink()) as rig:
        yield rig


def test_delivers_one_mail_with_its_headers(rig: DispatchRig) -> None:
    result = rig.queue(M("m1"))
    rig.start()
    message = rig.wait_status("m1", "sent")
    [mail] = rig.sink.wait_for_messages(1)
    headers = mail.message
    assert (headers["From"], headers["To"], headers["Subject"]) == ("a@acme.test", "u@dest.test", "s")
    assert headers["Message-ID"] == result.accepted[0].message_id == message.message_id
    assert headers["X-Ledgermail-Id"] == result.accepted[0].pk
    assert headers["Date"] == message.date
    assert mail.mail_from == "a@acme.test" and mail.rcpt_to == ["u@dest.test"]
    assert rig.history("m1") == ["queued", "attempt_started", "sent"]
    assert message.trail[1].worker_id == "w-test"  # type: ignore[attr-defined]


def test_priority_order_after_suspension(rig: DispatchRig) -> None:
    """Scenario 18: one at a time (max_concurrency 1), in priority then arrival order."""
    rig.account(max_concurrency=1)
    rig.c.tenancy.suspend("acme", None)
    for client_id, priority in (("L", "low"), ("Md", 2), ("H", "high"), ("I", 0), ("Md2", "medium")):
        rig.queue(M(client_id, priority=priority))
        rig.advance(1)  # arrival order is accepted_ts: a frozen clock would leave ties to the pk
    rig.start()
    for client_id in ("L", "Md", "H", "I", "Md2"):
        assert rig.wait_view(client_id, "pending").held_by == "tenant_suspended"
    rig.idle_cycles()
    assert rig.sink.messages == []
    rig.c.tenancy.activate("acme", None)
    mails = rig.sink.wait_for_messages(5)
    assert [m.message["X-Ledgermail-Id"] for m in mails] == [
        str(rig.message(c).id) for c in ("I", "H", "Md", "Md2", "L")]


def test_batch_suspension_holds_only_that_batch(rig: DispatchRig) -> None:
    """Scenario 20: the NL batch waits, the unbatched message goes; activating NL sends it."""
    rig.c.tenancy.suspend("acme", "NL")
    rig.queue(M("nl", batch_code="NL"), M("plain"))
    rig.start()
    rig.wait_status("plain", "sent")
    assert rig.wait_view("nl", "pending").held_by == "batch_suspended"
    rig.idle_cycles()
    assert rig.message("nl").status == "pending"
    rig.c.tenancy.activate("acme", "NL")
    rig.wait_status("nl", "sent")
    assert len(rig.sink.messages) == 2


def test_scheduled_message_waits_for_its_time(rig: DispatchRig) -> None:
    """Scenario 19: deferred_ts now+120 is deferred/scheduled; a wake-up sends nothing; at +121 it goes."""
    rig.queue(M("m1", deferred_ts=rig.now() + 120))
    rig.start()
    row = rig.wait_view("m1", "deferred")
    assert row.deferred_reason == "scheduled"
    rig.idle_cycles()
    assert rig.sink.messages == []
    rig.advance(121)
    rig.wait_status("m1", "sent")
    assert rig.history("m1") == ["queued", "attempt_started", "sent"]


def test_inactive_tenant_holds_until_active(rig: DispatchRig) -> None:
    """Scenario 22: an inactive tenant's mail waits, whatever the clock does."""
    rig.c.tenancy.update_tenant("acme", {"active": False})
    rig.queue(M("m11"))
    rig.start()
    assert rig.wait_view("m11", "pending").held_by == "tenant_inactive"
    rig.advance(600)
    rig.idle_cycles()
    assert rig.sink.messages == []
    rig.c.tenancy.update_tenant("acme", {"active": True})
    rig.wait_status("m11", "sent")


def test_concurrency_per_account_is_bounded(rig: DispatchRig) -> None:
    """Scenario 31: max_concurrency 2 and slow DATA: never more than 2 sessions at once, FIFO."""
    rig.account(max_concurrency=2)
    rig.sink.stall("DATA", seconds=0.2, times=None)
    for i in range(6):
        rig.queue(M(f"m{i}"))
        rig.advance(1)
    rig.start()
    mails = rig.sink.wait_for_messages(6, timeout=15)
    assert rig.sink.max_transactions <= 2
    assert rig.sink.connections <= 5
    order = [m.message["X-Ledgermail-Id"] for m in mails]
    expected = [str(rig.message(f"m{i}").id) for i in range(6)]
    # claimed in queue order; two in flight at once may arrive either way round
    assert all(abs(order.index(pk) - i) <= 1 for i, pk in enumerate(expected))
