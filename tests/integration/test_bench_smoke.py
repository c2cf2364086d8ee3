"""The event-store benchmark still runs end to end, so it cannot rot unnoticed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.support import pg

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def run_quick(backend: str, *extra: str) -> str:
    # A child process: the benchmark registers its own event topics, which must not leak
    # into this session's registry (the event catalogue test reads it).
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench.eventstore", "--quick", "--backend", backend,
         "--no-progress", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=110,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_figures(out: str, backend: str) -> None:
    for batch in (1000, 100, 10, 1):
        row = rf"^{backend}\s+append\s+batch {batch}\s+[\d,]+\s+\d+\s+[\d,]+ ev/s"
        assert re.search(row, out, re.M), out
    for case in ("event_stats (paged)", "per-event rows (paged)", "per-event rows (library)"):
        assert re.search(rf"^{backend}\s+catch-up\s+{re.escape(case)}\s.* ev/s", out, re.M), out
    assert re.search(rf"^{backend}\s+latency\s+in-process wake.*p50 [\d.]+ ms\s+p99 [\d.]+ ms",
                     out, re.M), out
    assert f"{backend}: paged " in out and " vs library " in out


@pytest.mark.timeout(120)
def test_quick_sqlite_run_prints_every_figure_and_bar() -> None:
    out = run_quick("sqlite")
    assert_figures(out, "sqlite")
    assert "catch-up event_stats (paged) on sqlite >= 50,000 ev/s" in out


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_quick_postgres_run_prints_every_figure_including_notify_latency() -> None:
    url = pg.admin_url()
    problem = pg.reachable(url)
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL is not reachable at {url}: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {url}: {problem}")
    out = run_quick("postgres", "--pg-url", url)
    assert_figures(out, "postgres")
    assert re.search(r"^postgres\s+latency\s+LISTEN/NOTIFY", out, re.M), out
