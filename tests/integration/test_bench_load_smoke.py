"""The load benchmark still runs end to end (a 5 s ``--quick`` run against the multi-process
deployment), so it cannot rot unnoticed; its figures here mean nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import pg

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def run_quick(tmp_path: Path, *backend: str) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    out_md, chart = tmp_path / "benchmarks.md", tmp_path / "rss.svg"
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench.load", "--quick", "--no-progress", *backend,
         "--rate", "20", "--concurrency", "4", "--out", str(out_md), "--svg", str(chart)],
        cwd=ROOT, capture_output=True, text=True, timeout=170)
    return done, out_md, chart


@pytest.mark.timeout(180)
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_quick_run_prints_figures_and_writes_its_section(tmp_path: Path, backend: str) -> None:
    args = ["--backend", backend]
    if backend == "postgres":
        problem = pg.reachable(pg.admin_url())
        if problem is not None:
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL not reachable: {problem}")
            pytest.skip(f"PostgreSQL not reachable: {problem}")
        args += ["--pg-url", pg.admin_url()]
    done, out_md, chart = run_quick(tmp_path, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    for endpoint in ("enqueue", "list", "dashboard"):
        assert re.search(rf"^{endpoint}\s+[\d,]+\s+[\d.,]+/s\s+[\d.,]+ ms\s+[\d.,]+ ms", done.stdout, re.M), \
            done.stdout
    assert re.search(r"^api\.1\s+[\d.,]+ MiB", done.stdout, re.M), done.stdout
    assert re.search(r"^project\.2\s+[\d.,]+ MiB", done.stdout, re.M), done.stdout  # the standby
    section = out_md.read_text()
    assert "<!-- bench:load:start -->" in section and "| dashboard |" in section
    assert chart.read_text().startswith("<svg")


def test_help_describes_the_options() -> None:
    done = subprocess.run([sys.executable, "-m", "scripts.bench.load", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for option in ("--duration", "--concurrency", "--rate", "--svg", "--api-workers"):
        assert option in done.stdout
