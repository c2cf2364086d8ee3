"""The deployment the load benchmark drives: deploy/Procfile's roles as processes of their
own on one store (``ledgermail api --workers N``, dispatchers, a leading and a standby
projection runner, reporter, monitor, jobs), and the resident memory of each, sampled."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from adapters.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "load-bench-admin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int) -> int | None:
    """VmRSS of a live process, in KiB (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(p) for p in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return sorted(out)


@dataclass
class Cluster:
    settings: Settings
    api_workers: int = 2
    dispatchers: int = 2
    log_dir: Path = Path(".")
    port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def roles(self) -> list[tuple[str, list[str]]]:
        """(label, ``ledgermail`` arguments): the Procfile's lines, with the copies asked for."""
        out = [("api", ["api", "--workers", str(self.api_workers)])]
        out += [(f"dispatch.{n}", ["worker", "--role", "dispatch"]) for n in range(1, self.dispatchers + 1)]
        out += [(f"project.{n}", ["worker", "--role", "project"]) for n in (1, 2)]
        out += [(role, ["worker", "--role", role]) for role in ("report", "monitor", "jobs")]
        return out

    def start(self) -> None:
        env = self.settings.child_env(admin_token=ADMIN, port=str(self.port))
        for label, args in self.roles():
            log = (self.log_dir / f"{label}.log").open("ab")
            self.procs[label] = subprocess.Popen(
                [sys.executable, "-m", "scripts.cli", *args], cwd=ROOT, env={**env, "PGAPPNAME": label},
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            if label == "project.1":
                time.sleep(1.0)  # project.1 leads, project.2 is the hot standby (as deployed)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=5) as http:
            while time.monotonic() < deadline:
                self.check_alive()
                try:
                    workers = http.get("/status", headers={"X-API-Token": ADMIN}).json()["workers"]
                except (httpx.HTTPError, KeyError, ValueError):
                    workers = []
                seen = sorted(r for w in workers for r in w["roles"])
                if seen.count("api") == self.api_workers and seen.count("dispatch") == self.dispatchers \
                        and seen.count("project") == 2:
                    return
                time.sleep(0.5)
        raise RuntimeError(f"the deployment did not come up in {timeout} s; logs in {self.log_dir}")

    def check_alive(self) -> None:
        dead = [label for label, p in self.procs.items() if p.poll() is not None]
        if dead:
            raise RuntimeError(f"process(es) {', '.join(dead)} exited; logs in {self.log_dir}")

    def server_pids(self) -> dict[str, int]:
        """Every server process by label; the API's are its supervisor and its workers."""
        out: dict[str, int] = {}
        for label, proc in self.procs.items():
            if label == "api":
                out["api.supervisor"] = proc.pid
                workers = [c for c in children(proc.pid) if _is_python(c) and _is_api_worker(c)]
                out.update({f"api.{n}": pid for n, pid in enumerate(workers, 1)})
            else:
                out[label] = proc.pid
        return out

    def stop(self) -> None:
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.procs.clear()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _is_python(pid: int) -> bool:
    return "python" in _cmdline(pid)


def _is_api_worker(pid: int) -> bool:
    # uvicorn's spawned workers run multiprocessing's spawn_main; its resource tracker does not
    return "spawn_main" in _cmdline(pid)


@dataclass
class MemorySampler:
    """RSS of each server process every ``every`` seconds, from /proc (no psutil)."""

    every: float = 5.0
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # label -> (s, MiB)
    _next: float = 0.0

    def maybe_sample(self, cluster: Cluster, elapsed: float) -> None:
        if elapsed < self._next:
            return
        self._next = elapsed + self.every
        for label, pid in cluster.server_pids().items():
            kib = rss_kib(pid)
            if kib is not None:
                self.samples.setdefault(label, []).append((elapsed, kib / 1024))
