"""Leases: a dead worker's attempt is abandoned and sent again with the same headers, an outcome
after the lease is discarded, and two dispatchers never send one message twice (spec proxy.md
§6.2; scenarios 36, 37)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from eventsourcing.persistence import IntegrityError

from adapters.settings import Settings
from application.sending.dispatch_outcomes import record_outcomes
from application.sending.dispatch_send import Outcome
from application.sending.dispatch_settings import CycleSettings
from application.sending.ports import Finished
from tests.support.dispatch import DispatchRig, M, open_rig, wait_until
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration
LEASE = 300


@pytest.fixture
def rig(settings: Settings, smtp_sink: Callable[..., SmtpSink]) -> Iterator[DispatchRig]:
    with open_rig(settings, smtp_sink()) as rig:
        yield rig


def claim_as(rig: DispatchRig, worker_id: str) -> int:
    """What a worker does before it dies: claim and append AttemptStarted, then nothing."""
    return len(rig.start_as(worker_id, LEASE)[1])


def test_a_dead_workers_attempt_is_abandoned_and_sent_again(rig: DispatchRig) -> None:
    """Scenario 37: attempt_started, attempt_abandoned, attempt_started, sent; same headers."""
    rig.queue(M("m17"))
    rig.start(dispatcher=False)
    rig.wait_view("m17", "pending")
    assert claim_as(rig, "dead-worker") == 1
    first_date = rig.message("m17").date
    rig.wait_view("m17", "sending")
    rig.start()
    rig.idle_cycles()
    assert rig.sink.messages == []  # the dead worker's lease is still live
    rig.advance(LEASE + 1)
    message = rig.wait_status("m17", "sent")
    assert rig.history("m17") == ["queued", "attempt_started", "attempt_abandoned", "attempt_started", "sent"]
    assert (message.retry_count, message.attempts) == (1, 2)
    [mail] = rig.sink.wait_for_messages(1)
    assert (mail.message["Message-ID"], mail.message["Date"]) == (message.message_id, first_date)


def test_a_sent_whose_commit_was_not_acknowledged_still_counts_in_its_window(rig: DispatchRig) -> None:
    """PostgreSQL restarts mid-commit: the Sent is stored, the library's retried insert then
    conflicts and the batch is saved again one by one. The outcome is released as sent, so
    its minute counts it (a window would otherwise take one more than its limit)."""
    rig.queue(M("m1"))
    rig.start(dispatcher=False)
    rig.wait_view("m1", "pending")
    settings, [flight] = rig.start_as("w1", LEASE)
    real = rig.c.sending.record

    def commit_then_lose_the_acknowledgement(*aggregates: object) -> int:
        real(*aggregates)  # type: ignore[arg-type]
        rig.c.sending.record = real  # type: ignore[method-assign]
        raise IntegrityError("duplicate key: the retried insert of a save that had committed")

    rig.c.sending.record = commit_then_lose_the_acknowledgement  # type: ignore[method-assign]
    finished = record_outcomes(rig.c.sending, settings, "w1", [Outcome(flight, reply="250 2.0.0 ok")],
                               rand=lambda: 0.5)
    assert finished == [Finished(flight.claim.pk, flight.claim.claimed_ts, sent=True)]
    rig.c.dispatch_store.finish("w1", finished)
    assert rig.history("m1") == ["queued", "attempt_started", "sent"]
    with rig.c.db.transaction(write=False) as tx:
        counted = tx.execute('SELECT sent FROM dispatch_windows WHERE scope = ? AND "window" = ?',
                             ("account:acme/smtp1", "minute"))
    assert counted == [(1,)]


def test_an_outcome_after_the_lease_is_discarded(rig: DispatchRig) -> None:
    """The sink holds DATA while the lease runs out: that outcome is not recorded; the message is
    abandoned and goes again, with the same Message-ID."""
    release = rig.sink.stall("DATA")
    rig.queue(M("m1"))
    rig.start()
    rig.sink.wait_for_stalled()
    rig.advance(LEASE + 1)
    release.set()
    message = rig.wait_status("m1", "sent")
    assert rig.history("m1") == ["queued", "attempt_started", "attempt_abandoned", "attempt_started", "sent"]
    mails = rig.sink.wait_for_messages(2)
    assert {m.message["Message-ID"] for m in mails} == {message.message_id}


def test_claims_respect_live_leases_and_stale_views(rig: DispatchRig) -> None:
    """A live lease keeps a message from every other claim; a released one stays out of reach
    until the view shows what its worker appended."""
    rig.start(dispatcher=False)
    rig.queue(M("m1"))
    rig.wait_view("m1", "pending")
    settings = CycleSettings(rig.c.tenancy, rig.c.tenancy.instance_config())
    store = rig.c.dispatch_store
    first = store.claim(rig.now(), "w1", LEASE, (2,), settings.limits_of, 10)
    assert [c.pk for c in first.claimed] == [str(rig.message("m1").id)]
    assert store.claim(rig.now(), "w2", LEASE, (2,), settings.limits_of, 10).empty
    store.finish("w1", [Finished(first.claimed[0].pk, first.claimed[0].claimed_ts, sent=False)])
    # the view still shows m1 pending, exactly as w1 saw it: the tombstone keeps it out
    assert store.claim(rig.now(), "w2", LEASE, (2,), settings.limits_of, 10).empty
    rig.advance(LEASE + 1)  # tombstones last a lease at most
    assert not store.claim(rig.now(), "w2", LEASE, (2,), settings.limits_of, 10).empty


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_dispatchers_deliver_each_message_once(rig: DispatchRig) -> None:
    """Scenario 36 in one process: two dispatchers, their own worker ids, 500 messages."""
    rig.account(max_concurrency=40, batch_size=40)
    rig.queue(*[M(f"m{i}") for i in range(500)])
    rig.start(worker_id="w-a")
    rig.start(worker_id="w-b")
    wait_until(lambda: len(rig.sink.messages) >= 500, timeout=60, what="500 mails")
    rig.idle_cycles()
    counts = Counter(rig.ids_at_sink())
    assert len(counts) == 500 and set(counts.values()) == {1}
    with rig.c.db.transaction(write=False) as tx:
        rows = tx.execute("SELECT status, attempts, worker_id FROM messages")
    assert Counter((s, a) for s, a, _ in rows) == {("sent", 1): 500}
