"""Scope matrix: every mutating console endpoint x every scope set -> the documented status
(console.md §1.2; §17 scenario 4). A refused call changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.console import Console
from tests.support.live import Live

pytestmark = pytest.mark.e2e

SETS = {
    "R": ["admin-read"],
    "P": ["publish"],
    "B": ["broadcasts"],
    "S": ["suppressions"],
    "BR": ["broadcasts", "admin-read"],
}
# (method, path, body, the sets that may call it, the status they get)
MATRIX: list[tuple[str, str, Any, set[str], int]] = [
    ("PUT", "/contacts/m1", {"email": "m1@ex.test"}, {"P"}, 201),
    ("POST", "/contacts/import", {"contacts": [{"externalId": "m2", "email": "m2@ex.test"}]}, {"P"}, 200),
    ("POST", "/contacts/base/tags", {"add": ["x"]}, {"P"}, 200),
    ("POST", "/contacts/base/subscribe", {"source": "t"}, {"P"}, 200),
    ("POST", "/contacts/base/unsubscribe", {}, {"P", "S"}, 200),
    ("PUT", "/events/registry/Signup", {"dedupePolicy": "every-time"}, {"P"}, 200),
    ("DELETE", "/events/registry/Signup", None, {"P"}, 200),
    ("POST", "/events", {"name": "Any", "externalId": "base", "dedupeKey": "k"}, {"P"}, 200),
    ("POST", "/suppressions", {"email": "q@ex.test", "scope": "all", "reason": "manual"}, {"S"}, 201),
    ("POST", "/suppressions/lift", {"email": "nobody@ex.test", "note": "why"}, {"S"}, 200),
    ("POST", "/contacts/gone/forget", None, {"S"}, 200),
    ("POST", "/tokens", {"label": "x", "scopes": ["publish"]}, set(), 201),
    ("GET", "/contacts", None, {"R", "BR"}, 200),
    ("GET", "/suppressions", None, {"R", "BR"}, 200),
    ("GET", "/audit", None, {"R", "BR"}, 200),
    ("GET", "/events", None, {"R", "BR"}, 200),
    ("GET", "/me", None, set(SETS), 200),
]


@pytest.mark.parametrize("scope_set", sorted(SETS))
def test_scope_matrix(live: Live, scope_set: str) -> None:
    console = Console(live)
    console.tenant("acme")
    for ext in ("base", "gone"):
        assert console.admin("PUT", f"/contacts/{ext}", json={"email": f"{ext}@ex.test"}).status_code == 201
    token, _ = console.token(SETS[scope_set])
    for method, path, body, allowed, status in MATRIX:
        kwargs = {"json": body} if body is not None else {}
        before = console.admin("GET", "/audit", params={"limit": 1}).json()["entries"]
        answer = console.call(method, path, token, **kwargs)
        expected = status if scope_set in allowed else 403
        assert answer.status_code == expected, (method, path, scope_set, answer.text)
        if expected == 403:
            assert answer.json()["error"] == "forbidden"
            assert console.admin("GET", "/audit", params={"limit": 1}).json()["entries"] == before
    # the admin token and the tenant key hold every scope
    assert (
        console.admin(
            "POST", "/events", json={"name": "Any", "externalId": "base", "dedupeKey": "z"}
        ).status_code
        == 200
    )
    assert console.as_key("POST", "/tokens", json={"label": "x", "scopes": ["publish"]}).status_code == 403
