"""The dashboard's hourly roll-up (``send_hours``, ADR 0014): late facts land in the hour the
send was queued, and the roll-up is what a rebuild, or a count from the rows, gives."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.rebuild import rebuild_view, verify_view
from projections.console_sends import SendsView
from projections.console_sends_hours import backfill
from tests.e2e.test_console_dashboard import click, kpis, on_the_hour, pixel
from tests.e2e.test_console_sends import DESKTOP, acme, outcomes, send  # noqa: F401
from tests.support.console import Console

pytestmark = pytest.mark.e2e


def hours(console: Console, table: str = "send_hours") -> dict[int, tuple[int, ...]]:
    """hour -> (sends, delivered, bounced, opened, clicked, engaged) of acme's api sends."""
    with console.live.container.db.transaction(write=False) as tx:
        raw = tx.execute(
            f"SELECT hour, sends, delivered, bounced, opened, clicked, engaged FROM {table} "
            "WHERE tenant_id = 'acme' AND origin = 'api'"
        )
    return {int(r[0]): tuple(int(n) for n in r[1:]) for r in raw}


def test_a_late_open_counts_in_the_hour_it_was_queued(acme: tuple[Console, Any]) -> None:  # noqa: F811
    console, _ = acme
    queued_hour = int(on_the_hour(console) // 3600)
    pks = send(console, "u1", "u2")
    console.live.advance(3 * 3600)  # hour H is now wholly inside the 24 h window: read from the roll-up
    board = kpis(console)
    assert board["kpis"]["sends"]["value"] == 2 and board["kpis"]["openRate"]["value"] == 0.0
    assert board["series"]["hourly"]["sends"][20] == 2 and sum(board["series"]["hourly"]["opens"]) == 0
    pixel(console, pks["u1"], DESKTOP)  # three hours after it was queued
    pixel(console, pks["u1"], DESKTOP)  # a second open changes nothing
    pixel(console, pks["u2"], "Mimecast-Protect/1.0")  # a bot: not an open
    board = kpis(console)
    assert board["kpis"]["openRate"]["value"] == 0.5 and board["kpis"]["openRate"]["valueInclBots"] == 1.0
    assert board["series"]["hourly"]["opens"] == [0] * 23 + [1]
    assert board["series"]["hourly"]["sends"][20] == 2
    assert hours(console) == {queued_hour: (2, 2, 0, 1, 0, 0), queued_hour + 3: (0, 0, 0, 0, 0, 1)}
    wide = console.admin("GET", "/dashboard", params={"origin": "all", "window": "30d"}).json()["kpis"]
    assert wide["openRate"]["value"] == 0.5 and wide["sends"]["value"] == 2
    outcomes(
        console,
        {"id": "b1", "type": "bounce", "messageId": pks["u1"], "bounce": {"code": "5.1.1"},
         "occurredAt": "2020-01-01T00:00:00Z"},
    )
    board = kpis(console)  # a bounce takes the send out of D, with its open
    assert board["kpis"]["deliveredRate"]["value"] == 0.5 and board["kpis"]["openRate"]["value"] == 0.0
    assert hours(console)[queued_hour] == (2, 1, 1, 0, 0, 0)


def test_the_roll_up_is_what_a_rebuild_and_the_rows_give(acme: tuple[Console, Any]) -> None:  # noqa: F811
    console, _ = acme
    container = console.live.container
    on_the_hour(console)
    first = send(console, "u1", "u2", "u3")
    console.live.advance(2 * 3600 + 600)
    pixel(console, first["u1"], DESKTOP)
    later = send(console, "u4", "u5")
    console.live.advance(60)  # a click in the first 10 s is a scanner's
    click(console, later["u4"])
    outcomes(
        console,
        {"id": "b2", "type": "bounce", "messageId": first["u2"], "bounce": {"code": "5.1.1"},
         "occurredAt": "2020-01-01T00:00:00Z"},
    )
    kpis(console)  # caught up
    live = hours(console)
    assert sum(v[0] for v in live.values()) == 5 and sum(v[5] for v in live.values()) == 2
    check = SendsView(container.db, prefix="check_")
    check.drop()
    check.create()
    with container.db.transaction() as tx:
        assert backfill(tx, container.db.dialect, "sends", "check_send_hours") == 5
    assert hours(console, "check_send_hours") == live
    check.drop()
    report = verify_view(container, "sends")
    assert report.verified is True, report.differences
    rebuild_view(container, "sends")
    assert hours(console) == live
    with container.db.transaction() as tx:  # a view built before the roll-up existed
        tx.execute("DELETE FROM send_hours")
    container.projections["sends"].view.create()
    assert hours(console) == live
