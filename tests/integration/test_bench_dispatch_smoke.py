"""The dispatch benchmark still runs end to end, so it cannot rot unnoticed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_quick_sqlite_run_prints_ceiling_ingest_delivery_and_bars(tmp_path: Path) -> None:
    # A child process: the benchmark builds its own containers and a sink process, none of
    # which should share this session's registry or event loop.
    out_md = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench.dispatch", "--quick", "--backend", "sqlite",
         "--no-progress", "--out", str(out_md)],
        cwd=ROOT, capture_output=True, text=True, timeout=110,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"^-\s+raw ceiling\s.*[\d,]+ msg/s", out, re.M), out
    assert re.search(r"^sqlite\s+ingest\s+queue_messages, 1000/call\s+300\s.*[\d,]+ msg/s", out, re.M), out
    for layout in ("1 dispatcher in process", r"1 dispatcher process \(worker --role dispatch\)"):
        assert re.search(rf"^sqlite\s+end to end\s+{layout},.*p50 [\d,]+ ms, p99 [\d,]+ ms", out, re.M), out
        assert re.search(rf"end-to-end delivery on sqlite \({layout}\) >= 60 % of the raw ceiling\s+"
                         r"(PASS|FAIL)", out), out
        assert re.search(rf"sqlite, {layout}: delivered ", out), out
    section = out_md.read_text()
    assert "<!-- bench:dispatch:start -->" in section and "<!-- bench:dispatch:end -->" in section
    assert "| sqlite | end to end |" in section
