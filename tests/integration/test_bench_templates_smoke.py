"""The template rendering benchmark still runs, so it cannot rot unnoticed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_quick_run_prints_rates_and_writes_its_section(tmp_path: Path) -> None:
    out_md = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench.templates", "--quick", "--out", str(out_md)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^render one send .*[\d,]+/s$", done.stdout, re.M), done.stdout
    section = out_md.read_text()
    assert "<!-- bench:templates:start -->" in section and "MJML compile" in section
