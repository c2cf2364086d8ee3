"""The DMARC ingest benchmark runs (quick) and writes its own section of a benchmarks page."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.bench import dmarc

pytestmark = pytest.mark.integration


def test_a_quick_run_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nother sections stay\n")
    assert dmarc.main(["--quick", "--no-progress", "--out", str(out)]) == 0
    text = out.read_text()
    assert "other sections stay" in text and dmarc.START in text and "records/s" in text
    assert "ingest into SQLite" in text
