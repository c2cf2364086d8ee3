"""Queueing, listing and cancelling messages over real HTTP (proxy.md §4.2, §5; scenarios 7-16, 46)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.live import Live

pytestmark = pytest.mark.e2e


def M(x: str, **extra: Any) -> dict[str, Any]:
    return {"id": x, "account_id": "smtp1", "from": "a@acme.test", "to": "u@dest.test", "subject": "s",
            "body": "b", **extra}


@pytest.fixture
def acme(live: Live) -> str:
    ka = live.create_tenant("acme")
    # a port nobody listens on: the dispatcher (when running) only defers; tests stay deterministic
    answer = live.call("POST", "/account", ka, json={"id": "smtp1", "host": "127.0.0.1", "port": 9,
                                                     "use_tls": False})
    assert answer.status_code == 201
    live.call("POST", "/commands/suspend", ka)  # nothing leaves: these tests are about the queue
    return ka


def add(live: Live, key: str, *messages: Any, **body: Any) -> Any:
    return live.call("POST", "/commands/add-messages", key, json={"messages": list(messages), **body})


def test_add_and_read_back(live: Live, acme: str) -> None:
    answer = add(live, acme, M("m1"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ok"] is True and body["queued"] == 1 and body["rejected"] == []
    accepted = body["accepted"][0]
    assert accepted["id"] == "m1" and accepted["message_id"].endswith("@acme.test>")
    listed = live.call("GET", "/messages", acme).json()["messages"]
    assert [m["id"] for m in listed] == ["m1"] and listed[0]["pk"] == accepted["pk"]
    assert listed[0]["held_by"] == "tenant_suspended" and listed[0]["status"] == "pending"
    one = live.call("GET", "/messages/m1", acme).json()
    assert one["message_id"] == accepted["message_id"] and one["purged"] is False
    assert [h["type"] for h in one["history"]] == ["queued"]
    assert one["payload"]["subject"] == "s" and one["payload"]["from"] == "a@acme.test"


def test_partial_batches_and_validation(live: Live, acme: str) -> None:
    answer = add(live, acme, M("m1"), {k: v for k, v in M("m2").items() if k != "subject"}, M("m3", to=[]))
    body = answer.json()
    assert answer.status_code == 200 and body["queued"] == 1
    assert [(r["id"], r["reason"], r["field"]) for r in body["rejected"]] == [
        ("m2", "missing_field", "subject"), ("m3", "invalid_field", "to")]
    rejected = live.call("GET", "/messages?status=rejected", acme).json()["messages"]
    assert {m["id"] for m in rejected} == {"m2", "m3"}
    none = add(live, acme, {"id": "m9", "subject": "x"})
    assert none.status_code == 400
    assert none.json()["error"] == "validation_failed" and none.json()["ok"] is False
    assert none.json()["queued"] == 0 and none.json()["rejected"][0]["id"] == "m9"


def test_bad_requests_queue_nothing(live: Live, acme: str) -> None:
    raw = {"content-type": "application/json"}
    assert live.call("POST", "/commands/add-messages", acme, content=b'{"messages":', headers=raw
                     ).json()["error"] == "invalid_json"
    assert live.call("POST", "/commands/add-messages", acme, content=b"{}",
                     headers={"content-type": "text/plain"}).status_code == 415
    assert add(live, acme).status_code == 422
    assert add(live, acme, *[M(f"x{i}") for i in range(1001)]).status_code == 422
    assert add(live, acme, M("x"), extra=1).status_code == 422
    assert add(live, acme, M("x"), default_priority="urgent").status_code == 422
    assert live.call("GET", "/messages", acme).json()["messages"] == []


@pytest.mark.parametrize("extra, field", [
    ({"priority": "urgent"}, "priority"), ({"priority": 7}, "priority"),
    ({"batch_code": "a,b"}, "batch_code"),
    ({"batch_code": "x" * 65}, "batch_code"), ({"headers": {"From": "z@z.test"}}, "headers.From"),
    ({"subject": "a\r\nBcc: z@z.test"}, "subject"), ({"deferred_ts": "soon"}, "deferred_ts"),
    ({"sender": "x"}, "sender"),
])
def test_each_bad_field_is_named(live: Live, acme: str, extra: dict[str, Any], field: str) -> None:
    rejected = add(live, acme, M("ok"), M("bad", **extra)).json()["rejected"]
    assert [(r["id"], r["field"]) for r in rejected] == [("bad", field)]
    assert rejected[0]["reason"] == ("unknown_field" if field == "sender" else "invalid_field")


def test_upsert_keeps_position_and_message_id(live: Live, acme: str) -> None:
    first = add(live, acme, M("m5", subject="A", batch_code="NL")).json()["accepted"][0]
    live.advance(1)  # the fake clock stands still: give the two a distinct queue time
    add(live, acme, M("m6"))
    assert add(live, acme, M("m5", subject="B", batch_code="NL")).json()["queued"] == 1
    assert add(live, acme, M("m5", subject="B", batch_code="NL")).json()["queued"] == 1
    listed = live.call("GET", "/messages", acme).json()["messages"]
    assert [m["id"] for m in listed] == ["m5", "m6"] and listed[0]["subject"] == "B"
    one = live.call("GET", "/messages/m5", acme).json()
    assert [h["type"] for h in one["history"]] == ["queued", "updated"]
    assert one["message_id"] == first["message_id"]


def test_tenants_cannot_see_or_touch_each_other(live: Live, acme: str) -> None:
    kb = live.create_tenant("beta")
    add(live, acme, M("m1"))
    assert live.call("GET", "/messages/m1", kb).status_code == 404
    assert live.call("GET", "/messages?tenant_id=acme", kb).status_code == 403
    assert add(live, kb, M("m2", tenant_id="acme")).status_code == 403
    gone = live.call("POST", "/commands/delete-messages", kb, json={"ids": ["m1"]}).json()
    assert gone == {"ok": True, "removed": 0, "not_found": ["m1"], "not_removable": []}
    assert live.call("GET", "/messages/m1", acme).json()["status"] == "pending"
    no_selector = live.admin("GET", "/messages")
    assert no_selector.status_code == 422 and no_selector.json()["details"][0]["field"] == "tenant_id"
    assert live.admin("GET", "/messages?tenant_id=nosuch").status_code == 404
    assert live.admin("GET", "/messages?tenant_id=acme").status_code == 200


def test_delete_messages_cancels_only_unattempted(live: Live, acme: str) -> None:
    add(live, acme, M("m20"), M("m21"))
    answer = live.call("POST", "/commands/delete-messages", acme, json={"ids": ["m20", "zz"]}).json()
    assert answer == {"ok": True, "removed": 1, "not_found": ["zz"], "not_removable": []}
    assert [m["id"] for m in live.call("GET", "/messages", acme).json()["messages"]] == ["m21"]
    assert live.call("GET", "/messages/m20", acme).json()["status"] == "cancelled"
    assert live.admin("DELETE", "/tenant/acme").json() == {"ok": True, "cancelled": 1}


def test_list_filters_and_cursor(live: Live, acme: str) -> None:
    add(live, acme, *[M(f"p{i}", priority=i % 4, batch_code="B" if i % 2 else None) for i in range(8)])
    everything = live.call("GET", "/messages", acme).json()["messages"]
    assert [m["priority"] for m in everything] == sorted(m["priority"] for m in everything)
    only_b = live.call("GET", "/messages?batch_code=B", acme).json()["messages"]
    assert {m["id"] for m in only_b} == {"p1", "p3", "p5", "p7"}
    seen, cursor = [], None
    while True:
        page = live.call("GET", "/messages?limit=3" + (f"&cursor={cursor}" if cursor else ""), acme).json()
        seen += [m["id"] for m in page["messages"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [m["id"] for m in everything]
    assert live.call("GET", "/messages?status=bogus", acme).status_code == 422
    history = live.call("GET", "/messages?include_history=true&limit=1", acme).json()["messages"][0]
    assert history["history"][0]["type"] == "queued"


def test_one_batch_queues_in_submission_order(live: Live, acme: str) -> None:
    add(live, acme, *[M(x) for x in ("zz", "aa", "mm", "bb")])  # one call: one accepted_ts
    add(live, acme, M("00"))  # the fake clock stands still: later calls still queue behind
    assert [m["id"] for m in live.call("GET", "/messages", acme).json()["messages"]] == [
        "zz", "aa", "mm", "bb", "00"]
