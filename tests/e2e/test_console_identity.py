"""Console identity, tenant scoping and console keys over HTTP (console.md §1; §17 scenarios 1, 2, 4)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.support.console import Console, without_request_id
from tests.support.live import Live

pytestmark = pytest.mark.e2e


@pytest.fixture
def console(live: Live) -> Iterator[Console]:
    c = Console(live)
    c.tenant("acme")
    c.tenant("beta")
    yield c


def test_me_reports_actor_tenant_and_permissions(console: Console) -> None:  # scenario 1
    me = console.as_key("GET", "/me")
    assert me.status_code == 200, me.text
    body = me.json()
    key_id = re.match(r"^lmk_([0-9a-f]{16})_", console.keys["acme"]).group(1)  # type: ignore[union-attr]
    assert body["tenantId"] == "acme" and body["actor"] == f"key:{key_id}" and body["keyId"] == key_id
    assert body["permissions"] == {
        "canRead": True,
        "canPublish": True,
        "canSendBroadcasts": True,
        "canManageSuppressions": True,
    }
    assert body["broadcastConfirmationThreshold"] == 1000
    token, _ = console.token(["admin-read"], label="ro")
    ro = console.call("GET", "/me", token).json()
    assert ro["permissions"] == {
        "canRead": True,
        "canPublish": False,
        "canSendBroadcasts": False,
        "canManageSuppressions": False,
    }
    assert ro["scopes"] == ["admin-read"]


def test_tokens_and_tenants_are_checked_in_order(console: Console) -> None:  # scenario 2
    assert console.call("GET", "/me").json()["error"] == "unauthorized"
    assert console.call("GET", "/me", "lmk_0000000000000000_" + "x" * 43).status_code == 401
    missing = console.call("GET", "/me", "admin-test-token")
    assert missing.status_code == 400 and missing.json()["error"] == "tenant_required"
    assert console.admin("GET", "/me", tenant="ghost").status_code == 404
    assert console.admin("GET", "/me").status_code == 200
    other = console.call("GET", "/me", console.keys["acme"], tenant="beta")
    ghost = console.call("GET", "/me", console.keys["acme"], tenant="ghost")
    assert other.status_code == ghost.status_code == 403
    assert without_request_id(other.json()) == without_request_id(ghost.json())


def test_admin_actor_header(console: Console) -> None:
    me = console.admin("GET", "/me", headers={"X-Actor": "human:ops@acme.test"}).json()
    assert me["actor"] == "human:ops@acme.test" and me["keyId"] is None
    assert console.admin("GET", "/me", headers={"X-Actor": "robot"}).json()["actor"] == "admin"


def test_console_keys_lifecycle(console: Console, live: Live) -> None:  # scenario 4 (keys)
    created = console.admin("POST", "/tokens", json={"label": "ro", "scopes": ["admin-read"]})
    assert created.status_code == 201
    body = created.json()
    token, key_id = body["token"], body["keyId"]
    assert set(body) == {"keyId", "token", "label", "scopes", "expiresAt"}
    listed = console.admin("GET", "/tokens").json()["tokens"]
    assert [t["keyId"] for t in listed] == [key_id] and "token" not in listed[0]
    assert token not in console.admin("GET", "/tokens").text
    assert console.admin("GET", "/tokens", tenant="beta").json()["tokens"] == []
    assert console.as_key("POST", "/tokens", json={"label": "x", "scopes": ["publish"]}).status_code == 403
    assert console.call("GET", "/tokens", token).status_code == 403
    # a console key is for /admin/api only
    proxy = live.call("POST", "/commands/add-messages", token, json={"messages": []})
    assert proxy.status_code == 403 and proxy.json()["error"] == "forbidden"
    revoked = console.admin("DELETE", f"/tokens/{key_id}")
    assert revoked.json() == {"ok": True, "revoked": True}
    assert console.call("GET", "/me", token).status_code == 401
    assert console.admin("DELETE", f"/tokens/{key_id}").json()["revoked"] is False
    assert console.admin("DELETE", "/tokens/0000000000000000").status_code == 404


def test_token_body_is_validated(console: Console) -> None:
    bad = console.admin("POST", "/tokens", json={"label": "x", "scopes": ["root"]})
    assert bad.status_code == 400 and bad.json()["error"] == "validation_failed"
    unknown = console.admin("POST", "/tokens", json={"label": "x", "scopes": ["publish"], "scop": 1})
    assert unknown.status_code == 400 and unknown.json()["details"][0]["path"] == "$.scop"
