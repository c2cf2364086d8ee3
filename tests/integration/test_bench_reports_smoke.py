"""The reports benchmark still runs end to end, so it cannot rot unnoticed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_tiny_sqlite_run_prints_the_drain_and_the_bar(tmp_path: Path) -> None:
    # A child process: the benchmark builds its own containers and a client app process.
    out_md = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench.reports", "--backend", "sqlite", "--outcomes", "600",
         "--batch-size", "250", "--no-progress", "--out", str(out_md), "--note", "smoke run"],
        cwd=ROOT, capture_output=True, text=True, timeout=110,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"^sqlite\s+600\s+250\s+3\s+[\d.]+ s\s+[\d.]+ s\s+[\d,]+$", out, re.M), out
    assert re.search(r"reports delivered on sqlite >= 2,000 reports/s\s+(PASS|FAIL)", out), out
    assert "delivered twice" not in out
    section = out_md.read_text()
    assert "<!-- bench:reports:start -->" in section and "<!-- bench:reports:end -->" in section
    assert "| sqlite | 600 | 250 | 3 |" in section and "- smoke run" in section
