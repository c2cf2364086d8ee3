"""A private PostgreSQL cluster for tests that stop and restart the database (tests/chaos).

The machine's shared server (127.0.0.1:5432) serves every other test and worker, so it is
never touched: this ``initdb``s a throwaway cluster in a temporary directory, starts it on a
free loopback port with its Unix socket in that directory, and removes it at the end.
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user.

    with private_postgres() as pg:
        url = pg.url            # postgresql://postgres@127.0.0.1:<port>/postgres
        pg.restart()            # immediate stop (as a crash) and start again
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

BIN_DIRS = [Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"),
            Path("/usr/lib/postgresql/17/bin")]
# The server is killed (immediate stop), the machine never: WAL must reach the OS at each
# commit (synchronous_commit stays on, or acknowledged commits vanish and streams get gaps),
# but need not be fsynced to disk.
SETTINGS = "-c fsync=off -c full_page_writes=off -c max_connections=300"
PREFIX = "ledgermail-pg-"


def find_bin() -> Path | None:
    for directory in BIN_DIRS:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix=PREFIX))
        (self.root / "owner.pid").write_text(str(os.getpid()))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:  # initdb and postgres refuse root: the cluster belongs to postgres
            shutil.chown(self.root, "postgres", "postgres")
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
                               f"{self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 {SETTINGS}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options,
                  "start")
        self.wait_ready()

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self) -> None:
        """Immediate stop (every backend killed, as a crash), then start: clients lose their
        connections and must reconnect."""
        self.stop("immediate")
        self.start()
        self.restarts += 1

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"private PostgreSQL not ready after {timeout:g} s\n"
                                       f"{self.log_tail()}") from exc
                time.sleep(0.1)

    def remove(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def remove_orphans(bin_dir: Path) -> None:
    """Clusters left by a test process that was killed before its teardown."""
    for root in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            os.kill(int((root / "owner.pid").read_text()), 0)
            continue  # its test process still runs
        except (OSError, ValueError):
            pass
        orphan = PrivatePostgres.__new__(PrivatePostgres)
        orphan.bin, orphan.root, orphan.data, orphan.log = bin_dir, root, root / "data", root / "server.log"
        orphan.as_postgres = os.geteuid() == 0
        try:
            orphan.remove()
        except (RuntimeError, OSError, subprocess.SubprocessError):
            shutil.rmtree(root, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = find_bin()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    remove_orphans(bin_dir)
    pg = PrivatePostgres(bin_dir)
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.remove()
