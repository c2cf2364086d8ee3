"""The paged projection runner: exactly-once, resumable, one active runner per view."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.bootstrap import Container, bootstrap
from adapters.runner import ProjectionRunner
from adapters.settings import Settings
from tests.conftest import env_for
from tests.support.probe import ProbeProjection, ProbeView, probes

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def probe_view(container: Container) -> Iterator[ProbeView]:
    view = ProbeView(container.db)
    view.create()
    yield view
    ProbeProjection.fail_after = None


def runner_for(container: Container, view: ProbeView, *, page: int = 100, leader: bool = False,
               lock_name: str = "probe") -> ProjectionRunner:
    return ProjectionRunner(
        ProbeProjection(view), container.sources(), page_size=page,
        lock=container.leader_lock(lock_name) if leader else None,
        hub=container.hub, poll_seconds=0.05,
    )


def wait_until(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_catch_up_applies_every_event_once_in_pages(container: Container, probe_view: ProbeView) -> None:
    last = container.tenancy.record(*probes(50, ticks=9))
    runner = runner_for(container, probe_view, page=64)
    assert runner.catch_up() == last
    applied = probe_view.applied()
    assert sorted(applied) == list(range(1, last + 1))
    assert set(applied.values()) == {1}
    assert probe_view.positions() == {"tenancy": last}
    assert runner.catch_up() == 0 and runner.lag() == 0


def test_a_crash_mid_page_rolls_back_and_resumes_exactly_once(
    container: Container, probe_view: ProbeView
) -> None:
    last = container.tenancy.record(*probes(30, ticks=9))
    runner = runner_for(container, probe_view, page=100)
    runner.run_page()  # first page commits
    ProbeProjection.fail_after = 40
    with pytest.raises(RuntimeError, match="simulated crash"):
        runner.run_page()
    assert probe_view.positions() == {"tenancy": 100}
    assert max(probe_view.applied()) == 100  # the 40 writes of the failed page were rolled back
    ProbeProjection.fail_after = None
    runner.catch_up()
    applied = probe_view.applied()
    assert sorted(applied) == list(range(1, last + 1)) and set(applied.values()) == {1}


@pytest.mark.timeout(120)
def test_kill_9_of_a_runner_mid_page_loses_and_repeats_nothing(
    container: Container, probe_view: ProbeView, settings: Settings, tmp_path: Path
) -> None:
    last = container.tenancy.record(*probes(100, ticks=9))
    marker = tmp_path / "midpage"
    env = env_for(settings) | {"PROBE_MIDPAGE_MARKER": str(marker)}
    child = subprocess.Popen([sys.executable, "-m", "tests.support.crash_runner", "300"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: marker.exists() or child.poll() is not None, timeout=60)
        assert child.poll() is None, child.stdout.read().decode() if child.stdout else ""
    finally:
        child.kill()
        child.wait(timeout=30)
    assert probe_view.positions().get("tenancy", 0) == 0  # the open page never committed
    runner_for(container, probe_view, page=300).catch_up()
    applied = probe_view.applied()
    assert sorted(applied) == list(range(1, last + 1)) and set(applied.values()) == {1}


def test_only_one_runner_is_active_and_a_standby_takes_over(
    container: Container, probe_view: ProbeView, settings: Settings
) -> None:
    first = runner_for(container, probe_view, leader=True)
    second = runner_for(container, probe_view, leader=True)
    stop_first, stop_second = threading.Event(), threading.Event()
    t1 = first.start(stop_first)
    wait_until(lambda: first.lock is not None and first.lock.holds())
    t2 = second.start(stop_second)
    last = container.tenancy.record(*probes(20, ticks=9))
    wait_until(lambda: probe_view.positions().get("tenancy", 0) == last)
    assert first.processed == last and second.processed == 0
    stop_first.set()
    container.hub.wake()
    t1.join(timeout=5)
    more = container.tenancy.record(*probes(5, ticks=9))
    wait_until(lambda: probe_view.positions().get("tenancy", 0) == more)
    assert second.processed == more - last
    stop_second.set()
    container.hub.wake()
    t2.join(timeout=5)
    assert set(probe_view.applied().values()) == {1}


def test_a_write_from_another_process_wakes_the_runner(container: Container, settings: Settings) -> None:
    """Saves made elsewhere arrive by NOTIFY (PostgreSQL) or by the poll (SQLite)."""
    container.start_projections()
    writer = bootstrap(settings)
    try:
        position = writer.tenancy.record(*probes(3, ticks=1))
        container.wait_for({"tenancy": position}, timeout=5)
        counts = {r.topic: r.count for r in container.projections["event_stats"].view.all()}
        assert counts["Test.Probe.Started"] == 3 and counts["Test.Probe.Ticked"] == 3
    finally:
        writer.close()


def test_wait_for_gives_up_with_a_lag_error(container: Container) -> None:
    from adapters.bootstrap import ProjectionLagError

    position = container.tenancy.record(*probes(1))
    with pytest.raises(ProjectionLagError, match="event_stats"):
        container.wait_for({"tenancy": position}, timeout=0.2)  # no runner started
