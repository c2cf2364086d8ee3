"""Rebuilds: replaying from position 0 gives exactly the rows the live projection built."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adapters.bootstrap import Container
from adapters.rebuild import COSTS, rebuild_all, rebuild_view, split, verify_all, verify_view
from adapters.registry import APPLICATIONS
from adapters.settings import Settings
from tests.conftest import env_for
from tests.support.probe import probes

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def live_rows(container: Container, name: str) -> dict[str, list[tuple[object, ...]]]:
    view = container.projections[name].view
    with container.db.transaction(write=False) as tx:
        return view.rows(tx)


def fill_live(container: Container) -> int:
    for n in range(4):
        with container.tenancy.command(actor="admin", tenant_id=f"t{n % 2}"):
            container.tenancy.record(*probes(25, ticks=3))
    container.runner("event_stats").catch_up()
    return container.tenancy.max_position()


def test_rebuild_gives_exactly_the_live_rows(container: Container) -> None:
    fill_live(container)
    before = live_rows(container, "event_stats")
    assert before["event_stats"]
    report = rebuild_view(container, "event_stats")
    assert report.events == container.tenancy.max_position()
    assert live_rows(container, "event_stats") == before
    assert verify_view(container, "event_stats").verified is True


def test_verify_reports_a_view_that_drifted(container: Container) -> None:
    fill_live(container)
    with container.db.transaction() as tx:
        tx.execute("UPDATE event_stats SET count = count + 1 WHERE topic = ?", ("Test.Probe.Ticked",))
    report = verify_view(container, "event_stats")
    assert report.verified is False
    assert report.differences and "event_stats" in report.differences[0]
    rebuild_view(container, "event_stats")
    assert verify_view(container, "event_stats").verified is True


def test_rebuild_while_the_live_runner_keeps_going(container: Container) -> None:
    fill_live(container)
    container.start_projections()
    position = container.tenancy.record(*probes(10, ticks=3))
    rebuild_view(container, "event_stats")
    position = max(position, container.tenancy.record(*probes(10, ticks=3)))
    container.wait_for({"tenancy": position})
    assert verify_view(container, "event_stats").verified is True
    total = sum(r.count for r in container.projections["event_stats"].view.all())
    assert total == container.tenancy.max_position()


def test_rebuild_all_replays_every_view_from_one_read(container: Container) -> None:
    fill_live(container)
    container.tenancy.issue_admin_token(replace=True)
    names = list(container.projections)
    for name in names:
        container.runner(name).catch_up()
    before = {n: live_rows(container, n) for n in names}
    reports = rebuild_all(container, names)
    assert [r.view for r in reports] == names
    assert {n: live_rows(container, n) for n in names} == before
    assert all(r.events == container.tenancy.max_position() for r in reports)
    # the views split between two processes (the default on PostgreSQL), on either backend
    assert [r.view for r in rebuild_all(container, names, processes=2)] == names
    assert {n: live_rows(container, n) for n in names} == before
    with container.db.transaction() as tx:
        tx.execute("UPDATE event_stats SET count = count + 1 WHERE topic = ?", ("Test.Probe.Ticked",))
    verdicts = {r.view: r.verified for r in verify_all(container, names)}
    assert verdicts.pop("event_stats") is False and all(verdicts.values()), verdicts
    verdicts = {r.view: r.verified for r in verify_all(container, names, processes=2)}
    assert verdicts.pop("event_stats") is False and all(verdicts.values()), verdicts


def test_split_balances_the_measured_costs() -> None:
    parts = split(["event_stats", "sends", "health", "messages", "reports", "send_metrics", "tenants"], 2)
    assert sorted(n for p in parts for n in p) == sorted(
        ["event_stats", "sends", "health", "messages", "reports", "send_metrics", "tenants"])
    loads = [sum(COSTS.get(n, 0.1) for n in p) for p in parts]
    assert len(parts) == 2 and abs(loads[0] - loads[1]) <= max(COSTS.values())
    assert split(["tenants"], 2) == [["tenants"]]


@pytest.mark.timeout(120)
def test_rebuild_command_all_verify(container: Container, settings: Settings) -> None:
    # Only product events here: the child process does not know the tests' probe topics.
    for _ in range(5):
        container.tenancy.issue_admin_token(replace=True)
    container.runner("event_stats").catch_up()
    env = env_for(settings)
    for args in (["--all"], ["--all", "--verify"], ["event_stats", "--verify"]):
        done = subprocess.run([sys.executable, "-m", "scripts.cli", "rebuild", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "event_stats" in done.stdout
        if "--verify" in args:
            assert "equal" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "scripts.cli", "rebuild", "nosuch"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown" in bad.stderr


def test_the_registry_names_every_application_log(container: Container) -> None:
    assert set(APPLICATIONS) == set(container.applications)
