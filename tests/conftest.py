"""Fixtures shared by every test: the backend matrix (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.bootstrap import Container, bootstrap
from adapters.settings import Settings
from tests.support import pg

pytest_plugins = ["tests.support.smtp_fixtures"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh database for this test run; tests take a schema each inside it."""
    url = pg.admin_url()
    problem = pg.reachable(url)
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL is not reachable at {url}: {problem}")
        pytest.skip(f"PostgreSQL not reachable at {url}: {problem}")
    db_url = pg.create_database(url)
    yield db_url
    pg.drop_database(url, db_url)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for an isolated store: a fresh data dir, and on PostgreSQL a fresh schema."""
    data_dir = tmp_path / "data"
    if backend == "postgres":
        db_url = request.getfixturevalue("pg_database")
        return Settings.from_env({}, data_dir=data_dir, database_url=db_url,
                                 database_schema=pg.create_schema(db_url),
                                 projection_poll_seconds=0.05)
    return Settings.from_env({}, data_dir=data_dir, projection_poll_seconds=0.05)


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    c = bootstrap(settings, create_tables=True)
    c.tenancy.initialise_instance()
    yield c
    c.close()


def env_for(settings: Settings) -> dict[str, str]:
    """Process environment that points a child ledgermail process at the same store."""
    return settings.child_env()
