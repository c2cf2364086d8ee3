"""Flows through the real console send pipeline, webhooks to a loopback server, segments,
cron, forget, crash-resume and two workers at once; both backends, a manual clock."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from adapters import console_ops
from adapters.bootstrap import bootstrap
from adapters.campaigns.flow_effects import ContainerFlowEffects, signature, webhook_secret
from adapters.campaigns.flow_worker import FlowWorker
from adapters.settings import Settings
from tests.support.client_app import Answer, client_app
from tests.support.flows import DAY, ManualClock, Pipeline

pytestmark = pytest.mark.integration
SEND_NEWS = {"type": "send", "templateSlug": "news"}


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def p(settings: Settings) -> Iterator[Pipeline]:
    clock = ManualClock()
    c = bootstrap(settings, create_tables=True, clock=clock)
    c.tenancy.initialise_instance()
    yield Pipeline(c, clock)
    c.close()


def test_send_step_enqueues_a_flow_send(p: Pipeline) -> None:  # scenario 27
    p.contact("u1")
    p.contact("u2", subscribed=False)
    p.flow("f", [SEND_NEWS])
    p.advance(1)
    p.fire("u1")
    p.fire("u2")
    p.drain()
    runs = p.runs("f")
    assert [r["external_id"] for r in runs] == ["u1"]
    sends = p.sends("f")
    assert [s["dedupe_key"] for s in sends] == [f"flowrun:{runs[0]['run_id']}:step0"]
    assert sends[0]["origin"] == "flow" and sends[0]["status"] == "queued"
    assert runs[0]["history"][-2]["sendId"] == sends[0]["pk"]
    stats = p.c.projections["flows"].view.stats("acme", "f", p.clock.now())
    assert stats == {"activeRuns": 0, "completedRuns": 1, "sendsTotal": 1, "sendsLast7Days": 1}


def test_delivery_window_parks_until_monday_morning(p: Pipeline) -> None:  # scenario 30
    p.clock.t = at("2026-06-06T15:00:00Z")  # a Saturday
    p.contact("u1", timezone="America/New_York")
    delivery = {"timeOfDay": "09:00", "useContactTimezone": True, "weekdaysOnly": True}
    p.flow("f", [{**SEND_NEWS, "delivery": delivery}])
    p.advance(1)
    p.fire("u1")
    p.drain()
    run = p.runs("f")[0]
    assert run["waiting_until"] == at("2026-06-08T13:00:00Z") and p.sends("f") == []
    assert run["history"][-1]["reason"] == "send_deferred"
    p.clock.t = at("2026-06-08T13:00:00Z")
    p.drain()
    assert [s["not_before"] for s in p.sends("f")] == [at("2026-06-08T13:00:00Z")]


def test_forget_exits_the_waiting_run(p: Pipeline) -> None:  # scenario 13
    p.contact("u2")
    p.flow("f", [{"type": "wait", "value": 1, "unit": "days"}, SEND_NEWS])
    p.advance(1)
    p.fire("u2")
    p.drain()
    done = console_ops.forget(p.c, "acme", "u2")
    assert done["runs_exited"] == 1
    run = p.runs("f")[0]
    assert (run["status"], run["exit_reason"]) == ("exited", "gdpr_forget")
    p.advance(2 * DAY)
    p.drain()
    assert p.sends("f") == []


def test_webhook_fail_run_soft_and_private_targets(p: Pipeline) -> None:  # scenario 31
    p.contact("u1")
    with client_app() as stub:
        stub.default = Answer(status=500)
        hook = {"type": "webhook", "url": f"{stub.url}/hook", "method": "POST"}
        p.flow("hard", [{**hook, "failureMode": "fail_run"}, SEND_NEWS])
        p.flow("soft", [{**hook, "failureMode": "soft"}, SEND_NEWS])
        p.advance(1)
        p.fire("u1")
        p.drain()
        assert stub.count() == 2
        p.advance(60)
        p.drain()
        p.advance(60)
        p.drain()
        requests = stub.wait_for(6)
        assert len(requests) == 6 and p.runs("hard")[0]["status"] == "failed"
        assert p.runs("soft")[0]["status"] == "completed" and len(p.sends("soft")) == 1
        first = requests[0]
        t = first.headers["x-ledgermail-signature"].split(",")[0].removeprefix("t=")
        expected = signature(webhook_secret(p.c, "acme"), int(t), first.body)
        assert first.headers["x-ledgermail-signature"] == expected
        assert first.json["externalId"] == "u1" and first.json["flow"] in ("hard", "soft")
        strict = ContainerFlowEffects(p.c)  # private targets not allowed: no request, exhausted
        p.worker = FlowWorker(p.c, effects=strict)
        p.flow("closed", [{**hook, "failureMode": "fail_run"}])
        p.advance(1)
        p.fire("u1", key="again")
        p.drain()
        assert stub.count() == 6 and p.runs("closed")[0]["exit_reason"] == "target_not_allowed"


def test_segment_enter_baseline_and_include_existing(p: Pipeline) -> None:  # scenario 32
    p.contact("u1", tags=["trial"])
    p.contact("u2")
    trigger = {"type": "segment_enter", "segment": {"tag": "trial"}}
    p.flow("seg", [SEND_NEWS], trigger)
    p.flow("all", [SEND_NEWS], {**trigger, "includeExisting": True})
    p.drain()
    assert p.runs("seg") == [] and [r["external_id"] for r in p.runs("all")] == ["u1"]
    p.c.console.edit_tags("acme", "u2", ["trial"], [])
    p.c.catch_up(["contacts"])
    p.advance(15 * 60)
    p.drain()
    assert [r["external_id"] for r in p.runs("seg")] == ["u2"]
    assert sorted(r["external_id"] for r in p.runs("all")) == ["u1", "u2"]
    assert p.runs("seg")[0]["history"][0]["entryKey"].startswith("seg:")


def test_cron_fires_the_latest_missed_firing_within_an_hour(p: Pipeline) -> None:
    p.contact("u1")
    p.clock.t = at("2026-06-01T08:50:00Z")
    p.flow("daily", [SEND_NEWS], {"type": "cron", "cron": "0 9 * * *", "timezone": "UTC"})
    p.drain()
    assert p.runs("daily") == []
    p.clock.t = at("2026-06-01T09:30:00Z")
    p.drain()
    p.drain()
    runs = p.runs("daily")
    assert [r["history"][0]["entryKey"].split(":")[0] for r in runs] == ["cron"] and len(runs) == 1
    p.clock.t = at("2026-06-02T10:30:00Z")  # down over the 09:00 firing for 90 min: skipped
    p.drain()
    assert len(p.runs("daily")) == 1


class Crash(BaseException):
    """A worker dying mid-step (BaseException: nothing catches it on the way out)."""


class CrashAfterSend(ContainerFlowEffects):
    def send(self, tenant_id: str, send: Any) -> Any:
        super().send(tenant_id, send)
        raise Crash()


def test_crash_after_the_send_resumes_exactly(p: Pipeline) -> None:
    p.contact("u1")
    p.flow("f", [SEND_NEWS, {"type": "tag", "add": ["done"]}])
    p.advance(1)
    p.fire("u1")
    dying = FlowWorker(p.c, effects=CrashAfterSend(p.c))
    with pytest.raises(Crash):
        dying.drain()
    assert p.runs("f")[0]["current_path"] == "0"  # the send step was not recorded
    original = p.c.flow_store.set_position
    p.c.flow_store.set_position = lambda *a: (_ for _ in ()).throw(Crash())  # type: ignore[method-assign]
    p.fire("u1", "Signup", key="second-signup")
    with pytest.raises(Crash):
        p.worker.drain()  # runs started, position not saved
    p.c.flow_store.set_position = original  # type: ignore[method-assign]
    p.drain()
    runs = p.runs("f")
    assert len(runs) == 1 and runs[0]["status"] == "completed" and len(p.sends("f")) == 1
    assert "done" in p.c.console.personal_of(p.c.console.live_contact("acme", "u1")).tags


def test_two_workers_at_once_double_nothing(p: Pipeline) -> None:
    for i in range(12):
        p.contact(f"u{i}")
    p.flow(
        "f",
        [
            SEND_NEWS,
            {"type": "fire_event", "eventName": "Welcomed"},
            {"type": "send", "templateSlug": "receipt"},
        ],
    )
    p.advance(1)
    for i in range(12):
        p.fire(f"u{i}")
    workers = [FlowWorker(p.c, effects=ContainerFlowEffects(p.c)) for _ in range(2)]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p.drain()
    runs = p.runs("f")
    assert len(runs) == 12 and {r["status"] for r in runs} == {"completed"}
    keys = [s["dedupe_key"] for s in p.sends("f")]
    assert len(keys) == 24 == len(set(keys))
    for r in runs:
        run = p.c.flows.run(UUID(r["run_id"]))
        assert run is not None and run.status == "completed"


def test_abort_matches_trigger_properties_and_cancels_waiting_sends(p: Pipeline) -> None:
    from adapters.campaigns import flow_ops
    from application.base import SYSTEM

    p.contact("u1")
    trigger = {"type": "event", "eventName": "Order", "once": False}
    p.flow("o", [{**SEND_NEWS, "delivery": {"timeOfDay": "09:30"}}], trigger)  # 10:00 now: within the hour
    p.flow("w", [{"type": "wait", "value": 1, "unit": "days"}, SEND_NEWS], trigger)
    p.advance(1)
    p.fire("u1", "Order", key="o-1", order=1)
    p.fire("u1", "Order", key="o-2", order=2)
    p.drain()
    assert len(p.sends("o")) == 2
    runs, cancelled, _ = flow_ops.abort(p.c, "acme", "w", "u1", "fraud", {"order": 2}, SYSTEM)
    assert (runs, cancelled) == (1, 0)
    ended = {
        r["entry_key"] if "entry_key" in r else r["history"][0]["entryKey"]: (r["status"], r["exit_reason"])
        for r in p.runs("w")
    }
    assert ended == {"o-1": ("active", None), "o-2": ("exited", "aborted:fraud")}
    p.c.content.change_settings("acme", {})  # no-op: keeps the log busy like a real tenant
    p.clock.t += 1
    runs, cancelled, _ = flow_ops.abort(p.c, "acme", "o", "u1", None, None, SYSTEM)
    assert runs == 0 and cancelled == 0  # completed runs are not aborted; their sends stay
