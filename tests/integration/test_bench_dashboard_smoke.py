"""The dashboard benchmark still runs end to end, so it cannot rot unnoticed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_quick_sqlite_run_writes_its_section(tmp_path: Path) -> None:
    out_md = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.bench.dashboard",
            "--backend",
            "sqlite",
            "--quick",
            "--sends",
            "3000",
            "--runs",
            "3",
            "--out",
            str(out_md),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^sqlite\s+3,000 sends\s+window 24h\s+p50\s+[\d.,]+ ms\s+p99", done.stdout, re.M), (
        done.stdout
    )
    section = out_md.read_text()
    assert "<!-- bench:dashboard:start -->" in section and "| sqlite | 3,000 | 30d |" in section
