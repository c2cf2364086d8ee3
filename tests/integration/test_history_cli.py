"""``ledgermail export | replay | report | rebuild --all --verify`` as a shell runs them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

from adapters.settings import Settings
from tests.conftest import env_for
from tests.support.dispatch import DispatchRig, open_rig
from tests.support.history import Observed, m1_id, recorded_run
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(
    settings: Settings, smtp_sink: Callable[..., SmtpSink]
) -> Iterator[tuple[DispatchRig, list[Observed]]]:
    with open_rig(settings, smtp_sink()) as rig:
        seen = recorded_run(rig)
        rig.c.catch_up(list(rig.c.projections))
        yield rig, seen


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        cwd=ROOT,
        env=env_for(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.timeout(240)
def test_export_replay_report_and_verify_from_the_shell(
    run: tuple[DispatchRig, list[Observed]], settings: Settings, tmp_path: Path
) -> None:
    rig, seen = run
    out = tmp_path / "acme.parquet"
    done = cli(settings, "export", "--tenant", "acme", "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    frame = pl.read_parquet(out)
    assert set(frame["tenant_id"].to_list()) == {"acme"}
    last = re.search(r"resume with --after-position (\S+)", done.stdout)
    assert last, done.stdout
    again = cli(
        settings,
        "export",
        "--out",
        str(tmp_path / "rest.jsonl"),
        "--after-position",
        last.group(1),
        "--no-progress",
    )
    assert again.returncode == 0 and "0 events" in again.stdout, again.stdout + again.stderr
    first = seen[0]
    state = cli(settings, "replay", "message", "m1", "--tenant", "acme", "--as-of-ts", str(first.ts))
    assert state.returncode == 0, state.stderr
    assert json.loads(state.stdout)["state"] == first.state
    steps = cli(settings, "replay", "transitions", str(m1_id()))
    assert (
        steps.returncode == 0
        and "Message.Sent" in steps.stdout
        and 'status: "sending" -> "sent"' in steps.stdout
    )
    view = cli(
        settings,
        "replay",
        "view",
        "messages",
        "--as-of-position",
        f"sending={first.position}",
        "--no-progress",
    )
    assert view.returncode == 0 and json.loads(view.stdout)["tables"]["messages"]["total"] == 2
    html = tmp_path / "report.html"
    report = cli(settings, "report", "--out", str(html), "--no-progress")
    assert report.returncode == 0, report.stderr
    text = html.read_text()
    assert (
        "<svg" in text
        and "dest.test" in text
        and "No data yet" in text
        and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    verify = cli(settings, "rebuild", "--all", "--verify", "--no-progress")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    for name in rig.c.projections:
        assert re.search(rf"^{name}\s+rows=\d+\s+events=\d+\s+[\d.]+s\s+equal$", verify.stdout, re.M), (
            verify.stdout
        )
    for command in ("export", "replay", "report"):
        helped = cli(settings, command, "--help")
        assert helped.returncode == 0 and "usage: ledgermail" in helped.stdout
    missing = cli(settings, "replay", "aggregate", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 1 and "no aggregate" in missing.stderr
