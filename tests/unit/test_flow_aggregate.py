"""The Flow and FlowRun aggregates: given events, when a command, then events (console.md §8)."""

from __future__ import annotations

import pytest

from domain.campaigns.flow import Flow
from domain.campaigns.flow_rules import EmptyFlow, FlowSlugTaken, StaleFlowRevision
from domain.campaigns.flow_run import FlowRun
from domain.model import Envelope, command_context

pytestmark = pytest.mark.unit
TRIGGER = {"type": "event", "eventName": "Signup", "once": True, "where": {}}
STEPS = [{"type": "send", "templateSlug": "news"}]


def at(t: float):  # type: ignore[no-untyped-def]
    return command_context(Envelope(actor="admin", recorded_at=t), now=t)


def flow() -> Flow:
    with at(10):
        return Flow.create("acme", "f", {"name": "F"}, TRIGGER, None)


def test_create_draft_publish() -> None:
    f = flow()
    with pytest.raises(FlowSlugTaken):
        Flow.create("acme", "f", {}, TRIGGER, f)
    assert (f.enabled, f.published_version, f.draft["revision"]) == (False, 0, 1)
    with at(11), pytest.raises(EmptyFlow):
        f.publish(True)
    with at(12):
        assert f.save_draft({"steps": STEPS}, {}, 1) is True
        assert f.save_draft({"steps": STEPS}, {}, None) is False  # nothing changed: no event
        with pytest.raises(StaleFlowRevision):
            f.save_draft({"notes": "x"}, {}, 1)
    with at(20):
        assert f.publish(True) == 1
    assert f.enabled and f.draft is None and f.versions[1]["steps"] == STEPS
    assert [type(e).__name__ for e in f.collect_events()] == ["Created", "DraftSaved", "Published"]


def test_enabled_periods_decide_entries() -> None:
    f = flow()
    with at(12):
        f.save_draft({"steps": STEPS}, {}, None)
    with at(20):
        f.publish(True)
    with at(30):
        assert f.pause(False) is True and f.pause(False) is False
    with at(40):
        assert f.resume() is True and f.resume() is False
    assert not f.enabled_at(19) and f.enabled_at(20) and f.enabled_at(29.9)
    assert not f.enabled_at(35) and f.enabled_at(40) and f.enabled_since == 40
    with at(50):
        assert f.pause(True) and f.hold_runs and f.pause(True) is False
    with at(60):
        f.save_draft({"steps": STEPS * 2}, {}, None)
        f.publish(True)
    assert f.version_at(55) == 1 and f.version_at(60) == 2 and f.version_at(5) == 2  # none yet: the latest


def test_run_steps_park_and_end_once() -> None:
    with at(100):
        run = FlowRun.start("acme", "f", 1, "c1", "u1", "k1", {"type": "event"}, 100.0, "0")
        run.park("0", 200.0, "wait")
        assert (run.waiting_until, run.wait_path) == (200.0, "0")
        run.step("0", "wait", "waited", "1")
        assert run.path == "1" and run.waiting_until is None
        assert run.hold() and not run.hold() and run.release()
        assert run.end("exited", "aborted") and not run.end("completed")
    assert run.status == "exited" and run.exit_reason == "aborted" and run.finished
    assert run.version == 6  # the aggregate's own version, apart from the flow version it keeps
    assert run.flow_version == 1
