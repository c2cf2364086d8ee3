"""The roll-up's bookkeeping (``projections.console_sends_hours``): a send's share moves by
difference, each fact counts once, in the hour the send was queued."""

from __future__ import annotations

from typing import Any

import pytest

from projections.console_sends_fold import COLUMNS, COUNTS
from projections.console_sends_hours import FACTS, changes, shares

pytestmark = pytest.mark.unit
H = 500_000  # an epoch hour


def row(**fields: Any) -> dict[str, Any]:
    out = dict.fromkeys(COLUMNS)
    out.update(dict.fromkeys(COUNTS, 0))
    out.update(pk="p1", tenant_id="acme", origin="flow", status="sent", queued_ts=H * 3600 + 10.0,
               sent_ts=H * 3600 + 15.0)
    out.update(fields)
    return out


def counts(**named: int) -> list[int]:
    return [named.get(f, 0) for f in FACTS]


def test_a_new_send_counts_in_its_queued_hour() -> None:
    assert changes([row()], {}) == {("acme", "flow", H): counts(sends=1, delivered=1)}


def test_a_late_open_adds_to_the_queued_hour_and_the_engaged_hour() -> None:
    late = (H + 5) * 3600 + 1.0  # five hours after it was queued
    old = row(human_open_count=1, open_count=1, first_open_ts=late, first_human_open_ts=late, engaged_ts=late)
    before = shares({"p1": row()})
    assert changes([old], before) == {
        ("acme", "flow", H): counts(opened=1, opened_any=1),
        ("acme", "flow", H + 5): counts(engaged=1),
    }
    again = dict(old, open_count=2, human_open_count=2)  # a second open: no change
    assert changes([again], shares({"p1": old})) == {}


def test_a_bounce_or_a_cancel_takes_back_what_the_send_had() -> None:
    opened = row(first_open_ts=H * 3600 + 99.0, open_count=1)
    bounced = dict(opened, status="bounced", bounced=1)
    assert changes([bounced], shares({"p1": opened})) == {
        ("acme", "flow", H): counts(delivered=-1, bounced=1, opened_any=-1)
    }
    cancelled = dict(row(sent_ts=None), status="cancelled")
    assert changes([cancelled], shares({"p1": row(sent_ts=None)})) == {("acme", "flow", H): counts(sends=-1)}


def test_queued_afresh_moves_the_send_to_its_new_hour() -> None:
    again = row(queued_ts=(H + 2) * 3600.0, sent_ts=None, status="queued")
    assert changes([again], shares({"p1": row()})) == {
        ("acme", "flow", H): counts(sends=-1, delivered=-1),
        ("acme", "flow", H + 2): counts(sends=1),
    }
