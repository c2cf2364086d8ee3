"""Rate limits at claim time: aligned windows, defer and reject, tenant-wide limits (spec
proxy.md §7; scenarios 32-34). The fake clock stands still, so a window stays full until the
test moves the clock across its boundary."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from adapters.settings import Settings
from application.sending.dispatch_outcomes import record_outcomes
from application.sending.dispatch_send import Outcome
from tests.support.dispatch import DispatchRig, M, open_rig, wait_until
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration
DAY = 86400


@pytest.fixture
def rig(settings: Settings, smtp_sink: Callable[..., SmtpSink]) -> Iterator[DispatchRig]:
    with open_rig(settings, smtp_sink()) as rig:
        # 10:00:05 UTC of the fake clock's day: the minute window ends at 10:01:00
        rig.set_clock(rig.now() // DAY * DAY + 10 * 3600 + 5)
        yield rig


def minute_end(rig: DispatchRig) -> float:
    return rig.now() // 60 * 60 + 60


def statuses(rig: DispatchRig, ids: list[str]) -> list[str]:
    return [rig.message(i).status for i in ids]


def test_a_full_minute_defers_until_the_next(rig: DispatchRig) -> None:
    """Scenario 32: limit 2/min, defer: 2 sent, the third deferred rate_limit until 10:01:00."""
    rig.account(limit_per_minute=2, limit_behavior="defer")
    ids = ["m1", "m2", "m3"]
    for client_id in ids:
        rig.queue(M(client_id))
        rig.advance(0.5)
    rig.start()
    third = rig.wait_status("m3", "deferred")
    assert (third.deferred_reason, third.deferred_until, third.retry_count) == (
        "rate_limit", minute_end(rig), 0)
    for client_id in ("m1", "m2"):  # outcomes may be saved in separate group commits
        rig.wait_status(client_id, "sent")
    assert statuses(rig, ids) == ["sent", "sent", "deferred"]
    rig.idle_cycles()
    assert len(rig.sink.messages) == 2
    rig.set_clock(minute_end(rig))
    rig.wait_status("m3", "sent")
    assert rig.history("m3") == ["queued", "deferred", "attempt_started", "sent"]


def test_a_deferring_limit_closes_the_account_until_the_window_ends(rig: DispatchRig) -> None:
    """Only the first message over the limit is deferred; the others get no event and wait."""
    rig.account(limit_per_minute=1)
    ids = [f"m{i}" for i in range(5)]
    for client_id in ids:
        rig.queue(M(client_id))
        rig.advance(0.5)
    rig.start()
    rig.wait_status("m1", "deferred")
    rig.wait_status("m0", "sent")
    rig.idle_cycles()
    assert statuses(rig, ids) == ["sent", "deferred", "pending", "pending", "pending"]
    assert rig.history("m2") == ["queued"]
    for sent in range(2, 6):
        rig.set_clock(minute_end(rig))
        wait_until(lambda n=sent: len(rig.sink.messages) == n, what=f"{sent} mails")
        rig.idle_cycles()
        assert len(rig.sink.messages) == sent  # never two in one minute


def test_a_rejecting_limit_fails_the_surplus(rig: DispatchRig) -> None:
    """Scenario 33: limit 2/min, reject: the third fails rate_limit_exceeded, never attempted."""
    rig.account(limit_per_minute=2, limit_behavior="reject")
    ids = ["m1", "m2", "m3"]
    for client_id in ids:
        rig.queue(M(client_id))
        rig.advance(0.5)
    rig.start()
    third = rig.wait_status("m3", "error")
    assert (third.error_code, third.attempts) == ("rate_limit_exceeded", 0)
    assert third.error is not None and "per minute 2" in third.error
    for client_id in ("m1", "m2"):  # outcomes may be saved in separate group commits
        rig.wait_status(client_id, "sent")
    assert statuses(rig, ids) == ["sent", "sent", "error"]
    rig.idle_cycles()
    assert len(rig.sink.messages) == 2


def test_a_tenant_limit_spans_its_accounts(rig: DispatchRig) -> None:
    """Scenario 34: tenant 3/min across two unlimited accounts: exactly 3 this minute."""
    rig.c.tenancy.update_tenant("acme", {"rate_limits": {"per_minute": 3}})
    rig.account("smtp2")
    for i in range(6):
        rig.queue(M(f"m{i}", account_id="smtp1" if i % 2 else "smtp2"))
        rig.advance(0.5)
    rig.start()
    wait_until(lambda: len(rig.sink.messages) == 3, what="3 mails")
    rig.wait_status("m3", "deferred")
    rig.idle_cycles()
    assert len(rig.sink.messages) == 3
    rig.set_clock(minute_end(rig))
    wait_until(lambda: len(rig.sink.messages) == 6, what="6 mails")
    assert sorted(rig.ids_at_sink()) == sorted(str(rig.message(f"m{i}").id) for i in range(6))


def test_hour_limit_defers_to_the_next_hour(rig: DispatchRig) -> None:
    """The latest boundary among the full windows: a full hour defers to the next hour."""
    rig.account(limit_per_minute=5, limit_per_hour=1)
    rig.queue(M("m1"), M("m2"))
    rig.start()
    second = rig.wait_status("m2", "deferred")
    assert second.deferred_until == rig.now() // 3600 * 3600 + 3600


def test_a_dead_workers_unfinished_send_still_counts_in_its_hour(rig: DispatchRig) -> None:
    """A worker saves its Sent and dies before releasing the lease. Once the lease expires (same
    hour) a purge settles it into its windows as sent: the hour takes no more than its limit."""
    rig.account(limit_per_minute=5, limit_per_hour=2)
    rig.queue(M("m1"))
    rig.start(dispatcher=False)
    rig.wait_view("m1", "pending")
    settings, [flight] = rig.start_as("dead", 60)
    record_outcomes(rig.c.sending, settings, "dead", [Outcome(flight, reply="250 ok")], rand=lambda: 0.5)
    rig.advance(120)  # the lease has expired, the hour has not ended; the worker never finished
    rig.c.dispatch_store.purge(rig.now())
    rig.queue(M("m2"), M("m3"))
    rig.start()
    rig.wait_status("m2", "sent")
    third = rig.wait_status("m3", "deferred")
    assert third.deferred_until == rig.now() // 3600 * 3600 + 3600
    assert len(rig.sink.wait_for_messages(1)) == 1  # m1 never reached this sink: its worker faked the send
