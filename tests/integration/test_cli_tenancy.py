"""``ledgermail tenants`` / ``accounts``: the same rules as the HTTP routes, logged as ``cli``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.bootstrap import Container
from adapters.settings import Settings
from projections.tenancy.command_log import CommandLogFilter
from tests.conftest import env_for

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scripts.cli", *args], cwd=ROOT, env=env_for(settings),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.timeout(180)
def test_tenant_and_account_commands(container: Container, settings: Settings) -> None:
    added = cli(settings, "tenants", "add", "acme", "--base-url", "http://127.0.0.1:9",
                "--bearer", "bearer-s3cret")
    assert added.returncode == 0, added.stderr
    assert re.search(r"lmk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", added.stdout)
    assert cli(settings, "tenants", "add", "acme").returncode == 1
    listed = cli(settings, "tenants", "list")
    assert "acme\tacme\tactive\thttp://127.0.0.1:9" in listed.stdout
    shown = cli(settings, "tenants", "show", "acme")
    assert '"token": "***"' in shown.stdout and "bearer-s3cret" not in shown.stdout
    rotated = cli(settings, "tenants", "rotate-key", "acme")
    assert rotated.returncode == 0 and "lmk_" in rotated.stdout
    acc = cli(settings, "accounts", "add", "--tenant", "acme", "--id", "smtp1", "--host", "127.0.0.1",
              "--port", "2525", "--password", "s3cret", "--no-tls")
    assert acc.returncode == 0 and "created" in acc.stdout, acc.stderr
    assert "smtp1\t127.0.0.1:2525\tplain" in cli(settings, "accounts", "list", "--tenant", "acme").stdout
    assert cli(settings, "accounts", "list", "--tenant", "nosuch").returncode == 1
    assert cli(settings, "tenants", "bogus").returncode == 2
    container.runner("command_log").catch_up()
    entries, total = container.projections["command_log"].view.query(CommandLogFilter(tenant_id="acme"))
    assert total == 4
    assert {e.actor["kind"] for e in entries} == {"cli"}
    assert [e.outcome for e in entries] == ["accepted", "rejected", "accepted", "accepted"]
    assert all("s3cret" not in str(e.payload) for e in entries)
