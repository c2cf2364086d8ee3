"""Flows over HTTP (console.md §8; §17 scenarios 6, 26, 29, 13's runs): a live server, the
real send pipeline, the flow worker driven by hand with the fake clock (no sleeps)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.campaigns.flow_effects import ContainerFlowEffects
from adapters.campaigns.flow_worker import FlowWorker
from tests.support.console import Console
from tests.support.flows import acme_fixture
from tests.support.live import Live

pytestmark = pytest.mark.e2e
SIGNUP = {"type": "event", "eventName": "Signup"}
SEND_NEWS = {"type": "send", "templateSlug": "news"}


class Flows:
    def __init__(self, live: Live) -> None:
        self.live, self.console = live, Console(live)
        self.console.tenant("acme")
        self.console.tenant("beta")
        acme_fixture(live.container, "acme", create=False)
        self.worker = FlowWorker(live.container, effects=ContainerFlowEffects(live.container))

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.console.admin(method, path, **kwargs)

    def contact(self, ext: str) -> None:
        assert self.call("PUT", f"/contacts/{ext}", json={"email": f"{ext}@ex.test"}).status_code in (
            200,
            201,
        )
        assert self.call("POST", f"/contacts/{ext}/subscribe", json={"source": "test"}).status_code == 200

    def fire(self, ext: str, key: str, name: str = "Signup") -> None:
        answer = self.call("POST", "/events", json={"name": name, "externalId": ext, "dedupeKey": key})
        assert answer.status_code == 200, answer.text

    def publish(self, slug: str, steps: list[dict[str, Any]]) -> Any:
        assert self.call("PATCH", f"/flows/{slug}/draft", json={"steps": steps}).status_code == 200
        return self.call("POST", f"/flows/{slug}/publish", json={})

    def drain(self) -> None:
        self.worker.drain()
        self.live.container.catch_up(["flows", "audit", "sends"])


@pytest.fixture
def flows(live: Live) -> Flows:
    return Flows(live)


def test_create_validate_publish_delete(flows: Flows) -> None:  # scenario 26
    created = flows.call("POST", "/flows", json={"slug": "f", "name": "Welcome", "trigger": SIGNUP})
    assert created.status_code == 201 and created.json() == {"ok": True, "slug": "f"}
    doc = flows.call("GET", "/flows/f").json()
    assert (doc["enabled"], doc["version"], doc["trigger"]["once"]) == (False, 0, True)
    again = flows.call("POST", "/flows", json={"slug": "f", "name": "Welcome", "trigger": SIGNUP})
    assert again.status_code == 409 and again.json()["error"] == "slug_taken"
    bad = flows.call("POST", "/flows", json={"slug": "g", "name": "G", "trigger": {"type": "event"}})
    assert bad.status_code == 400 and bad.json()["error"] == "validation_failed"
    empty = flows.call("POST", "/flows/f/publish", json={})
    assert empty.status_code == 400 and empty.json()["error"] == "empty_flow"
    teleport = flows.call("PATCH", "/flows/f/draft", json={"steps": [{"type": "teleport"}]})
    assert teleport.status_code == 400 and "$.steps[0].type" in teleport.json()["message"]
    predicate = flows.call(
        "PATCH", "/flows/f/draft", json={"steps": [{"type": "condition", "test": {"isMartian": True}}]}
    )
    assert predicate.status_code == 400
    unpublished = flows.publish("f", [{"type": "send", "templateSlug": "nope"}])
    assert unpublished.status_code == 409 and unpublished.json()["error"] == "template_not_published"
    published = flows.publish("f", [SEND_NEWS])
    assert published.status_code == 200 and published.json() == {"ok": True, "version": 1, "enabled": True}
    flows.contact("u1")
    flows.live.advance(1)
    flows.fire("u1", "s-1")
    flows.drain()
    runs = flows.call("GET", "/flows/f/runs").json()["runs"]
    assert len(runs) == 1 and runs[0]["status"] == "completed" and runs[0]["externalId"] == "u1"
    sends = flows.call("GET", "/sends", params={"origin": "flow"}).json()["sends"]
    assert [s["dedupeKey"] for s in sends] == [f"flowrun:{runs[0]['runId']}:step0"]
    assert flows.call("GET", "/flows/f").json()["stats"]["completedRuns"] == 1
    deleted = flows.call("DELETE", "/flows/f")
    assert deleted.status_code == 409 and deleted.json()["error"] == "has_runs"
    assert flows.call("POST", "/flows", json={"slug": "g", "name": "G", "trigger": SIGNUP}).status_code == 201
    assert flows.call("DELETE", "/flows/g").status_code == 200
    assert flows.call("GET", "/flows/g").status_code == 404
    assert flows.call("GET", "/flows/f", tenant="beta").status_code == 404
    assert flows.call("GET", "/flows", tenant="beta").json()["flows"] == []
    versions = flows.call("GET", "/flows/f/versions").json()["versions"]
    assert [v["version"] for v in versions] == [1] and versions[0]["steps"] == [SEND_NEWS]


def test_pause_is_audited_once(flows: Flows) -> None:  # scenario 6
    flows.call("POST", "/flows", json={"slug": "welcome", "name": "Welcome", "trigger": SIGNUP})
    flows.publish("welcome", [SEND_NEWS])
    flows.live.advance(1)  # audit entries of one instant order by log position, not across logs
    paused = flows.call("POST", "/flows/welcome/pause", json={}, headers={"X-Request-Id": "req-pause"})
    assert paused.status_code == 200 and paused.json() == {"ok": True, "changed": True}
    entry = flows.call("GET", "/audit", params={"limit": 1}).json()["entries"][0]
    assert entry["action"] == "flow.pause" and entry["category"] == "config"
    assert entry["resource"]["type"] == "flow" and entry["resource"]["slug"] == "welcome"
    assert entry["before"] == {"enabled": True} and entry["after"] == {"enabled": False}
    assert entry["requestId"] == "req-pause"
    again = flows.call("POST", "/flows/welcome/pause", json={})
    assert again.json() == {"ok": True, "changed": False}
    assert flows.call("GET", "/audit", params={"limit": 1}).json()["entries"][0]["id"] == entry["id"]
    flows.live.advance(1)
    actor = flows.call("POST", "/flows/welcome/resume", headers={"X-Actor": "human:ops@acme.test"})
    assert actor.json()["changed"] is True
    assert (
        flows.call("GET", "/audit", params={"limit": 1}).json()["entries"][0]["actor"]
        == "human:ops@acme.test"
    )


def test_abort_contact_detail_and_runs_listing(flows: Flows) -> None:  # scenario 29 (abort), contact detail
    flows.call("POST", "/flows", json={"slug": "f", "name": "F", "trigger": SIGNUP})
    flows.publish("f", [{"type": "wait", "value": 1, "unit": "days"}, SEND_NEWS])
    for ext in ("u1", "u2", "u3"):
        flows.contact(ext)
    flows.live.advance(1)
    for ext in ("u1", "u2", "u3"):
        flows.fire(ext, f"s-{ext}")
    flows.drain()
    detail = flows.call("GET", "/contacts/u1").json()
    assert [r["status"] for r in detail["activeRuns"]] == ["active"] and detail["activeRuns"][0][
        "waitingUntil"
    ]
    page = flows.call("GET", "/flows/f/runs", params={"limit": 2}).json()
    rest = flows.call("GET", "/flows/f/runs", params={"limit": 2, "cursor": page["nextCursor"]}).json()
    assert len(page["runs"]) == 2 and len(rest["runs"]) == 1 and "nextCursor" not in rest
    aborted = flows.call("POST", "/flows/f/abort", json={"externalId": "u1"})
    assert aborted.status_code == 200 and aborted.json() == {"abortedRuns": 1, "cancelledSends": 0}
    flows.drain()
    mine = flows.call("GET", "/flows/f/runs", params={"status": "exited"}).json()["runs"]
    assert [(r["externalId"], r["exitReason"]) for r in mine] == [("u1", "aborted")]
    assert flows.call("GET", "/contacts/u1").json()["activeRuns"] == []
    assert len(flows.call("GET", "/contacts/u1/export").json()["flowRuns"]) == 1
    held = flows.call("POST", "/flows/f/pause", json={"holdRuns": True})
    assert held.json()["changed"] is True
    assert {
        r["status"] for r in flows.call("GET", "/flows/f/runs", params={"status": "held"}).json()["runs"]
    } == {"held"}
    assert flows.call("GET", "/flows/f/runs", params={"status": "bogus"}).status_code == 400
    forget = flows.call("POST", "/contacts/u2/forget")
    assert forget.status_code == 200 and forget.json()["runsExited"] == 1


def test_drain_runs_flows_to_the_sink(live_dispatching: Live, smtp_sink: Any) -> None:  # scenario 27
    sink = smtp_sink()
    console = Console(live_dispatching)
    console.tenant("acme")
    acme_fixture(live_dispatching.container, "acme", create=False, sink=sink)
    call = console.admin
    for slug, steps in (("f", [SEND_NEWS]), ("w", [{"type": "wait", "value": 4, "unit": "days"}, SEND_NEWS])):
        assert call("POST", "/flows", json={"slug": slug, "name": slug, "trigger": SIGNUP}).status_code == 201
        assert call("PATCH", f"/flows/{slug}/draft", json={"steps": steps}).status_code == 200
        assert call("POST", f"/flows/{slug}/publish", json={}).status_code == 200
    live_dispatching.advance(1)
    call("PUT", "/contacts/u1", json={"email": "u1@ex.test"})
    call("POST", "/contacts/u1/subscribe", json={"source": "test"})
    assert (
        call("POST", "/events", json={"name": "Signup", "externalId": "u1", "dedupeKey": "k1"}).status_code
        == 200
    )

    def drain() -> None:
        answer = live_dispatching.admin("POST", "/_test/drain", json={})
        assert answer.status_code == 200 and answer.json()["idle"] is True, answer.text

    drain()
    run = call("GET", "/flows/f/runs").json()["runs"][0]
    sends = call("GET", "/sends", params={"origin": "flow"}).json()["sends"]
    assert [(s["dedupeKey"], s["status"]) for s in sends] == [(f"flowrun:{run['runId']}:step0", "sent")]
    assert len(sink.messages) == 1
    waiting = call("GET", "/flows/w/runs").json()["runs"][0]
    assert waiting["status"] == "active" and waiting["waitingUntil"] is not None
    live_dispatching.advance(4 * 86_400)
    drain()
    assert len(sink.messages) == 2
    assert call("GET", "/flows/w/runs").json()["runs"][0]["status"] == "completed"


def test_a_template_an_enabled_flow_sends_cannot_be_deleted(flows: Flows) -> None:  # console.md §5.2
    assert flows.call("POST", "/flows", json={"slug": "f", "name": "F", "trigger": SIGNUP}).status_code == 201
    assert flows.publish("f", [SEND_NEWS]).status_code == 200
    refused = flows.call("DELETE", f"/templates/{SEND_NEWS['templateSlug']}")
    assert refused.status_code == 409 and refused.json()["error"] == "template_in_use"
    assert refused.json()["usedBy"] == ["flow:f"]
    assert flows.call("POST", "/flows/f/pause", json={}).status_code == 200
    assert flows.call("DELETE", f"/templates/{SEND_NEWS['templateSlug']}").status_code == 200
