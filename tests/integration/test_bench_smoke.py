"""The event-store benchmark still runs end to end, so it cannot rot unnoticed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_quick_sqlite_run_prints_every_figure_and_bar() -> None:
    # A child process: the benchmark registers its own event topics, which must not leak
    # into this session's registry (the event catalogue test reads it).
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench.eventstore", "--quick", "--backend", "sqlite",
         "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=110,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for batch in (1000, 100, 10, 1):
        assert re.search(rf"^sqlite\s+append\s+batch {batch}\s+[\d,]+\s+\d+\s+[\d,]+ ev/s", out, re.M)
    for case in ("event_stats (paged)", "per-event rows (paged)", "per-event rows (library)"):
        assert case in out
    assert "in-process wake" in out and "p50 " in out and "p99 " in out
    assert "ev/s" in out and "paged" in out and "vs library" in out
    assert "catch-up event_stats (paged) on sqlite >= 50,000 ev/s" in out
