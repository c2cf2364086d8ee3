"""The example deployment runs (issue #12): every line of deploy/Procfile as a process of its
own on one PostgreSQL, messages queued over HTTP against the one shared port reach a loopback
SMTP sink, and when the leading ``--role project`` process is killed with -9 its hot standby
takes every projection over and delivery goes on.

The Procfile is read with honcho's own parser and run with the same command lines (honcho
itself stops every process when one exits, so the kill would end the whole run). Each process
names its PostgreSQL sessions (``PGAPPNAME``): ``pg_locks`` then tells who leads what.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from honcho.environ import parse_procfile

from adapters.bootstrap import migrate
from adapters.leader import lock_key
from adapters.registry import PROJECTIONS
from adapters.settings import Settings
from tests.support import pg
from tests.support.smtp_sink import SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "deploy" / "Procfile"
SYSTEMD = ROOT / "deploy" / "systemd"
ADMIN = "deploy-admin-token"
COPIES = {"dispatch": 2, "project": 2}  # honcho -c dispatch=2,project=2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Deployment:
    """The Procfile's processes, each in a session of its own so a kill takes its children."""

    def __init__(self, settings: Settings, port: int, log_dir: Path) -> None:
        self.port, self.log_dir = port, log_dir
        self.env = settings.child_env(admin_token=ADMIN, port=str(port), api_workers="2")
        self.env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def start_all(self) -> None:
        for name, command in parse_procfile(PROCFILE.read_text()).processes.items():
            for n in range(1, COPIES.get(name, 1) + 1):
                self.start(f"{name}.{n}", command)

    def start(self, label: str, command: str) -> None:
        log = (self.log_dir / f"{label}.log").open("ab")
        self.procs[label] = subprocess.Popen(
            ["/bin/sh", "-c", command], cwd=ROOT, env={**self.env, "PGAPPNAME": label},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self, label: str) -> None:
        proc = self.procs.pop(label)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        self.http.close()
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    def logs(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                         for p in sorted(self.log_dir.glob("*.log")))

    def call(self, method: str, path: str, token: str = ADMIN, **kw: Any) -> httpx.Response:
        return self.http.request(method, path, headers={"X-API-Token": token}, **kw)


def wait_until(check: Callable[[], Any], what: str, deployment: Deployment, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except (httpx.HTTPError, psycopg.Error):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen in {timeout} s\n{deployment.logs()}")
        time.sleep(0.2)


def _split(key: int) -> tuple[int, int]:
    """A bigint advisory key as pg_locks shows it: (classid, objid), its high and low halves."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return unsigned >> 32, unsigned & 0xFFFFFFFF


PROJECTION_KEYS = {_split(lock_key(f"projection:{name}")) for name in PROJECTIONS}


def leaders(db_url: str) -> dict[str, int]:
    """Which process (its PGAPPNAME) leads how many projections in this database."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT a.application_name, l.classid::bigint, l.objid::bigint FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())").fetchall()
    out: dict[str, int] = {}
    for name, classid, objid in rows:
        if (int(classid), int(objid)) in PROJECTION_KEYS:
            out[str(name)] = out.get(str(name), 0) + 1
    return out


@pytest.fixture
def database() -> Iterator[str]:
    """A database of its own: advisory lock keys are per database, not per schema."""
    admin = pg.admin_url()
    problem = pg.reachable(admin)
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    url = pg.create_database(admin)
    yield url
    pg.drop_database(admin, url)


@pytest.fixture
def deployment(database: str, tmp_path: Path) -> Iterator[Deployment]:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = Settings.from_env({}, data_dir=tmp_path / "data", database_url=database, secret_key=key)
    migrate(settings)  # the release step the Procfile's header asks for
    group = Deployment(settings, free_port(), tmp_path)
    group.start_all()
    yield group
    group.stop_all()


def queue(deployment: Deployment, key: str, ids: range) -> None:
    messages = [{"id": f"m{i}", "account_id": "smtp1", "from": "a@acme.test", "to": f"u{i}@dest.test",
                 "subject": "s", "body": "b"} for i in ids]
    answer = deployment.call("POST", "/commands/add-messages", key, json={"messages": messages})
    assert answer.status_code == 200 and answer.json()["queued"] == len(messages), answer.text


@pytest.mark.timeout(240)
def test_the_procfile_delivers_and_a_standby_takes_over(
        deployment: Deployment, database: str, smtp_sink: Callable[..., SmtpSink]) -> None:
    sink = smtp_sink()
    wait_until(lambda: deployment.call("GET", "/health").status_code == 200, "the API answers", deployment)
    answer = deployment.call("POST", "/tenant", json={"id": "acme"})
    assert answer.status_code == 201, answer.text
    key = answer.json()["api_key"]
    answer = deployment.call("POST", "/account", key, json={"id": "smtp1", "host": sink.host,
                                                             "port": sink.port, "use_tls": False})
    assert answer.status_code == 201, answer.text
    queue(deployment, key, range(20))
    wait_until(lambda: len(sink.messages) >= 20, "20 mails at the sink", deployment)

    # every role checked in, and the API answered from two processes behind the one port
    def roles() -> list[str]:
        workers = deployment.call("GET", "/status").json()["workers"]
        return sorted(r for w in workers for r in w["roles"])
    every = sorted(["api", "api", "dispatch", "dispatch", "jobs", "monitor", "project", "project", "report"])
    wait_until(lambda: roles() == every, "every role checks in", deployment)

    held = wait_until(lambda: leaders(database).get("project.1", 0) + leaders(database).get("project.2", 0)
                      == len(PROJECTIONS) and leaders(database), "one leader per projection", deployment)
    leader = max(("project.1", "project.2"), key=lambda name: held.get(name, 0))
    standby = "project.2" if leader == "project.1" else "project.1"
    deployment.kill(leader)
    wait_until(lambda: leaders(database).get(standby, 0) == len(PROJECTIONS),
               f"{standby} leads every projection", deployment, timeout=30)

    queue(deployment, key, range(20, 40))  # claimed from the view the standby keeps
    wait_until(lambda: len(sink.messages) >= 40, "40 mails at the sink", deployment)

    def all_sent() -> bool:
        page = deployment.call("GET", "/messages", key, params={"limit": 100}).json()
        return sum(1 for m in page["messages"] if m["status"] == "sent") == 40
    wait_until(all_sent, "GET /messages shows 40 sent", deployment)
    ids = sorted(str(m.message["X-Ledgermail-Id"]) for m in sink.messages)
    assert len(set(ids)) == 40


def test_the_systemd_units_run_the_procfile_commands() -> None:
    """The two examples cannot drift apart: every unit's ExecStart is a Procfile line."""
    commands = set(parse_procfile(PROCFILE.read_text()).processes.values())
    normalised = {re.sub(r"\$\{LEDGERMAIL_API_WORKERS[^}]*\}", "N", c) for c in commands}
    units = sorted(SYSTEMD.glob("ledgermail-*.service"))
    assert len(units) >= len(commands) + 1  # + migrate
    for unit in units:
        line = next(x for x in unit.read_text().splitlines() if x.startswith("ExecStart="))
        command = re.sub(r"^ExecStart=\S*/ledgermail", "ledgermail", line)
        command = re.sub(r"\$\{LEDGERMAIL_API_WORKERS\}", "N", command)
        assert command == "ledgermail migrate" or command in normalised, unit.name
