"""The dashboard over HTTP (console.md §3; §17 scenarios 7 and 8 on proxy messages, with
``origin=all``: console sends arrive with the templates issue)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_console_sends import DESKTOP, acme, outcomes, send  # noqa: F401
from tests.support.console import Console

pytestmark = pytest.mark.e2e


def pixel(console: Console, pk: str, ua: str) -> None:
    links = console.live.container.tracking
    console.live.call(
        "GET", links.pixel_url("acme", pk).replace(links.public_url, ""), None, headers={"User-Agent": ua}
    )


def click(console: Console, pk: str) -> None:
    links = console.live.container.tracking
    links.remember(pk, {"aaaaaaaaaaaa": "https://acme.test/"})
    console.live.call(
        "GET",
        links.click_url("acme", pk, "aaaaaaaaaaaa").replace(links.public_url, ""),
        None,
        headers={"User-Agent": DESKTOP},
        follow_redirects=False,
    )


def on_the_hour(console: Console) -> float:
    """Move the clock to one minute past the next hour (the series' buckets are clock hours)."""
    now = console.live.advance(0)
    return console.live.advance(3600 - now % 3600 + 60)


def kpis(console: Console, tenant: str = "acme", origin: str = "all") -> dict[str, Any]:
    answer = console.admin("GET", "/dashboard", tenant, params={"origin": origin})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_kpis_deltas_and_series(acme: tuple[Console, Any]) -> None:  # noqa: F811  scenario 7
    console, _ = acme
    fresh = kpis(console, "beta")
    assert fresh["kpis"]["sends"] == {"value": 0, "delta": None}
    assert fresh["kpis"]["openRate"]["value"] is None and fresh["series"]["hourly"]["sends"] == [0] * 24
    assert fresh["queue"]["providerOk"] is None and fresh["health"]["status"] == "healthy"
    on_the_hour(console)
    first = send(console, *(f"u{n}" for n in range(1, 6)))
    console.live.advance(60)
    pixel(console, first["u1"], DESKTOP)
    console.live.advance(25 * 3600)
    later = send(console, *(f"u{n}" for n in range(6, 16)))
    console.live.advance(60)
    outcomes(
        console,
        *(
            {
                "id": f"b{u}",
                "type": "bounce",
                "messageId": later[u],
                "bounce": {"code": "5.1.1"},
                "occurredAt": "2020-01-01T00:00:00Z",
            }
            for u in ("u6", "u7")
        ),
    )
    for user in ("u8", "u9", "u10", "u11"):
        pixel(console, later[user], DESKTOP)
    for user in ("u8", "u9"):
        click(console, later[user])
    board = kpis(console)
    got = board["kpis"]
    assert got["sends"] == {"value": 10, "delta": 1.0}
    assert got["deliveredRate"]["value"] == 0.8 and got["deliveredRate"]["bounced"] == 2
    assert got["deliveredRate"]["delta"] == pytest.approx(-0.2)
    assert got["openRate"]["value"] == 0.5 and got["openRate"]["delta"] == pytest.approx(0.3)
    assert got["clickRate"] == {"value": 0.25, "delta": 0.25}
    assert sum(board["series"]["hourly"]["sends"]) == 10 and board["series"]["hourly"]["sends"][23] == 10
    assert sum(board["series"]["hourly"]["opens"]) == 4
    assert board["queue"]["providerOk"] is True and board["queue"]["providerName"] == "sink"
    assert len(board["recentSends"]) == 6 and {"email", "status", "queuedAt"} <= set(board["recentSends"][0])
    assert kpis(console, origin="console")["kpis"]["sends"]["value"] == 0  # api sends count only with all
    assert console.admin("GET", "/dashboard", params={"window": "1y"}).status_code == 400
    assert console.admin("DELETE", "/dashboard").status_code == 405


def test_bots_are_kept_out_of_the_open_rate(acme: tuple[Console, Any]) -> None:  # noqa: F811  scenario 8
    console, _ = acme
    pks = send(console, "u1", "u2", "u3", "u4")
    console.live.advance(60)
    for user, ua in (("u1", DESKTOP), ("u2", "Mimecast-Protect/1.0"), ("u3", "Mozilla/5.0")):
        pixel(console, pks[user], ua)
    rate = kpis(console)["kpis"]["openRate"]
    assert (rate["value"], rate["valueInclBots"], rate["exclBots"]) == (0.25, 0.75, True)
    third = console.admin("GET", f"/sends/{pks['u3']}").json()["send"]
    assert (third["opens"][0]["botReason"], third["openCount"], third["humanOpenCount"]) == (
        "apple_mpp",
        1,
        0,
    )
