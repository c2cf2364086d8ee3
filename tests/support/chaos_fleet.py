"""The chaos run's processes: one ``ledgermail api`` and ``worker --role ...`` processes on one
(private) PostgreSQL, supervised like a process manager would (a process that exits is
started again), and killed with -9 on demand. Each incarnation gets a fresh worker id, so a
restarted dispatcher never takes the leases of the one it replaces for its own."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from adapters.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ROLES: dict[str, list[str]] = {
    "api": ["api"],
    "dispatch-a": ["worker", "--role", "dispatch"],
    "dispatch-b": ["worker", "--role", "dispatch"],
    "report": ["worker", "--role", "report"],
    "project": ["worker", "--role", "project"],
}


class Fleet:
    def __init__(self, settings: Settings, log_dir: Path, *, api_port: int, admin_token: str) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.api_port = api_port
        self.admin_token = admin_token
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.incarnation: dict[str, int] = dict.fromkeys(ROLES, 0)
        self.kills: list[str] = []
        self.exits: list[tuple[str, int]] = []  # (incarnation, return code) of unplanned exits

    def start(self, name: str) -> None:
        self.incarnation[name] += 1
        worker_id = f"{name}.{self.incarnation[name]}"
        # a killed reporter's tenants go to another after 10 s, not the production 120 s
        env = self.settings.child_env(worker_id=worker_id, fake_clock="1", admin_token=self.admin_token,
                                      port=str(self.api_port), report_lease_seconds="10")
        log = (self.log_dir / f"{name}.log").open("ab")
        log.write(f"\n--- start {worker_id}\n".encode())
        log.flush()
        self.procs[name] = subprocess.Popen([sys.executable, "-m", "scripts.cli", *ROLES[name]], cwd=ROOT,
                                            env=env, stdout=log, stderr=subprocess.STDOUT)

    def start_all(self) -> None:
        for name in ROLES:
            self.start(name)

    def kill(self, name: str) -> None:
        """kill -9 (no cleanup, leases left to expire), then start a new incarnation."""
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        self.kills.append(f"{name}.{self.incarnation[name]}")
        self.start(name)

    def reap(self) -> list[str]:
        """Start again every process that exited on its own; returns their names."""
        restarted = []
        for name, proc in list(self.procs.items()):
            code = proc.poll()
            if code is not None:
                self.exits.append((f"{name}.{self.incarnation[name]}", code))
                self.start(name)
                restarted.append(name)
        return restarted

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.procs.clear()

    def logs(self, chars: int = 2500) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-chars:]}"
                         for p in sorted(self.log_dir.glob("*.log")))
