"""``X-Consistency-Token`` (console.md §1.4, scenario 53): a write's token makes a later GET wait
for the read models; with projections stopped, the GET answers 503 ``projection_lag``."""

from __future__ import annotations

import pytest

from api.consistency import decode_token, encode_token
from tests.support.console import Console
from tests.support.live import ADMIN, Live

pytestmark = pytest.mark.e2e


def test_tokens_round_trip_and_reject_garbage() -> None:
    token = encode_token({"sending": 12, "console": 3})
    assert decode_token(token) == {"console": 3, "sending": 12}
    for bad in ("", "v1.", "v1.!!!", "v2.e30", encode_token({"x": 1})[:-2] + "?", "v1." + "W10"):
        assert decode_token(bad) is None, bad


def test_a_write_returns_a_token_and_a_get_waits_for_it(live: Live) -> None:
    console = Console(live)
    console.tenant("acme")
    put = console.admin("PUT", "/contacts/u1", json={"email": "u1@ex.test"})
    assert put.status_code in (200, 201), put.text
    token = put.headers["X-Consistency-Token"]
    assert "console" in (decode_token(token) or {})
    got = console.admin("GET", "/contacts/u1", headers={"X-Consistency-Token": token})
    assert got.status_code == 200 and got.json()["contact"]["email"] == "u1@ex.test"
    refused = console.admin("PUT", "/contacts/u1", json={"email": "nope"})
    assert refused.status_code == 400 and "X-Consistency-Token" not in refused.headers
    bad = console.admin("GET", "/contacts/u1", headers={"X-Consistency-Token": "forged"})
    assert bad.status_code == 400 and bad.json()["error"] == "validation_failed"


def test_a_token_ahead_of_the_views_answers_projection_lag(live: Live) -> None:
    live.create_tenant("acme")
    ahead = encode_token({"tenancy": live.container.tenancy.max_position() + 1000})
    answer = live.call("GET", "/tenants", ADMIN, headers={"X-Consistency-Token": ahead})
    assert answer.status_code == 503 and answer.json()["error"] == "projection_lag"
    assert answer.headers["Retry-After"] == "1"
