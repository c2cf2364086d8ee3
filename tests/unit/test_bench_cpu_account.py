"""The dispatch benchmark's CPU accounting: /proc read per role, per message, against a budget."""

import os
import sys

import pytest

from scripts.bench.cpu_account import CpuAccount, Spent, summary

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_counts_the_cpu_a_role_spent_while_timed() -> None:
    account = CpuAccount({"me": lambda: [os.getpid()], "gone": lambda: [2**22 + 1]}, postgres=False)
    account.start()
    n = 0
    for i in range(3_000_000):  # ~0.1 s of this process's CPU
        n += i
    spent = account.stop(1.0)
    assert spent is not None
    assert spent.seconds["me"] >= 0.02
    assert spent.seconds["gone"] == 0.0  # a pid that does not exist counts nothing


def test_postgres_role_is_there_only_when_asked() -> None:
    assert "PostgreSQL" in CpuAccount({}, postgres=True).roles
    assert "PostgreSQL" not in CpuAccount({}, postgres=False).roles


def test_summary_says_cost_per_message_and_what_the_cores_allow() -> None:
    line = summary(Spent({"dispatcher": 0.6, "sink": 0.4}, wall=1.0), 1000, cores=2)
    assert line == ("CPU per message: dispatcher 0.60 ms, sink 0.40 ms; total 1.00 ms "
                    "(1.0 of 2 cores busy; 2 cores at this cost: 2,000 msg/s)")
    assert summary(None, 1000) == ""
