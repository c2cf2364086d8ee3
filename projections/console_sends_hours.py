"""The dashboard's hourly roll-up of the ``sends`` view: table ``send_hours`` (console.md §3).

One row per (tenant_id, origin, hour), ``hour`` = UTC epoch hour (``ts // 3600``). Counts
over the sends queued in that hour that are in P (status not suppressed/cancelled):
``sends`` |P|, ``delivered`` |D| (sent, not bounced), ``bounced``, and among D those with a
human open or click (``opened``), any open or click (``opened_any``), a human click, a
complaint, an unsubscribe. A fact is attributed to the send's *queued* hour however late it
comes. ``engaged`` is the one count keyed differently: P sends whose first human open or
click (``engaged_ts``) fell in that hour, for the dashboard's hourly opens series.

The projection keeps it by difference: a send's contribution (the keys and counts it adds)
is taken before and after a page is folded and only the change is applied, so a fact counts
once however many opens follow, and a send that later bounces, is cancelled or is
suppressed leaves the counts it had. Rows whose counts fall to zero are deleted, so the
table is a function of the ``sends`` rows alone and a rebuild gives the same rows whatever
its pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from projections.sending import bulk
from projections.sql import SqlTx

HOUR = 3600
KEY = ("tenant_id", "origin", "hour")
HOURS: dict[str, str] = {
    "tenant_id": "text",
    "origin": "text",
    "hour": "int",
    "sends": "int",
    "delivered": "int",
    "bounced": "int",
    "opened": "int",
    "opened_any": "int",
    "clicked": "int",
    "complained": "int",
    "unsubscribed": "int",
    "engaged": "int",
}
FACTS = tuple(c for c in HOURS if c not in KEY)
Key = tuple[str, str, int]
Share = list[tuple[Key, tuple[int, ...]]]
OUT_OF_P = ("suppressed", "cancelled")


def hour_of(ts: float) -> int:
    return int(ts // HOUR)


def contribution(row: Mapping[str, Any] | None) -> Share:
    """What one ``sends`` row adds to the roll-up: (key, counts in ``FACTS`` order) pairs."""
    if row is None or row["status"] in OUT_OF_P or row["queued_ts"] is None:
        return []
    tenant, origin = row["tenant_id"], row["origin"]
    d = row["sent_ts"] is not None and not row["bounced"]
    facts = (
        1,
        int(d),
        int(bool(row["bounced"])),
        int(d and row["engaged_ts"] is not None),
        int(d and (row["first_open_ts"] is not None or row["first_click_ts"] is not None)),
        int(d and bool(row["human_click_count"])),
        int(d and row["complained_ts"] is not None),
        int(d and row["unsubscribed_ts"] is not None),
        0,
    )
    out: Share = [((tenant, origin, hour_of(row["queued_ts"])), facts)]
    if row["engaged_ts"] is not None:
        out.append(((tenant, origin, hour_of(row["engaged_ts"])), (0,) * (len(FACTS) - 1) + (1,)))
    return out


def shares(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Share]:
    """Each row's contribution, taken before a page changes the rows (they change in place)."""
    return {pk: contribution(row) for pk, row in rows.items()}


def changes(rows: Iterable[Mapping[str, Any]], before: Mapping[str, Share]) -> dict[Key, list[int]]:
    """The net change to the roll-up from ``before`` to ``rows``; zero changes left out."""
    out: dict[Key, list[int]] = {}
    for row in rows:
        for sign, share in ((1, contribution(row)), (-1, before.get(row["pk"], []))):
            for key, facts in share:
                total = out.setdefault(key, [0] * len(FACTS))
                for i, n in enumerate(facts):
                    total[i] += sign * n
    return {k: v for k, v in out.items() if any(v)}


def apply(tx: SqlTx, dialect: str, table: str, delta: Mapping[Key, Sequence[int]]) -> None:
    """Add ``delta`` to the roll-up; delete the rows it empties (no send counted there)."""
    if not delta:
        return
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in FACTS)
    bulk.upsert(tx, dialect, table, HOURS, ", ".join(KEY), [[*k, *v] for k, v in delta.items()], sets)
    emptied = [list(k) for k, v in delta.items() if min(v) < 0]
    if emptied:
        tx.executemany(
            f"DELETE FROM {table} WHERE tenant_id = ? AND origin = ? AND hour = ? "
            "AND sends = 0 AND engaged = 0",
            emptied,
        )


def backfill(tx: SqlTx, dialect: str, sends: str, table: str, page: int = 20_000) -> int:
    """Build the roll-up from the ``sends`` rows (a view created before it existed)."""
    columns = sorted({"pk", "tenant_id", "origin", "status", "queued_ts", "sent_ts", "bounced",
                      "engaged_ts", "first_open_ts", "first_click_ts", "human_click_count",
                      "complained_ts", "unsubscribed_ts"})
    last, seen, total = "", 0, dict[Key, list[int]]()
    while True:
        raw = tx.execute(
            f"SELECT {', '.join(columns)} FROM {sends} WHERE pk > ? ORDER BY pk LIMIT ?", (last, page)
        )
        rows = [dict(zip(columns, r, strict=True)) for r in raw]
        for key, facts in changes(rows, {}).items():
            acc = total.setdefault(key, [0] * len(FACTS))
            for i, n in enumerate(facts):
                acc[i] += n
        seen += len(rows)
        if len(rows) < page:
            break
        last = rows[-1]["pk"]
    # overwrite, not add: two processes starting at once must not count twice
    bulk.upsert(tx, dialect, table, HOURS, ", ".join(KEY), [[*k, *v] for k, v in total.items()])
    return seen
