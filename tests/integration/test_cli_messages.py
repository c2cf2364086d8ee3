"""``ledgermail messages``: queue a JSON batch, list, show the history, cancel (proxy.md §16)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.bootstrap import Container
from adapters.settings import Settings
from tests.conftest import env_for

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scripts.cli", *args], cwd=ROOT, env=env_for(settings),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.timeout(180)
def test_messages_add_list_show_delete(container: Container, settings: Settings, tmp_path: Path) -> None:
    container.tenancy.create_tenant("acme", {}, None)
    container.tenancy.register_account("acme", "smtp1", {"host": "127.0.0.1", "port": 2525})
    batch = tmp_path / "batch.json"
    messages = [{"id": f"m{i}", "account_id": "smtp1", "from": "a@acme.test", "to": "u@dest.test",
                 "subject": f"s{i}", "body": "b"} for i in range(3)]
    bad = {"id": "bad", "account_id": "nosuch", "from": "a@acme.test", "to": "u@dest.test",
           "subject": "s", "body": "b"}
    batch.write_text(json.dumps({"messages": [*messages, bad]}))
    added = cli(settings, "messages", "add", "--tenant", "acme", "--file", str(batch))
    assert added.returncode == 1 and "queued 3, rejected 1" in added.stdout, added.stderr
    assert "bad\taccount_not_found" in added.stderr
    listed = cli(settings, "messages", "list", "--tenant", "acme", "--status", "pending")
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["m0", "m1", "m2"]
    shown = json.loads(cli(settings, "messages", "show", "m1", "--tenant", "acme", "--json").stdout)
    assert (shown["status"], [h["type"] for h in shown["history"]]) == ("pending", ["queued"])
    deleted = json.loads(cli(settings, "messages", "delete", "m1", "nosuch", "--tenant", "acme").stdout)
    assert deleted["removed"] == 1 and deleted["not_found"] == ["nosuch"]
    assert cli(settings, "messages", "list", "--tenant", "nosuch").returncode == 1
    assert cli(settings, "messages", "show", "--tenant", "acme").returncode == 2
