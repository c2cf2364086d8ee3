"""The broadcast benchmark still runs end to end (with a kill and a restart), so it cannot rot."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(180)
def test_quick_sqlite_run_with_a_kill_writes_its_section(tmp_path: Path) -> None:
    out_md = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench.broadcast", "--backend", "sqlite", "--quick",
         "--contacts", "300", "--page-size", "100", "--kill-page", "2", "--no-progress", "--check",
         "--out", str(out_md)],
        cwd=ROOT, capture_output=True, text=True, timeout=170)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^sqlite\s+300\s+[\d,]+ contacts/s\s+[\d,]+ contacts/s", done.stdout, re.M), done.stdout
    assert "300 sends, 300 distinct: PASS" in done.stdout and "exit 137" in done.stdout
    section = out_md.read_text()
    assert "<!-- bench:broadcast:start -->" in section and "| sqlite | 300 |" in section
