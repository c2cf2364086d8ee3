"""The bounce parse benchmark runs and writes its own section of a benchmarks page."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.bench import bounces

pytestmark = pytest.mark.unit


def test_a_quick_run_writes_its_section(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nother sections stay\n")
    assert bounces.main(["--quick", "--out", str(out)]) == 0
    text = out.read_text()
    assert "other sections stay" in text and bounces.START in text and "msg/s" in text
