"""Tenants, keys and suspension over real HTTP (proxy.md §4.1, §4.4; scenarios 5, 6, 9, 20, 21)."""

from __future__ import annotations

import re

import pytest

from tests.support.live import Live

pytestmark = pytest.mark.e2e
KEY = re.compile(r"^lmk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$")


def test_create_tenant_issues_a_key_once_and_ids_are_never_reused(live: Live) -> None:
    answer = live.admin("POST", "/tenant", json={"id": "gamma"})
    assert answer.status_code == 201
    body = answer.json()
    assert body["ok"] is True and KEY.match(body["api_key"])
    assert body["tenant"]["name"] == "gamma" and body["tenant"]["api_key"]["key_id"] in body["api_key"]
    again = live.admin("POST", "/tenant", json={"id": "gamma"})
    assert again.status_code == 409 and again.json()["error"] == "already_exists"
    own = live.call("GET", "/tenant/gamma", body["api_key"])
    assert own.status_code == 200
    assert set(own.json()["api_key"]) == {"key_id", "expires_at"}
    assert "digest" not in own.text and "salt" not in own.text


def test_rotating_and_revoking_keys(live: Live) -> None:
    first = live.create_tenant("gamma")
    rotated = live.admin("POST", "/tenant/gamma/api-key")
    assert rotated.status_code == 201
    second = rotated.json()["api_key"]
    assert live.call("GET", "/tenant/gamma", first).status_code == 401
    assert live.call("GET", "/tenant/gamma", second).status_code == 200
    revoked = live.admin("DELETE", "/tenant/gamma/api-key")
    assert revoked.json() == {"ok": True, "revoked": True}
    assert live.call("GET", "/tenant/gamma", second).status_code == 401
    assert live.admin("DELETE", "/tenant/gamma/api-key").json()["revoked"] is False


def test_expiring_keys_follow_the_service_clock(live: Live) -> None:
    now = live.advance(0)
    answer = live.admin("POST", "/tenant", json={"id": "gamma", "api_key_expires_at": now + 60})
    key = answer.json()["api_key"]
    assert live.call("GET", "/tenant/gamma", key).status_code == 200
    live.advance(61)
    assert live.call("GET", "/tenant/gamma", key).status_code == 401
    past = live.admin("POST", "/tenant/gamma/api-key", json={"expires_at": now - 1})
    assert past.status_code == 422 and past.json()["error"] == "validation_failed"


def test_other_tenants_are_invisible_and_unchangeable(live: Live) -> None:
    live.create_tenant("acme")
    kb = live.create_tenant("beta")
    exists = live.call("GET", "/tenant/acme", kb)
    missing = live.call("GET", "/tenant/nosuch", kb)
    assert exists.status_code == missing.status_code == 403
    strip = lambda r: {k: v for k, v in r.json().items() if k != "request_id"}  # noqa: E731
    assert strip(exists) == strip(missing)
    assert live.call("PUT", "/tenant/acme", kb, json={"name": "x"}).status_code == 403
    assert live.admin("GET", "/tenant/acme").json()["name"] == "acme"
    assert live.call("GET", "/accounts?tenant_id=acme", kb).status_code == 403


def test_update_tenant_rules(live: Live) -> None:
    ka = live.create_tenant("acme")
    answer = live.call("PUT", "/tenant/acme", ka, json={
        "client_base_url": "http://127.0.0.1:9/", "client_auth": {"method": "bearer", "token": "cb"}})
    assert answer.status_code == 200, answer.text
    tenant = answer.json()["tenant"]
    assert tenant["client_base_url"] == "http://127.0.0.1:9"
    assert tenant["client_auth"] == {"method": "bearer", "token": "***"}
    limits = live.call("PUT", "/tenant/acme", ka, json={"rate_limits": {"per_minute": 3}})
    assert limits.status_code == 403
    assert live.admin("PUT", "/tenant/acme", json={"rate_limits": {"per_minute": 3}}).status_code == 200
    for read_only in ({"id": "x"}, {"suspended_batches": []}):
        bad = live.call("PUT", "/tenant/acme", ka, json=read_only)
        assert bad.status_code == 422 and bad.json()["details"][0]["reason"] == "read_only"
    cleared = live.call("PUT", "/tenant/acme", ka, json={"client_base_url": None})
    assert cleared.json()["tenant"]["client_base_url"] is None
    assert cleared.json()["tenant"]["client_auth"]["token"] == "***"


def test_suspension_algebra(live: Live) -> None:
    ka = live.create_tenant("acme")
    live.create_tenant("beta")
    nl = live.call("POST", "/commands/suspend?batch_code=NL", ka)
    assert nl.json() == {"ok": True, "tenant_id": "acme", "batch_code": "NL", "suspended_batches": ["NL"],
                         "pending_messages": 0}
    assert live.call("GET", "/status", ka).json()["pending_messages"] == 0
    admin_status = live.admin("GET", "/status").json()
    assert admin_status["store"] in ("sqlite", "postgresql") and "workers" in admin_status
    assert live.call("POST", "/commands/suspend", ka).json()["suspended_batches"] == ["*"]
    assert live.call("POST", "/commands/suspend?batch_code=NL", ka).json()["suspended_batches"] == ["*"]
    conflict = live.call("POST", "/commands/activate?batch_code=NL", ka)
    assert conflict.status_code == 409 and conflict.json()["error"] == "conflict"
    assert live.call("POST", "/commands/activate", ka).json()["suspended_batches"] == []
    assert live.call("POST", "/commands/suspend?tenant_id=beta", ka).status_code == 403
    bad = live.call("POST", "/commands/suspend?batch_code=a,b", ka)
    assert bad.status_code == 422
    assert live.admin("POST", "/commands/suspend").status_code == 422


def test_deleting_a_tenant_keeps_history_and_frees_nothing(live: Live) -> None:
    ka = live.create_tenant("acme")
    live.call("POST", "/account", ka, json={"id": "smtp1", "host": "127.0.0.1", "port": 2525})
    deleted = live.admin("DELETE", "/tenant/acme")
    assert deleted.json() == {"ok": True, "cancelled": 0}
    assert live.call("GET", "/tenant/acme", ka).status_code == 401
    assert live.admin("GET", "/tenant/acme").status_code == 404
    shown = live.admin("GET", "/tenant/acme?include_deleted=true").json()
    assert shown["deleted"] is True and shown["api_key"] is None
    assert live.admin("GET", "/accounts?tenant_id=acme").status_code == 404
    assert live.admin("POST", "/tenant", json={"id": "acme"}).status_code == 409
    log = live.admin("GET", "/command-log?tenant_id=acme").json()
    assert [c["endpoint"] for c in log["commands"]][-2:] == ["DELETE /tenant/{id}", "POST /tenant"]
