"""The chaos verdict is not vacuous: each invariant of tests/support/chaos_invariants.py fails
on a store that breaks it (synthetic facts, no database)."""

from __future__ import annotations

import pytest

from tests.support.chaos_invariants import StoreFacts, Stream, violations

pytestmark = [pytest.mark.chaos, pytest.mark.unit]

QUEUED, STARTED, SENT = "Message.Queued", "Message.AttemptStarted", "Message.Sent"


def stream(client_id: str, *topics: str, claims: tuple[float, ...] = (60.0,),
           reportable: tuple[str, ...] = (), versions: list[int] | None = None) -> Stream:
    return Stream(client_id=client_id, topics=list(topics), sent_claims=list(claims),
                  versions=versions or list(range(1, len(topics) + 1)), reportable=list(reportable))


def facts(*streams: Stream, acknowledged: tuple[str, ...] = ()) -> StoreFacts:
    return StoreFacts(streams={f"pk-{s.client_id}": s for s in streams}, acknowledged=set(acknowledged),
                      events=sum(len(s.topics) for s in streams))


def test_a_clean_store_passes() -> None:
    good = facts(stream("a", QUEUED, STARTED, SENT, reportable=("e1",)), acknowledged=("e1",))
    assert violations(good, {"a"}, {"pk-a": ["<m@x>"]}, limit_per_minute=5) == []


@pytest.mark.parametrize(("store", "accepted", "copies", "needle"), [
    (facts(), {"a"}, {}, "not in the store"),
    (facts(stream("a", QUEUED, STARTED, claims=())), {"a"}, {}, "0 terminal"),
    (facts(stream("a", QUEUED, STARTED, SENT, STARTED, "Message.Failed")), {"a"}, {}, "2 terminal"),
    (facts(stream("a", QUEUED, STARTED, SENT)), {"a"}, {"pk-a": ["<m@x>", "<m@x>"]},
     "without a lease expiry"),
    (facts(stream("a", QUEUED, STARTED, "Message.AttemptAbandoned", STARTED, SENT)), {"a"},
     {"pk-a": ["<m@x>", "<n@x>"]}, "different Message-IDs"),
    (facts(stream("a", QUEUED, STARTED, SENT, reportable=("e1",))), {"a"}, {}, "never acknowledged"),
    (facts(stream("a", QUEUED, SENT, versions=[1, 3])), {"a"}, {}, "gap"),
    (facts(*[stream(f"m{i}", QUEUED, STARTED, SENT, claims=(61.0 + i,)) for i in range(6)]),
     {f"m{i}" for i in range(6)}, {}, "rate limit 5/min exceeded"),
])
def test_each_broken_invariant_is_reported(store: StoreFacts, accepted: set[str],
                                           copies: dict[str, list[str]], needle: str) -> None:
    problems = violations(store, accepted, copies, limit_per_minute=5)
    assert any(needle in p for p in problems), problems


def test_a_resend_after_a_lease_expiry_with_the_same_message_id_is_allowed() -> None:
    resent = facts(stream("a", QUEUED, STARTED, "Message.AttemptAbandoned", STARTED, SENT))
    assert violations(resent, {"a"}, {"pk-a": ["<m@x>", "<m@x>"]}, limit_per_minute=5) == []
