"""PostgreSQL for tests: a running server (never started by the tests), one database per run."""

from __future__ import annotations

import os
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get("LEDGERMAIL_TEST_DATABASE_URL") or DEFAULT_URL


def reachable(url: str) -> str | None:
    """None if PostgreSQL answers at ``url``, else the reason it does not."""
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__
    return None


def with_dbname(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


STALE_AFTER = 3 * 3600  # no test run lives this long: its database was left by a killed run


def create_database(url: str) -> str:
    """A database for this run, named with its creation time so later runs can tell
    (and drop) what a killed run left behind."""
    name = f"ledgermail_test_{int(time.time())}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        _drop_stale(conn)
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_dbname(url, name)


def _drop_stale(conn: psycopg.Connection) -> None:
    cutoff = time.time() - STALE_AFTER
    rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'ledgermail_test_%'").fetchall()
    for (name,) in rows:
        stamp = name.removeprefix("ledgermail_test_").split("_")[0]
        if stamp.isdigit() and int(stamp) < cutoff:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_database(url: str, db_url: str) -> None:
    name = urlsplit(db_url).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_schema(db_url: str) -> str:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema
