"""``ledgermail worker --role dispatch`` processes for multi-process tests, started and stopped
(or killed) by the test. They share the test's PostgreSQL schema and its fake clock."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from adapters.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
# The library opens POSTGRES_POOL_SIZE (5) connections per application up front; tests share
# one server with every other test, so processes start with one each and grow on demand
# (the application-prefixed variable wins over the container's own setting).
POOLS = {"SENDING_POSTGRES_POOL_SIZE": "1", "TENANCY_POSTGRES_POOL_SIZE": "1"}


def worker_env(settings: Settings, worker_id: str) -> dict[str, str]:
    env = settings.child_env(worker_id=worker_id, fake_clock="1" if settings.fake_clock else "0")
    env.update(POOLS)
    return env


class Workers:
    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, worker_id: str, *roles: str) -> subprocess.Popen[bytes]:
        args = [sys.executable, "-m", "scripts.cli", "worker"]
        for role in roles or ("dispatch",):
            args += ["--role", role]
        log = (self.log_dir / f"{worker_id}.log").open("ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=worker_env(self.settings, worker_id),
                                stdout=log, stderr=subprocess.STDOUT)
        self.procs[worker_id] = proc
        return proc

    def kill(self, worker_id: str) -> None:
        """kill -9: no cleanup, no outcome saved, leases left to expire."""
        proc = self.procs.pop(worker_id)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.log_dir.glob("*.log")))
