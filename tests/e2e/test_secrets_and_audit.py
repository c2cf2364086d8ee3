"""Secrets never leave in clear (proxy.md §12) and every call lands in the command log (§11)."""

from __future__ import annotations

import json

import pytest

from adapters.bootstrap import Container
from tests.support.live import Live

pytestmark = pytest.mark.e2e
SECRETS = ("s3cret", "cb2-token", "basicpw", "imapp")


def raw_event_store(container: Container) -> str:
    """Every stored event of the tenancy log, as the database holds it."""
    recorder = container.tenancy.recorder
    notifications = recorder.select_notifications(start=1, limit=10_000)
    return "\n".join(n.state.decode() for n in notifications)


def test_no_secret_is_stored_or_answered_in_clear(live: Live) -> None:
    ka = live.create_tenant("acme")
    saved = live.call("POST", "/account", ka, json={"id": "smtp1", "host": "127.0.0.1", "port": 2525,
                                                    "user": "u", "password": "s3cret"})
    assert saved.status_code == 201 and saved.json()["account"]["password"] == "***"
    live.call("PUT", "/tenant/acme", ka, json={"client_auth": {"method": "bearer", "token": "cb2-token"}})
    live.admin("POST", "/tenant", json={"id": "beta", "client_auth": {"method": "basic", "user": "b",
                                                                     "password": "basicpw"}})
    live.admin("PUT", "/instance", json={"bounce": {"imap_password": "imapp"}})
    again = live.call("POST", "/account", ka, json={"id": "smtp1", "password": "***", "port": 2526})
    assert again.status_code == 200 and again.json()["created"] is False
    answers = [live.call("GET", "/accounts", ka).text, live.call("GET", "/tenant/acme", ka).text,
               live.admin("GET", "/tenants").text, live.admin("GET", "/instance").text,
               live.admin("GET", "/command-log").text, live.admin("GET", "/command-log/export").text,
               raw_event_store(live.container)]
    with live.container.db.transaction(write=False) as tx:
        for table in ("tenants", "accounts", "command_log", "instance_config"):
            answers.append(json.dumps(tx.execute(f"SELECT * FROM {table}"), default=str))
    for text in answers:
        for secret in SECRETS:
            assert secret not in text
    account = live.container.tenancy.get_account("acme", "smtp1")
    assert account is not None and account.settings.port == 2526
    assert live.container.secret_box.decrypt(account.settings.password) == "s3cret"


def test_the_command_log_records_accepted_and_refused_calls(live: Live) -> None:
    ka = live.create_tenant("acme")
    kb = live.create_tenant("beta")
    t0 = live.advance(10)
    assert live.call("POST", "/commands/suspend", ka).status_code == 200
    bad_account = {"id": "a2", "host": "h", "smtp_port": 25}
    assert live.call("POST", "/account", ka, json=bad_account).status_code == 422
    assert live.call("PUT", "/tenant/acme", kb, json={"name": "x"}).status_code == 403
    page = live.admin("GET", f"/command-log?tenant_id=acme&since_ts={t0}").json()
    assert page["total"] == 3
    suspend, bad, forbidden = page["commands"]
    assert suspend["endpoint"] == "POST /commands/suspend" and suspend["status"] == 200
    assert suspend["outcome"] == "accepted" and suspend["event_ids"]
    assert suspend["actor"]["kind"] == "tenant" and suspend["actor"]["tenant_id"] == "acme"
    assert bad["outcome"] == "rejected" and bad["error"] == "validation_failed"
    assert bad["payload"]["body"]["smtp_port"] == 25 and bad["event_ids"] == []
    assert forbidden["endpoint"] == "PUT /tenant/{id}" and forbidden["status"] == 403
    assert forbidden["actor"]["tenant_id"] == "beta"
    assert suspend["id"] < bad["id"] < forbidden["id"]
    only = live.admin("GET", f"/command-log?tenant_id=acme&since_ts={t0}&endpoint=suspend").json()
    assert only["total"] == 1
    second = live.admin("GET", f"/command-log?tenant_id=acme&since_ts={t0}&limit=1&offset=1").json()
    assert [c["id"] for c in second["commands"]] == [bad["id"]] and second["total"] == 3
    until = live.admin("GET", f"/command-log?tenant_id=acme&until_ts={t0 - 1}").json()
    assert all(c["ts"] <= t0 - 1 for c in until["commands"])
    desc = live.admin("GET", f"/command-log?tenant_id=acme&since_ts={t0}&order=desc&limit=2").json()
    assert [c["id"] for c in desc["commands"]] == [forbidden["id"], bad["id"]] and desc["next_cursor"]
    rest = live.admin("GET", f"/command-log?tenant_id=acme&since_ts={t0}&order=desc&limit=2"
                             f"&cursor={desc['next_cursor']}").json()
    assert [c["id"] for c in rest["commands"]] == [suspend["id"]] and rest["next_cursor"] is None
    export = live.admin("GET", f"/command-log/export?tenant_id=acme&since_ts={t0}")
    assert export.headers["content-type"].startswith("application/x-ndjson")
    lines = export.text.strip().split("\n")
    assert [json.loads(line)["id"] for line in lines] == [suspend["id"], bad["id"], forbidden["id"]]


def test_bad_input_never_gives_a_server_error(live: Live) -> None:
    ka = live.create_tenant("acme")
    cases = [
        ("GET", "/nope", None, {}, 404, "not_found"),
        ("DELETE", "/health", None, {}, 405, "method_not_allowed"),
        ("POST", "/account", b'{"id":', {"content-type": "application/json"}, 400, "invalid_json"),
        ("POST", "/account", b"[1]", {"content-type": "application/json"}, 400, "invalid_json"),
        ("POST", "/account", b"{}", {"content-type": "text/plain"}, 415, "unsupported_media_type"),
        ("POST", "/account", b'{"id":"a","host":"h","port":70000}', {"content-type": "application/json"},
         422, "validation_failed"),
        ("PUT", "/tenant/acme", b'{"active":"yes"}', {"content-type": "application/json"}, 422,
         "validation_failed"),
        ("PUT", "/instance", b'{"api_token":"x"}', {"content-type": "application/json"}, 403, "forbidden"),
        ("GET", "/tenants?active_only=maybe", None, {}, 403, "forbidden"),
    ]
    for method, path, content, headers, status, error in cases:
        answer = live.call(method, path, ka, content=content, headers=headers)
        assert (answer.status_code, answer.json()["error"]) == (status, error), (path, answer.text)
        assert answer.json()["request_id"] == answer.headers["x-request-id"]
    both = live.call("POST", "/account", ka, json={"id": "a2", "host": "h", "smtp_port": 25})
    details = {(d["field"], d["reason"]) for d in both.json()["details"]}
    assert details == {("smtp_port", "unknown"), ("port", "missing")}
    port = live.call("POST", "/account", ka, json={"id": "a2", "host": "h", "port": 70000})
    assert port.json()["details"][0] == {"field": "port", "reason": "range", "message": port.json()[
        "details"][0]["message"]}
    unknown = live.admin("PUT", "/instance", json={"api_token": "x"})
    assert unknown.status_code == 422
    big = live.call("PUT", "/tenant/acme", ka, content=b"x" * (51 * 1024 * 1024),
                    headers={"content-type": "application/json"})
    assert big.status_code == 413 and big.json()["error"] == "payload_too_large"
