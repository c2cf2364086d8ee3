"""Throwaway stores for a benchmark run: a temp SQLite dir, or a fresh PostgreSQL database."""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import platform
import secrets
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from adapters.settings import Settings

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_admin_url() -> str:
    return os.environ.get("LEDGERMAIL_BENCH_DATABASE_URL") or DEFAULT_PG_URL


def redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def pg_problem(url: str) -> str | None:
    """None if PostgreSQL answers at ``url``, else why not (the run skips that backend)."""
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__
    return None


def _settings(data_dir: Path, database_url: str | None = None) -> Settings:
    # A fixed in-memory key: no secret.key file, no "generated a key" warning per run.
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return Settings.from_env({}, data_dir=data_dir, database_url=database_url, secret_key=key,
                             projection_poll_seconds=0.5)


@contextlib.contextmanager
def sqlite_store() -> Iterator[Settings]:
    with tempfile.TemporaryDirectory(prefix="ledgermail_bench_") as tmp:
        yield _settings(Path(tmp) / "data")


@contextlib.contextmanager
def postgres_store(admin_url: str) -> Iterator[Settings]:
    """A database of its own, dropped (even when the run fails) on the way out."""
    name = f"ledgermail_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    try:
        with tempfile.TemporaryDirectory(prefix="ledgermail_bench_") as tmp:
            yield _settings(Path(tmp) / "data", url)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def _pg_version(admin_url: str | None) -> str:
    if admin_url is None:
        return "not used"
    try:
        with psycopg.connect(admin_url, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return "not reachable"
    return f"PostgreSQL {row[0]}" if row else "unknown"


def load_average() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def machine(admin_url: str | None, load_at_start: str) -> dict[str, str]:
    """What the figures were measured on: they mean little without it."""
    return {
        "load average 1/5/15 min, start -> end": f"{load_at_start} -> {load_average()}",
        "cores (nproc)": str(len(os.sched_getaffinity(0))),
        "CPU": _cpu_model(),
        "RAM": _ram(),
        "Python": platform.python_version(),
        "PostgreSQL": _pg_version(admin_url),
        "OS": platform.platform(),
    }


def parse_common(p: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """The options every benchmark has (smoke run, server, where figures go), then parse."""
    p.add_argument("--quick", action="store_true", help="a tiny smoke run (seconds)")
    p.add_argument("--pg-url", help="PostgreSQL server to create the bench databases on "
                   f"(default: env LEDGERMAIL_BENCH_DATABASE_URL, else {DEFAULT_PG_URL})")
    p.add_argument("--markdown", action="store_true", help="refresh the section in docs/benchmarks.md")
    p.add_argument("--out", type=Path, help="refresh the section in this markdown file")
    p.add_argument("--check", action="store_true", help="exit 1 when a bar fails")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    args.pg_url = args.pg_url or pg_admin_url()
    return args


def backends(args: argparse.Namespace) -> list[tuple[str, Callable[[], AbstractContextManager[Settings]]]]:
    """The stores ``--backend`` asks for; PostgreSQL is skipped (said on stderr) when unreachable."""
    chosen: list[tuple[str, Callable[[], AbstractContextManager[Settings]]]] = []
    if args.backend in ("sqlite", "both"):
        chosen.append(("sqlite", sqlite_store))
    if args.backend in ("postgres", "both"):
        problem = pg_problem(args.pg_url)
        if problem is None:
            chosen.append(("postgres", lambda: postgres_store(args.pg_url)))
        else:
            print(f"skipping postgres: not reachable at {redact(args.pg_url)}: {problem}",
                  file=sys.stderr)
    return chosen
