"""History on both backends: export round trip, as-of replay of a recorded run, views as of."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import polars as pl
import pytest

from adapters.history.aggregates import AggregateHistory, AsOf, fold, snapshot, tenant_of, transitions
from adapters.history.reader import EventFilter, HistoryReader
from adapters.history.views import position_at, view_as_of
from adapters.settings import Settings
from scripts.export import export
from tests.support.dispatch import DispatchRig, open_rig
from tests.support.history import Observed, every_event, m1_id, recorded_run
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration
KEYS = (
    "application",
    "position",
    "topic",
    "aggregate_id",
    "aggregate_version",
    "timestamp",
    "actor",
    "command_id",
)


@pytest.fixture
def run(
    settings: Settings, smtp_sink: Callable[..., SmtpSink]
) -> Iterator[tuple[DispatchRig, list[Observed]]]:
    with open_rig(settings, smtp_sink()) as rig:
        yield rig, recorded_run(rig)


def test_parquet_and_jsonl_round_trip_every_event(
    run: tuple[DispatchRig, list[Observed]], tmp_path: Path
) -> None:
    rig, _ = run
    truth = every_event(rig.c)
    assert {e["topic"] for e in truth} >= {"Message.Queued", "Message.Sent", "Contact.Forgotten"}
    result = export(rig.c, EventFilter(), tmp_path / "all.parquet", "parquet", page_size=7)
    assert result.events == len(truth)
    frame = pl.read_parquet(tmp_path / "all.parquet")
    assert frame.schema["time"] == pl.Datetime("us", "UTC")
    got = [
        {**{k: r[k] for k in KEYS}, "payload": msgspec.json.decode(r["payload"])}
        for r in frame.iter_rows(named=True)
    ]
    assert got == truth
    export(rig.c, EventFilter(), tmp_path / "all.jsonl", "jsonl", page_size=5)
    lines = pl.read_ndjson(tmp_path / "all.jsonl", schema_overrides={"payload": pl.String})
    assert [
        {**{k: r[k] for k in KEYS}, "payload": msgspec.json.decode(r["payload"])}
        for r in lines.iter_rows(named=True)
    ] == truth


def test_filters_and_resume(run: tuple[DispatchRig, list[Observed]], tmp_path: Path) -> None:
    rig, seen = run
    truth = [e for e in every_event(rig.c) if e["application"] == "sending"]
    first = export(
        rig.c,
        EventFilter(applications=("sending",), stop={"sending": seen[0].position}),
        tmp_path / "a.parquet",
        "parquet",
    )
    rest = export(
        rig.c,
        EventFilter(applications=("sending",), after=first.positions),
        tmp_path / "b.parquet",
        "parquet",
    )
    both = pl.concat([pl.read_parquet(tmp_path / "a.parquet"), pl.read_parquet(tmp_path / "b.parquet")])
    assert both["position"].to_list() == [e["position"] for e in truth]
    assert rest.positions == {"sending": rig.c.sending.max_position()}
    only = export(
        rig.c,
        EventFilter(aggregate_ids=frozenset([m1_id()]), topics=frozenset(["Message.Sent"])),
        tmp_path / "m1.jsonl",
        "jsonl",
    )
    assert only.events == 1
    timed = export(
        rig.c, EventFilter(since=seen[0].ts + 1, until=seen[1].ts + 1), tmp_path / "t.jsonl", "jsonl"
    )
    stamps = pl.read_ndjson(tmp_path / "t.jsonl")["timestamp"]
    assert timed.events and stamps.min() >= seen[0].ts + 1 and stamps.max() < seen[1].ts + 1  # type: ignore[operator]
    # the same window through Parquet (on PostgreSQL: the time filter runs in the workers)
    window = EventFilter(since=seen[0].ts + 1, until=seen[1].ts + 1)
    timed_pq = export(rig.c, window, tmp_path / "t.parquet", "parquet", page_size=2)
    assert timed_pq.events == timed.events
    assert pl.read_parquet(tmp_path / "t.parquet")["position"].to_list() == \
        pl.read_ndjson(tmp_path / "t.jsonl")["position"].to_list()
    empty = export(rig.c, EventFilter(tenant_id="nobody"), tmp_path / "none.parquet", "parquet")
    assert empty.events == 0 and pl.read_parquet(tmp_path / "none.parquet").height == 0


def test_tenant_export_keeps_the_forgotten_contact_sealed(
    run: tuple[DispatchRig, list[Observed]], tmp_path: Path
) -> None:
    """console.md §17 scenario 14: sealed fields stay sealed; after the forget nothing opens."""
    rig, _ = run
    rig.c.tenancy.register_account("acme", "smtp9", {"host": "h", "port": 25, "password": "pw-secret-9"})
    result = export(rig.c, EventFilter(tenant_id="acme"), tmp_path / "acme.jsonl", "jsonl")
    text = (tmp_path / "acme.jsonl").read_text()
    assert result.events > 5 and "Contact.Forgotten" in text and "enc:c1:" in text
    assert "u2@ex.test" not in text and "gold-u2" not in text and "pw-secret-9" not in text
    tenants = {msgspec.json.decode(line)["tenant_id"] for line in text.splitlines()}
    assert tenants == {"acme"}  # Message.Sent names no tenant: it comes from the message's first event
    # Parquet in small pages (on PostgreSQL: decoded by two worker processes, tenants resolved
    # across their pages) holds the same events
    parquet = export(rig.c, EventFilter(tenant_id="acme"), tmp_path / "acme.parquet", "parquet", page_size=3)
    frame = pl.read_parquet(tmp_path / "acme.parquet")
    assert parquet.events == result.events == frame.height and set(frame["tenant_id"]) == {"acme"}
    assert "Message.Sent" in set(frame["topic"])


def test_as_of_replay_equals_the_state_observed_at_that_time(run: tuple[DispatchRig, list[Observed]]) -> None:
    rig, seen = run
    history = AggregateHistory(rig.c.sources(), rig.c.db)
    events = history.events(m1_id())
    assert events and events[0].application == "sending"
    for observed in seen:
        by_position = fold(events, AsOf(position=observed.position))
        by_time = fold(events, AsOf(ts=observed.ts))
        assert by_position is not None and by_time is not None
        assert snapshot(by_position) == observed.state, observed.step
        assert snapshot(by_time) == observed.state, observed.step
    assert fold(events, AsOf(ts=seen[0].ts - 1)) is None  # before it existed
    assert tenant_of(events, fold(events)) == "acme"
    steps = transitions(events)
    assert [s["topic"] for s in steps] == ["Message.Queued", "Message.AttemptStarted", "Message.Sent"]
    assert steps[-1]["changes"]["status"] == {"before": "sending", "after": "sent"}
    assert steps[0]["actor"] == "system" and steps[0]["tenant_id"] == "acme"
    assert [s["position"] for s in steps] == sorted(s["position"] for s in steps)


def test_a_view_as_of_a_position(run: tuple[DispatchRig, list[Observed]]) -> None:
    rig, seen = run
    source = rig.c.sources()["sending"]
    assert position_at(source, seen[0].ts) == seen[0].position
    assert position_at(source, seen[0].ts - 1) == 0
    early = view_as_of(
        rig.c, "messages", {"sending": seen[0].position, "tenancy": rig.c.tenancy.max_position()}
    )
    rows = early.tables["messages"]
    status = rows["columns"].index("status")
    assert sorted(r[status] for r in rows["rows"]) == ["pending", "pending"]
    rig.c.catch_up(["messages"])
    now = view_as_of(rig.c, "messages", rig.c.projections["messages"].view.positions())
    with rig.c.db.transaction(write=False) as tx:
        live = rig.c.projections["messages"].view.rows(tx)
    assert {t: len(v) for t, v in live.items()} == {t: v["total"] for t, v in now.tables.items()}
    with rig.c.db.transaction(write=False) as tx:
        leftovers = tx.execute("SELECT view FROM ledgermail_tracking WHERE view LIKE ?", ("asof_%",))
    assert leftovers == []


def test_reader_pages_report_resume_positions(run: tuple[DispatchRig, list[Observed]]) -> None:
    rig, _ = run
    reader = HistoryReader(rig.c.sources(), page_size=3)
    pages = list(reader.pages(EventFilter(applications=("tenancy",))))
    assert pages[-1].last == rig.c.tenancy.max_position()
    assert sum(p.read for p in pages) <= reader.total(EventFilter(applications=("tenancy",)))
