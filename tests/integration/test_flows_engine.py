"""Flows end to end below HTTP, on both backends, with a manual clock (console.md §8, §17 #27-#32)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.bootstrap import bootstrap
from adapters.settings import Settings
from tests.support.flows import DAY, Harness, ManualClock

pytestmark = pytest.mark.integration
SEND_NEWS = {"type": "send", "templateSlug": "news"}


@pytest.fixture
def h(settings: Settings) -> Iterator[Harness]:
    clock = ManualClock()
    c = bootstrap(settings, create_tables=True, clock=clock)
    c.tenancy.initialise_instance()
    yield Harness(c, clock)
    c.close()


def test_event_entry_once_and_dedupe(h: Harness) -> None:  # scenario 27
    h.contact("u1")
    h.contact("u2", subscribed=False)
    h.contact("u0")
    h.fire("u0")  # before publish: no run
    h.flow("f", [SEND_NEWS])
    h.advance(1)
    h.fire("u1")
    h.fire("u2")
    h.drain()
    runs = h.runs("f")
    assert [r["external_id"] for r in runs] == ["u1"] and runs[0]["status"] == "completed"
    assert [s.dedupe_key for s in h.effects.sends] == [f"flowrun:{runs[0]['run_id']}:step0"]
    assert h.effects.sends[0].batch_code == "f:f"
    h.advance(1)
    h.fire("u1")  # once: a second Signup starts nothing
    h.drain()
    assert len(h.runs("f")) == 1


def test_wait_parks_then_sends(h: Harness) -> None:  # scenario 27, second half
    h.contact("u1")
    h.flow("f", [{"type": "wait", "value": 4, "unit": "days"}, SEND_NEWS])
    h.advance(1)
    h.fire("u1")
    h.drain()
    run = h.runs("f")[0]
    assert run["status"] == "active" and run["waiting_until"] == pytest.approx(h.clock.now() + 4 * DAY)
    assert [e["at"] for e in run["history"]] == [h.clock.now()] * 2  # stamped by the service clock
    assert h.sent() == []
    h.advance(4 * DAY - 10)
    h.drain()
    assert h.sent() == []
    h.advance(10)
    h.drain()
    assert h.sent() == ["news"] and h.runs("f")[0]["status"] == "completed"


def test_condition_and_branch(h: Harness) -> None:  # scenario 28
    h.contact("u1")
    h.flow(
        "c",
        [
            {"type": "condition", "test": {"hasTag": "vip"}, "ifFalse": "continue"},
            {"type": "send", "templateSlug": "a"},
            {"type": "send", "templateSlug": "b"},
        ],
    )
    h.flow("x", [{"type": "condition", "test": {"hasTag": "vip"}, "ifFalse": "exit"}, SEND_NEWS])
    branch = {
        "type": "branch",
        "test": {"hasTag": "vip"},
        "ifTrue": [{"type": "send", "templateSlug": "a"}],
        "ifFalse": [{"type": "send", "templateSlug": "b"}],
    }
    h.flow("br", [branch, {"type": "send", "templateSlug": "c"}])
    h.flow("rj", [{**branch, "rejoin": True}, {"type": "send", "templateSlug": "c"}])
    h.advance(1)
    h.fire("u1")
    h.drain()
    assert h.sent("c") == ["b"]
    assert h.runs("x")[0]["status"] == "exited" and h.runs("x")[0]["exit_reason"] == "condition_false"
    assert h.sent("br") == ["b"] and h.runs("br")[0]["status"] == "completed"
    assert h.sent("rj") == ["b", "c"]
    keys = [s.dedupe_key for s in h.effects.sends if s.batch_code == "f:rj"]
    assert keys[0].endswith(":step0.f.0") and keys[1].endswith(":step1")


def test_pause_drops_triggers_and_hold_freezes_runs(h: Harness) -> None:  # scenario 29
    h.contact("u1")
    h.contact("u3")
    h.flow("f", [{"type": "wait", "value": 1, "unit": "days"}, SEND_NEWS])
    h.advance(1)
    h.fire("u1")
    h.drain()
    c, t = h.c, h.tenant
    c.flows.pause_flow(t, "f", False, [])
    h.advance(1)
    h.fire("u3")
    h.drain()
    c.flows.resume_flow(t, "f", [])
    h.drain()
    assert [r["external_id"] for r in h.runs("f")] == ["u1"]
    ids = [r["run_id"] for r in h.runs("f", "active")]
    from uuid import UUID

    c.flows.pause_flow(t, "f", True, [UUID(i) for i in ids])
    assert h.runs("f")[0]["status"] == "held"
    h.advance(2 * DAY)
    h.drain()
    assert h.sent() == []
    c.flows.resume_flow(t, "f", [UUID(i) for i in ids])
    h.drain()
    assert h.sent() == ["news"] and h.runs("f")[0]["status"] == "completed"


def test_runs_keep_their_version(h: Harness) -> None:  # scenario 29
    h.contact("u1")
    h.contact("u2")
    h.flow("f", [{"type": "wait", "value": 1, "unit": "hours"}, {"type": "send", "templateSlug": "v1"}])
    h.advance(1)
    h.fire("u1")
    h.drain()
    h.flow("f", [{"type": "send", "templateSlug": "v2"}])
    h.advance(1)
    h.fire("u2")
    h.drain()
    h.advance(3600)
    h.drain()
    versions = {r["external_id"]: r["version"] for r in h.runs("f")}
    assert versions == {"u1": 1, "u2": 2} and sorted(h.sent()) == ["v1", "v2"]


def test_where_trigger_properties_fire_event_exit_and_skips(h: Harness) -> None:
    h.contact("u1")
    trigger = {"type": "event", "eventName": "Order", "once": False, "where": {"plan": "pro"}}
    steps = [
        {
            "type": "condition",
            "test": {"triggerPropertyEquals": {"key": "plan", "value": "pro"}},
            "ifFalse": "exit",
        },
        {"type": "send", "templateSlug": "broken"},  # the pipeline refuses it: send_skipped, the run goes on
        {"type": "fire_event", "eventName": "Upsold", "properties": {"via": "flow"}},
        {"type": "tag", "add": ["buyer"], "remove": ["lead"]},
        {"type": "exit", "reason": "done"},
        SEND_NEWS,
    ]
    h.flow("o", steps, trigger)
    h.advance(1)
    h.fire("u1", "Order", key="o-1", plan="free")
    h.fire("u1", "Order", key="o-2", plan="pro", total=3)
    h.drain()
    runs = h.runs("o")
    assert len(runs) == 1 and (runs[0]["status"], runs[0]["exit_reason"]) == ("exited", "exit_step")
    outcomes = [e.get("outcome") for e in runs[0]["history"] if e["type"] == "send"]
    assert outcomes == ["send_skipped"] and h.sent() == []
    rows = h.c.projections["contact_events"].view
    h.worker.triggers.settle("contact_events")
    fired = [e for e in rows.recent(runs[0]["contact_id"]) if e.name == "Upsold"]
    assert [e.dedupe_key for e in fired] == [f"flowrun:{runs[0]['run_id']}:step2:Upsold"]
    contact = h.c.console.live_contact("acme", "u1")
    props = h.c.vault.open(
        h.c.vault.keys("acme", [contact.id], create=False)[contact.id], fired[0].properties
    )
    assert props == {"plan": "pro", "total": 3, "via": "flow"}  # step properties over the trigger's
    assert h.c.console.personal_of(contact).tags == ["buyer"]


def test_unsubscribed_and_forgotten_contacts_exit_at_the_next_step(h: Harness) -> None:
    h.contact("u1")
    h.contact("u2")
    h.flow("f", [{"type": "wait", "value": 1, "unit": "hours"}, SEND_NEWS])
    h.advance(1)
    h.fire("u1")
    h.fire("u2")
    h.drain()
    h.c.console.unsubscribe_contact("acme", "u1", "user_request", None)
    h.c.console.forget_contact("acme", "u2")
    h.advance(3600)
    h.drain()
    reasons = {r["external_id"]: (r["status"], r["exit_reason"]) for r in h.runs("f")}
    assert reasons == {"u1": ("exited", "unsubscribed"), "u2": ("exited", "gdpr_forget")} and h.sent() == []


def test_the_flows_view_rebuilds_to_the_same_rows(h: Harness) -> None:
    from adapters.rebuild import rebuild_view, verify_view

    h.contact("u1")
    h.flow("f", [{"type": "wait", "value": 1, "unit": "hours"}, SEND_NEWS])
    h.advance(1)
    h.fire("u1")
    h.drain()
    h.advance(3600)
    h.drain()
    h.worker.triggers.settle()
    view = h.c.projections["flows"].view
    with h.c.db.transaction(write=False) as tx:
        live = view.rows(tx)
    rebuild_view(h.c, "flows")
    with h.c.db.transaction(write=False) as tx:
        assert view.rows(tx) == live
    assert verify_view(h.c, "flows").verified is True
