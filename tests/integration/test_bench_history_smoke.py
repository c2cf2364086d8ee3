"""The history benchmark still runs end to end (tiny sizes), so it cannot rot unnoticed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(180)
def test_quick_sqlite_run_prints_export_rebuild_and_bars(tmp_path: Path) -> None:
    out_md = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.bench.history",
            "--quick",
            "--backend",
            "sqlite",
            "--no-progress",
            "--out",
            str(out_md),
            "--note",
            "smoke run",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"^sqlite\s+export parquet\s+[\d,]+\s+[\d.]+ s\s+[\d,]+ ev/s", out, re.M), out
    assert re.search(r"^sqlite\s+rebuild messages\s+[\d,]+\s", out, re.M), out
    assert re.search(r"^sqlite\s+rebuild all views\s", out, re.M), out
    assert "export to Parquet on postgres" in out  # judged on PostgreSQL only: "not measured" here
    section = out_md.read_text()
    assert "<!-- bench:history:start -->" in section and "- smoke run" in section
