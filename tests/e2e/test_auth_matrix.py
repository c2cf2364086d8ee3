"""Every tenancy endpoint x every kind of caller gets the documented status (proxy.md §1, §3).

Callers: no token, a bad token, an expired key, a revoked key, another tenant's key, the
target tenant's own key, the admin token. Each row targets tenant ``acme``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.live import ADMIN, Live

pytestmark = pytest.mark.e2e

CALLERS = ("none", "bad", "expired", "revoked", "other", "own", "admin")
AUTH = dict(none=401, bad=401, expired=401, revoked=401)


def row(own: int, admin: int, other: int = 403) -> dict[str, int]:
    return {**AUTH, "other": other, "own": own, "admin": admin}


def admin_row(admin: int) -> dict[str, int]:
    return {**AUTH, "other": 403, "own": 403, "admin": admin}


ACCOUNT = {"id": "smtp9", "host": "127.0.0.1", "port": 2525}
# (method, path, json body or None, expected status by caller)
MATRIX: list[tuple[str, str, Any, dict[str, int]]] = [
    ("GET", "/status", None, row(own=200, admin=200, other=200)),
    ("POST", "/commands/run-now?tenant_id=acme", None, row(own=200, admin=200)),
    ("POST", "/commands/suspend?tenant_id=acme", None, row(own=200, admin=200)),
    ("POST", "/commands/activate?tenant_id=acme", None, row(own=200, admin=200)),
    ("POST", "/account", {**ACCOUNT, "tenant_id": "acme"}, row(own=201, admin=200)),
    ("GET", "/accounts?tenant_id=acme", None, row(own=200, admin=200)),
    ("DELETE", "/account/nosuch?tenant_id=acme", None, row(own=404, admin=404)),
    ("GET", "/tenant/acme", None, row(own=200, admin=200)),
    ("PUT", "/tenant/acme", {"name": "Acme"}, row(own=200, admin=200)),
    ("POST", "/tenant", {"id": "zeta"}, admin_row(201)),
    ("GET", "/tenants", None, admin_row(200)),
    ("GET", "/tenants/sync-status", None, admin_row(200)),
    ("GET", "/instance", None, admin_row(200)),
    ("PUT", "/instance", {"name": "lm"}, admin_row(200)),
    ("POST", "/instance/reload-bounce", None, admin_row(200)),
    ("GET", "/command-log", None, admin_row(200)),
    ("GET", "/command-log/export", None, admin_row(200)),
    ("POST", "/tenant/victim/api-key", None, admin_row(201)),
    ("DELETE", "/tenant/victim/api-key", None, admin_row(200)),
    ("DELETE", "/tenant/victim", None, admin_row(200)),
]
PUBLIC = [("GET", "/health"), ("GET", "/metrics")]


def tokens(live: Live) -> dict[str, str | None]:
    now = live.advance(0)
    expiring = live.admin("POST", "/tenant", json={"id": "old", "api_key_expires_at": now + 5}).json()
    revoked = live.create_tenant("gone")
    live.admin("DELETE", "/tenant/gone/api-key")
    out = {"none": None, "bad": "lmk_0000000000000000_" + "x" * 43, "expired": expiring["api_key"],
           "revoked": revoked, "other": live.create_tenant("beta"), "own": live.create_tenant("acme"),
           "admin": ADMIN}
    live.create_tenant("victim")
    live.advance(6)
    return out


def test_every_endpoint_answers_every_caller_as_documented(live: Live) -> None:
    keys = tokens(live)
    wrong = []
    for method, path, body, expected in MATRIX:
        for caller in CALLERS:
            answer = live.call(method, path, keys[caller], json=body)
            if answer.status_code != expected[caller]:
                wrong.append(f"{method} {path} as {caller}: {answer.status_code} != {expected[caller]} "
                             f"{answer.text[:120]}")
            if answer.status_code >= 400:
                assert set(answer.json()) >= {"error", "message", "request_id"}
    for method, path in PUBLIC:
        assert live.call(method, path, None).status_code == 200
    assert wrong == []


def test_auth_failures_are_counted_not_logged(live: Live) -> None:
    before = live.admin("GET", "/command-log").json()["total"]
    for _ in range(3):
        assert live.call("POST", "/commands/suspend?tenant_id=acme", "nope").status_code == 401
    assert live.admin("GET", "/command-log").json()["total"] == before
    metrics = live.call("GET", "/metrics", None).text
    assert "ledgermail_auth_failures_total 3.0" in metrics
